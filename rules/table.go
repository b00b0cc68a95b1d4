package rules

import (
	"cmp"
	"crypto/sha256"
	"maps"
	"slices"

	"corsedge/rules/internal/origin"
)

// A Table is a compiled rules file. It is immutable and safe for concurrent
// use; a reload builds a new Table and swaps it in whole.
type Table struct {
	rules    []*Rule
	prefixes prefixSet
	byPrefix []*Prefix // parallel to prefixes.sorted
	cache    prefixSet
	controls []string // Cache-Control values, parallel to cache.sorted
	warnings []*Problem
	files    []FileSum // when loaded by a Loader
}

// A Prefix is one path prefix of the table with the rules that list it, the
// candidates for every path whose longest matching prefix it is.
type Prefix struct {
	path  string
	rules []*Rule // candidates, in file order

	origins    origin.Index // pattern -> position in Rules; the smallest match decides
	anyRule    *Rule        // first candidate listing "*": decides requests without Origin
	anyAt      int          // anyRule's position in rules
	varyOrigin bool         // the answer depends on Origin
	corp       []byte       // first candidate's CORP, for origins no rule allows
}

// Parse parses, validates and compiles a rules file. On any error it returns
// a nil Table and every problem found, warnings included, joined in file
// order (see Problems); the warnings of a good file are on its Table. A file
// with include globs needs its path: load it with a Loader.
func Parse(src []byte) (*Table, error) {
	f := &parsedFile{key: fileKey{sum: sha256.Sum256(src)}, src: src}
	f.decode(false)
	if f.cfg != nil && len(f.cfg.include) > 0 {
		f.c.errorf(entry{}, "include", -1, "", "needs the file's path: load the file with rules.Loader (as the server and check do)")
		f.nDecode, f.faulty = len(f.c.problems), maps.Clone(f.c.faulty)
	}
	return build([]*parsedFile{f})
}

// inFileOrder orders problems by position; those without one come first.
func inFileOrder(a, b *Problem) int {
	return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
}

// compile builds the matching structures of a validated table.
func compile(rules []*Rule, cache []cacheConfig) *Table {
	t := &Table{rules: rules}
	candidates := map[string][]*Rule{}
	var paths []string
	for _, r := range rules {
		for _, p := range r.paths {
			if _, seen := candidates[p]; !seen {
				paths = append(paths, p)
			}
			if list := candidates[p]; len(list) == 0 || list[len(list)-1] != r {
				candidates[p] = append(list, r)
			}
		}
	}
	t.prefixes = newPrefixSet(paths)
	t.byPrefix = make([]*Prefix, len(t.prefixes.sorted))
	for i, p := range t.prefixes.sorted {
		t.byPrefix[i] = newPrefix(p, candidates[p])
	}
	controlOf := map[string]string{}
	var cachePaths []string
	for _, e := range cache {
		for _, p := range e.paths {
			if _, seen := controlOf[p]; !seen {
				cachePaths = append(cachePaths, p)
				controlOf[p] = e.control // the first entry listing a prefix wins
			}
		}
	}
	t.cache = newPrefixSet(cachePaths)
	for _, p := range t.cache.sorted {
		t.controls = append(t.controls, controlOf[p])
	}
	return t
}

func newPrefix(path string, rules []*Rule) *Prefix {
	p := &Prefix{path: path, rules: rules}
	for i, r := range rules {
		for _, pat := range r.patterns {
			p.origins.Add(pat, i)
		}
		if r.anyOrigin && p.anyRule == nil {
			p.anyRule, p.anyAt = r, i
		}
		if len(p.corp) == 0 {
			p.corp = r.corpValue
		}
	}
	// Only when the first candidate lists "*" does every origin, and a
	// request without one, get the same answer; otherwise caches must key
	// on Origin (Fetch standard, "CORS protocol and HTTP caches").
	p.varyOrigin = !rules[0].anyOrigin
	return p
}

// Rules returns the table's rules in file order, in a new slice.
func (t *Table) Rules() []*Rule { return slices.Clone(t.rules) }

// Path returns the prefix, as the rules list it.
func (p *Prefix) Path() string { return p.path }

// Rules returns the candidates for the prefix, in file order, in a new slice.
func (p *Prefix) Rules() []*Rule { return slices.Clone(p.rules) }

// Files returns the files the table was compiled from, main first, with
// their SHA-256; nil for a table from Parse.
func (t *Table) Files() []FileSum { return slices.Clone(t.files) }

// Warnings returns what Parse found questionable but valid.
func (t *Table) Warnings() []*Problem { return t.warnings }

// Select returns the prefix whose rules decide for path, the longest prefix
// that path starts with, or nil when none does. path must be percent-decoded
// and cleaned. Select does not allocate.
func (t *Table) Select(path []byte) *Prefix {
	if i := t.prefixes.longest(path); i >= 0 {
		return t.byPrefix[i]
	}
	return nil
}

// Match decides for a request Origin (nil or empty when the request has none)
// and a cleaned request path. It does not allocate.
func (t *Table) Match(origin, path []byte) Decision {
	p := t.Select(path)
	if p == nil {
		return Decision{}
	}
	return p.Decide(origin)
}

// CacheControl returns the Cache-Control value of the [[cache]] entry with
// the longest prefix of path, and whether one covers it.
func (t *Table) CacheControl(path []byte) (string, bool) {
	if i := t.cache.longest(path); i >= 0 {
		return t.controls[i], true
	}
	return "", false
}

// VariesByOrigin reports whether the decision depends on the request's
// Origin; when it does not (a credential-less "*" first candidate), every
// Origin, and none, gets the decision of Decide(nil).
func (p *Prefix) VariesByOrigin() bool { return p.varyOrigin }

// Decide returns the decision of the first candidate, in file order, whose
// origin patterns match origin. A request without Origin is decided as if
// its origin matched "*" alone. Decide does not allocate.
func (p *Prefix) Decide(origin []byte) Decision {
	if len(origin) == 0 {
		return Decision{prefix: p, rule: p.anyRule}
	}
	if i, ok := p.origins.Lookup(origin); ok {
		return Decision{prefix: p, rule: p.rules[i]}
	}
	return Decision{prefix: p}
}
