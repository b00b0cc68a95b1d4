package rules

import (
	"strings"

	"corsedge/rules/internal/origin"
)

// shadowWarnings warns about each rule that can never decide: under every
// prefix it lists, earlier candidates match every origin it lists, so the
// first-match rule never reaches it.
//
// Rules are visited once, in file order, which is each prefix's candidate
// order; each prefix keeps the patterns of the candidates seen so far in
// indexes that answer "does an earlier pattern cover this one" in one lookup,
// so the check is linear in the number of patterns, not quadratic.
//
// checkerOf gives the checker of the file a rule is in, which places the
// warning; the warnings are returned, not kept on the checkers.
func (t *Table) shadowWarnings(checkerOf func(*Rule) *checker) []*Problem {
	var out []*Problem
	seen := make([]*earlier, len(t.byPrefix))
	for _, r := range t.rules {
		if t.soleCandidate(r) {
			continue // no earlier rule to be shadowed by, no later one to shadow
		}
		if by := t.shadowedBy(r, seen); by != nil {
			c := checkerOf(r)
			before := len(c.problems)
			c.warnf(entry{section: "rule", index: r.index, name: r.name}, "", -1, "",
				"never decides: %s lists the same prefix and matches every origin first", by.Label())
			out = append(out, c.problems[before:]...)
			c.problems = c.problems[:before]
		}
		for _, path := range r.paths {
			t.earlierAt(path, seen).add(r)
		}
	}
	return out
}

// soleCandidate reports whether r is the only candidate under every
// prefix it lists, as each site's rule is in a table of many sites.
func (t *Table) soleCandidate(r *Rule) bool {
	for _, path := range r.paths {
		if len(t.byPrefix[t.prefixes.longest([]byte(path))].rules) > 1 {
			return false
		}
	}
	return true
}

// shadowedBy returns an earlier rule that shadows r, or nil when r can decide
// somewhere. With several shadowing rules, it names the last one found.
func (t *Table) shadowedBy(r *Rule, seen []*earlier) *Rule {
	var by *Rule
	for _, path := range r.paths {
		e := t.earlierAt(path, seen)
		for _, pat := range r.patterns {
			cover := e.coveredBy(pat)
			if cover == nil {
				return nil
			}
			by = cover
		}
	}
	return by
}

// earlierAt returns the candidates seen so far under path, one of the
// table's prefixes.
func (t *Table) earlierAt(path string, seen []*earlier) *earlier {
	i := t.prefixes.longest([]byte(path))
	if seen[i] == nil {
		seen[i] = &earlier{prefix: t.byPrefix[i]}
	}
	return seen[i]
}

// earlier holds the patterns of a prefix's first n candidates, the ones
// before the rule being checked. Each index holds only patterns that can
// cover a pattern of one shape, so that every pattern it finds for an origin
// sampleOrigin makes does cover that shape.
type earlier struct {
	prefix  *Prefix
	n       int          // candidates added: prefix.rules[:n]
	wild    origin.Index // wildcards, with any port or a fixed one
	wildAny origin.Index // wildcards with any port
	anyPort origin.Index // exact hosts and wildcards, with any port
}

// add records the patterns of r, the next candidate in file order.
func (e *earlier) add(r *Rule) {
	if e.n > 0 && e.prefix.rules[e.n-1] == r {
		return // r lists the prefix twice
	}
	for _, pat := range r.patterns {
		switch {
		case pat.Kind() == origin.Wildcard && pat.AnyPort():
			e.wild.Add(pat, e.n)
			e.wildAny.Add(pat, e.n)
			e.anyPort.Add(pat, e.n)
		case pat.Kind() == origin.Wildcard:
			e.wild.Add(pat, e.n)
		case pat.AnyPort():
			e.anyPort.Add(pat, e.n)
		}
	}
	e.n++
}

// coveredBy returns an earlier candidate that matches every origin pat
// matches, or nil.
func (e *earlier) coveredBy(pat origin.Pattern) *Rule {
	p := e.prefix
	if p.anyRule != nil && p.anyAt < e.n { // a "*" candidate comes first
		return p.anyRule
	}
	var i int
	var ok bool
	switch {
	case pat.Kind() == origin.Wildcard && pat.AnyPort():
		i, ok = e.wildAny.Lookup(sampleOrigin(pat))
	case pat.Kind() == origin.Wildcard:
		i, ok = e.wild.Lookup(sampleOrigin(pat))
	case pat.AnyPort():
		i, ok = e.anyPort.Lookup(sampleOrigin(pat))
	default:
		// A serialized origin (or null) is its own test case: the index
		// finds the first pattern matching it, which may come after pat.
		i, ok = p.origins.Lookup([]byte(pat.String()))
		ok = ok && i < e.n
	}
	if !ok {
		return nil
	}
	return p.rules[i]
}

// sampleOrigin returns an origin that a wildcard or any-port pattern matches,
// with the default port and a new first label: "https://*.a.com:*" gives
// "https://x.a.com". A wildcard matches it only if its suffix is a.com or a
// suffix of it ("x.a.com" itself is never probed), and an any-port exact
// pattern only if it names the same host.
func sampleOrigin(pat origin.Pattern) []byte {
	s := strings.TrimSuffix(pat.String(), ":*")
	return []byte(strings.Replace(s, "://*.", "://x.", 1))
}
