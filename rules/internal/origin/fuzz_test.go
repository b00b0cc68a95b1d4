package origin_test

import (
	"strings"
	"testing"

	"corsedge/rules/internal/origin"
)

func FuzzParsePattern(f *testing.F) {
	for _, tc := range validPatterns {
		f.Add(tc.in)
	}
	for _, tc := range invalidPatterns {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := origin.ParsePattern(s)
		if err != nil {
			return
		}
		again, err := origin.ParsePattern(p.String())
		if err != nil || again != p {
			t.Fatalf("ParsePattern(%q).String() = %q re-parses to %v, %v", s, p.String(), again, err)
		}
		if !p.Covers(p) {
			t.Errorf("%q does not cover itself", s)
		}
		var ix origin.Index
		ix.Add(p, 7)
		var sample string // an origin p must match
		switch {
		case p.Kind() == origin.Exact && !p.AnyPort():
			sample = p.String()
		case p.Kind() == origin.Wildcard && !p.AnyPort():
			sample = strings.Replace(p.String(), "*", "x", 1)
		default:
			return
		}
		if prio, ok := ix.Lookup([]byte(sample)); !ok || prio != 7 {
			t.Errorf("index holding only %q: Lookup(%q) = %d, %v", p, sample, prio, ok)
		}
	})
}

// fuzzPatterns are what FuzzLookup's index holds: every valid pattern of
// the tables except Any, so that the index matches only well-formed origins.
func fuzzPatterns(t testing.TB) []origin.Pattern {
	var ps []origin.Pattern
	for _, tc := range validPatterns {
		if tc.kind != origin.Any {
			ps = append(ps, mustParse(t, tc.in))
		}
	}
	return ps
}

func FuzzLookup(f *testing.F) {
	for _, tc := range lookupCases {
		f.Add(tc.origin)
	}
	patterns := fuzzPatterns(f)
	var ix origin.Index
	for i, p := range patterns {
		ix.Add(p, i)
	}
	f.Fuzz(func(t *testing.T, s string) {
		prio, ok := ix.Lookup([]byte(s))
		if want, wantOK := slowLookup(patterns, s); prio != want || ok != wantOK {
			t.Fatalf("Lookup(%q) = %d, %v; a scan with Covers says %d, %v", s, prio, ok, want, wantOK)
		}
		if !ok {
			return
		}
		_, rest, _ := strings.Cut(s, "://")
		if strings.ContainsAny(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") || strings.ContainsAny(rest, "/@") || strings.HasSuffix(s, ".") {
			t.Fatalf("Lookup(%q) matched %s, but that is no serialized origin", s, patterns[prio])
		}
	})
}

// slowLookup is Lookup by a scan: a serialized origin is itself an Exact
// pattern whose String() is the origin, and p matches it when p covers it.
func slowLookup(patterns []origin.Pattern, s string) (int, bool) {
	q, err := origin.ParsePattern(s)
	valid := err == nil && (q.Kind() == origin.Null ||
		q.Kind() == origin.Exact && !q.AnyPort() && q.String() == s)
	for i, p := range patterns { // in priority order, so the first wins
		if s != "" && (p.Kind() == origin.Any || valid && p.Covers(q)) {
			return i, true
		}
	}
	return 0, false
}
