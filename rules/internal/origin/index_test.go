package origin_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"corsedge/rules/internal/origin"
)

// Pattern sets for lookupCases; a pattern's priority is its position.
var (
	exactSet    = []string{"https://a.com", "https://a.com:8443", "http://[::1]", "https://10.0.0.1"}
	wildSet     = []string{"https://*.example.com"}
	wildPortSet = []string{"https://*.example.com:8443", "https://*.example.org:*"}
	anyPortSet  = []string{"http://localhost:*", "http://[::1]:*", "http://127.0.0.1:*"}
	nullSet     = []string{"null"}
	anySet      = []string{"*"}
	mixedSet    = []string{"https://*.example.com", "https://a.example.com", "*", "https://*.a.example.com"}
)

// lookupCases hold the request origins a table must (not) match. want is
// the matching priority, or -1 for no match.
var lookupCases = []struct {
	desc     string
	patterns []string
	origin   string
	want     int
}{
	{desc: "exact", patterns: exactSet, origin: "https://a.com", want: 0},
	{desc: "exact port", patterns: exactSet, origin: "https://a.com:8443", want: 1},
	{desc: "exact ipv6", patterns: exactSet, origin: "http://[::1]", want: 2},
	{desc: "exact ipv4", patterns: exactSet, origin: "https://10.0.0.1", want: 3},
	{desc: "exact other port", patterns: exactSet, origin: "https://a.com:8080", want: -1},
	{desc: "exact scheme swap", patterns: exactSet, origin: "http://a.com", want: -1},
	{desc: "exact explicit default port", patterns: exactSet, origin: "https://a.com:443", want: -1},
	{desc: "exact leading-zero port", patterns: exactSet, origin: "https://a.com:08443", want: -1},
	{desc: "exact port 65536", patterns: exactSet, origin: "https://a.com:65536", want: -1},
	{desc: "exact uppercase host", patterns: exactSet, origin: "https://A.com", want: -1},
	{desc: "exact uppercase scheme", patterns: exactSet, origin: "HTTPS://a.com", want: -1},
	{desc: "exact userinfo", patterns: exactSet, origin: "https://user@a.com", want: -1},
	{desc: "exact trailing slash", patterns: exactSet, origin: "https://a.com/", want: -1},
	{desc: "exact path", patterns: exactSet, origin: "https://a.com/x", want: -1},
	{desc: "exact trailing dot", patterns: exactSet, origin: "https://a.com.", want: -1},
	{desc: "exact look-alike", patterns: exactSet, origin: "https://a.com.evil.net", want: -1},
	{desc: "exact prefix", patterns: exactSet, origin: "https://aa.com", want: -1},
	{desc: "exact whitespace", patterns: exactSet, origin: " https://a.com", want: -1},
	{desc: "exact trailing whitespace", patterns: exactSet, origin: "https://a.com ", want: -1},
	{desc: "exact null", patterns: exactSet, origin: "null", want: -1},
	{desc: "exact empty", patterns: exactSet, origin: "", want: -1},
	{desc: "exact other scheme", patterns: exactSet, origin: "ftp://a.com", want: -1},
	{desc: "exact no scheme", patterns: exactSet, origin: "a.com", want: -1},
	{desc: "exact ipv6 long form", patterns: exactSet, origin: "http://[0:0:0:0:0:0:0:1]", want: -1},
	{desc: "exact ipv4 leading zero", patterns: exactSet, origin: "https://010.0.0.1", want: -1},

	{desc: "wildcard one label", patterns: wildSet, origin: "https://a.example.com", want: 0},
	{desc: "wildcard two labels", patterns: wildSet, origin: "https://a.b.example.com", want: 0},
	{desc: "wildcard punycode label", patterns: wildSet, origin: "https://xn--bcher-kva.example.com", want: 0},
	{desc: "wildcard apex", patterns: wildSet, origin: "https://example.com", want: -1},
	{desc: "wildcard look-alike", patterns: wildSet, origin: "https://evilexample.com", want: -1},
	{desc: "wildcard suffix host", patterns: wildSet, origin: "https://example.com.evil.net", want: -1},
	{desc: "wildcard apex trailing dot", patterns: wildSet, origin: "https://example.com.", want: -1},
	{desc: "wildcard trailing dot", patterns: wildSet, origin: "https://a.example.com.", want: -1},
	{desc: "wildcard scheme swap", patterns: wildSet, origin: "http://a.example.com", want: -1},
	{desc: "wildcard port", patterns: wildSet, origin: "https://a.example.com:8443", want: -1},
	{desc: "wildcard explicit default port", patterns: wildSet, origin: "https://a.example.com:443", want: -1},
	{desc: "wildcard uppercase label", patterns: wildSet, origin: "https://A.example.com", want: -1},
	{desc: "wildcard uppercase suffix", patterns: wildSet, origin: "https://a.Example.com", want: -1},
	{desc: "wildcard empty label", patterns: wildSet, origin: "https://.example.com", want: -1},
	{desc: "wildcard double dot", patterns: wildSet, origin: "https://a..example.com", want: -1},
	{desc: "wildcard userinfo", patterns: wildSet, origin: "https://user@a.example.com", want: -1},
	{desc: "wildcard userinfo host", patterns: wildSet, origin: "https://a.example.com@evil.net", want: -1},
	{desc: "wildcard path", patterns: wildSet, origin: "https://a.example.com/", want: -1},
	{desc: "wildcard underscore", patterns: wildSet, origin: "https://a_b.example.com", want: -1},
	{desc: "wildcard hyphen label", patterns: wildSet, origin: "https://-a.example.com", want: -1},
	{desc: "wildcard star", patterns: wildSet, origin: "https://*.example.com", want: -1},
	{desc: "wildcard encoded dot", patterns: wildSet, origin: "https://a%2eexample.com", want: -1},
	{desc: "wildcard backslash", patterns: wildSet, origin: `https://a\.example.com`, want: -1},
	{desc: "wildcard too long", patterns: wildSet, origin: "https://" + strings.Repeat("a.", 300) + "example.com", want: -1},
	{desc: "wildcard explicit port match", patterns: wildPortSet, origin: "https://a.example.com:8443", want: 0},
	{desc: "wildcard explicit port, none sent", patterns: wildPortSet, origin: "https://a.example.com", want: -1},
	{desc: "wildcard explicit port, other", patterns: wildPortSet, origin: "https://a.example.com:9443", want: -1},
	{desc: "wildcard any port", patterns: wildPortSet, origin: "https://a.example.org:9443", want: 1},
	{desc: "wildcard any port, none sent", patterns: wildPortSet, origin: "https://a.b.example.org", want: 1},
	{desc: "wildcard any port, default spelled", patterns: wildPortSet, origin: "https://a.example.org:443", want: -1},
	{desc: "wildcard any port, leading zero", patterns: wildPortSet, origin: "https://a.example.org:0443", want: -1},
	{desc: "wildcard any port, empty port", patterns: wildPortSet, origin: "https://a.example.org:", want: -1},
	{desc: "wildcard any port, apex", patterns: wildPortSet, origin: "https://example.org:9443", want: -1},

	{desc: "any port", patterns: anyPortSet, origin: "http://localhost:3000", want: 0},
	{desc: "any port, none sent", patterns: anyPortSet, origin: "http://localhost", want: 0},
	{desc: "any port ipv6", patterns: anyPortSet, origin: "http://[::1]:8080", want: 1},
	{desc: "any port ipv4", patterns: anyPortSet, origin: "http://127.0.0.1:65535", want: 2},
	{desc: "any port, default spelled", patterns: anyPortSet, origin: "http://localhost:80", want: -1},
	{desc: "any port, port 0", patterns: anyPortSet, origin: "http://localhost:0", want: -1},
	{desc: "any port, 65536", patterns: anyPortSet, origin: "http://localhost:65536", want: -1},
	{desc: "any port, leading zero", patterns: anyPortSet, origin: "http://localhost:03000", want: -1},
	{desc: "any port, star", patterns: anyPortSet, origin: "http://localhost:*", want: -1},
	{desc: "any port, path", patterns: anyPortSet, origin: "http://localhost:3000/", want: -1},
	{desc: "any port, scheme swap", patterns: anyPortSet, origin: "https://localhost:3000", want: -1},
	{desc: "any port, subdomain", patterns: anyPortSet, origin: "http://a.localhost:3000", want: -1},
	{desc: "any port, ipv6 junk", patterns: anyPortSet, origin: "http://[::1]x:80", want: -1},

	{desc: "null", patterns: nullSet, origin: "null", want: 0},
	{desc: "null uppercase", patterns: nullSet, origin: "NULL", want: -1},
	{desc: "null padded", patterns: nullSet, origin: "null ", want: -1},
	{desc: "null empty", patterns: nullSet, origin: "", want: -1},
	{desc: "null exact", patterns: nullSet, origin: "https://a.com", want: -1},

	{desc: "any exact", patterns: anySet, origin: "https://a.com", want: 0},
	{desc: "any null", patterns: anySet, origin: "null", want: 0},
	{desc: "any malformed", patterns: anySet, origin: "HTTPS://A.COM:0443/x", want: 0},
	{desc: "any very long", patterns: anySet, origin: strings.Repeat("x", 10000), want: 0},
	{desc: "any empty", patterns: anySet, origin: "", want: -1},

	{desc: "smallest of wildcard, exact and any", patterns: mixedSet, origin: "https://a.example.com", want: 0},
	{desc: "smallest of nested wildcards", patterns: mixedSet, origin: "https://b.a.example.com", want: 0},
	{desc: "any below exact", patterns: []string{"*", "https://a.com"}, origin: "https://a.com", want: 0},
	{desc: "exact below wildcard", patterns: []string{"https://a.example.com", "https://*.example.com"}, origin: "https://a.example.com", want: 0},
	{desc: "inner wildcard below outer", patterns: []string{"https://*.a.example.com", "https://*.example.com"}, origin: "https://b.a.example.com", want: 0},
	{desc: "any port below exact", patterns: []string{"http://localhost:*", "http://localhost:3000"}, origin: "http://localhost:3000", want: 0},
	{desc: "wildcard any port below port", patterns: []string{"https://*.example.com:*", "https://*.example.com:8443"}, origin: "https://a.example.com:8443", want: 0},
	{desc: "null below any", patterns: []string{"null", "*"}, origin: "null", want: 0},
	{desc: "any below null", patterns: []string{"*", "null"}, origin: "null", want: 0},
	{desc: "any for malformed", patterns: mixedSet, origin: "https://A.example.com", want: 2},
	{desc: "duplicate keeps smaller", patterns: []string{"https://b.com", "https://a.com:443", "https://a.com"}, origin: "https://a.com", want: 1},
}

func TestLookup(t *testing.T) {
	for _, tc := range lookupCases {
		ix := newIndex(t, tc.patterns)
		prio, ok := ix.Lookup([]byte(tc.origin))
		if !ok {
			prio = -1
		}
		if prio != tc.want {
			t.Errorf("%s: Lookup(%q) in %q = %d, want %d", tc.desc, tc.origin, tc.patterns, prio, tc.want)
		}
	}
}

func TestZeroIndex(t *testing.T) {
	var ix origin.Index
	if prio, ok := ix.Lookup([]byte("https://a.com")); ok {
		t.Errorf("zero Index matched with priority %d", prio)
	}
}

func TestLookupAllocs(t *testing.T) {
	ix := newIndex(t, []string{"https://a.com", "https://*.example.com", "http://localhost:*", "https://*.example.org:*", "null"})
	for _, tc := range []struct{ desc, origin string }{
		{desc: "exact", origin: "https://a.com"},
		{desc: "any port", origin: "http://localhost:3000"},
		{desc: "wildcard", origin: "https://a.b.example.com"},
		{desc: "wildcard any port", origin: "https://a.example.org:8443"},
		{desc: "null", origin: "null"},
		{desc: "miss", origin: "https://nobody.example.net"},
		{desc: "malformed", origin: "HTTPS://A.example.com:0443/x"},
		{desc: "too long", origin: "https://" + strings.Repeat("a", 600)},
	} {
		b := []byte(tc.origin)
		if n := testing.AllocsPerRun(100, func() { ix.Lookup(b) }); n != 0 {
			t.Errorf("%s: Lookup(%q) allocates %v times, want 0", tc.desc, tc.origin, n)
		}
	}
}

// newIndex adds patterns with their position as priority.
func newIndex(t testing.TB, patterns []string) *origin.Index {
	t.Helper()
	var ix origin.Index
	for i, s := range patterns {
		ix.Add(mustParse(t, s), i)
	}
	return &ix
}

// TestLookupManyPatterns repeats lookupCases on indexes past the size an
// Index scans, padded with patterns that match none of the origins, so that
// both of its forms answer alike.
func TestLookupManyPatterns(t *testing.T) {
	var filler []string
	for i := range 10 {
		filler = append(filler, fmt.Sprintf("https://filler%d.test", i), fmt.Sprintf("http://*.filler%d.test:*", i))
	}
	for _, tc := range lookupCases {
		ix := newIndex(t, append(slices.Clone(tc.patterns), filler...))
		prio, ok := ix.Lookup([]byte(tc.origin))
		if !ok {
			prio = -1
		}
		if prio != tc.want {
			t.Errorf("%s: Lookup(%q) in %q and %d more = %d, want %d", tc.desc, tc.origin, tc.patterns, len(filler), prio, tc.want)
		}
	}
}

// TestLookupGrowKeepsSmaller adds a pattern again after the index outgrew
// its scanned form: the smaller priority, given first, still wins.
func TestLookupGrowKeepsSmaller(t *testing.T) {
	var ix origin.Index
	ix.Add(mustParse(t, "https://a.com"), 0)
	for i := range 20 {
		ix.Add(mustParse(t, fmt.Sprintf("https://s%d.com", i)), i+1)
	}
	ix.Add(mustParse(t, "https://a.com"), 30)
	if prio, ok := ix.Lookup([]byte("https://a.com")); !ok || prio != 0 {
		t.Errorf("Lookup(https://a.com) = %d, %v, want 0, true", prio, ok)
	}
}

// TestLookupLargePriority gives a priority past int32, which the scanned
// form does not hold: it is kept whole.
func TestLookupLargePriority(t *testing.T) {
	var ix origin.Index
	ix.Add(mustParse(t, "https://b.com"), 0)
	ix.Add(mustParse(t, "https://a.com"), 1<<40)
	if prio, ok := ix.Lookup([]byte("https://a.com")); !ok || prio != 1<<40 {
		t.Errorf("Lookup(https://a.com) = %d, %v, want %d, true", prio, ok, 1<<40)
	}
}
