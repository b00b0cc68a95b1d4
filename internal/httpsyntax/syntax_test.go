package httpsyntax_test

import (
	"testing"

	"corsedge/internal/httpsyntax"
)

func TestIsToken(t *testing.T) {
	for _, tc := range []struct {
		desc string
		s    string
		want bool
	}{
		{"method", "GET", true},
		{"header name", "x-request-id", true},
		{"all specials", "!#$%&'*+-.^_`|~", true},
		{"empty", "", false},
		{"space", "a b", false},
		{"separator", "a:b", false},
		{"comma", "a,b", false},
		{"control", "a\x00", false},
		{"non-ASCII", "é", false},
	} {
		if got := httpsyntax.IsToken(tc.s); got != tc.want {
			t.Errorf("%s: IsToken(%q) = %v, want %v", tc.desc, tc.s, got, tc.want)
		}
	}
}

func TestTrimOWSAndCut(t *testing.T) {
	for _, tc := range []struct {
		desc, in, before, after string
	}{
		{"plain", "a,b", "a", "b"},
		{"spaces and tabs", " \ta \t,b", "a", "b"},
		{"no separator", " a ", "a", ""},
		{"empty", "", "", ""},
	} {
		before, after := httpsyntax.Cut(tc.in, ',')
		if got := httpsyntax.TrimOWS(before); got != tc.before || after != tc.after {
			t.Errorf("%s: Cut+TrimOWS(%q) = %q, %q; want %q, %q", tc.desc, tc.in, got, after, tc.before, tc.after)
		}
	}
}

func TestEqualFold(t *testing.T) {
	for _, tc := range []struct {
		desc, a, b string
		want       bool
	}{
		{"same", "gzip", "gzip", true},
		{"case", "GZip", "gzip", true},
		{"length", "gzip", "gzi", false},
		{"not letters", "a-1", "A-1", true},
		{"near letters", "[", "{", false},
	} {
		if got := httpsyntax.EqualFold(tc.a, tc.b); got != tc.want {
			t.Errorf("%s: EqualFold(%q, %q) = %v", tc.desc, tc.a, tc.b, got)
		}
	}
}
