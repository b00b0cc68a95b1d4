package rules_test

import (
	"slices"
	"strings"
	"testing"

	"corsedge/rules"
)

// actualCases hold DESIGN.md "Responses" for actual requests against
// testdata/match.toml: the exact header set WriteActual produces.
var actualCases = []struct {
	desc, path, origin string
	want               []string
}{
	{"* rule: ACAO *, TAO * and CORP", "/fonts/a.woff2", "https://site.test",
		[]string{"Access-Control-Allow-Origin: *", "Timing-Allow-Origin: *", "Cross-Origin-Resource-Policy: cross-origin"}},
	{"* rule without Origin: the same", "/fonts/a.woff2", "",
		[]string{"Access-Control-Allow-Origin: *", "Timing-Allow-Origin: *", "Cross-Origin-Resource-Policy: cross-origin"}},
	{"* rule with null: ACAO *, not null", "/fonts/a.woff2", "null",
		[]string{"Access-Control-Allow-Origin: *", "Timing-Allow-Origin: *", "Cross-Origin-Resource-Policy: cross-origin"}},
	{"* rule without timing or corp: ACAO alone", "/js/app.js", "https://site.test",
		[]string{"Access-Control-Allow-Origin: *"}},
	{"credentials: reflected ACAO, ACAC, ACEH, TAO equal to ACAO", "/js/v2/app.js", "https://app.example.com",
		[]string{
			"Access-Control-Allow-Origin: https://app.example.com",
			"Access-Control-Allow-Credentials: true",
			"Access-Control-Expose-Headers: ETag, X-Trace",
			"Timing-Allow-Origin: https://app.example.com",
		}},
	{"refused origin, no CORP: nothing", "/js/v2/app.js", "https://evil.test", nil},
	{"no Origin, no * candidate, no CORP: nothing", "/js/v2/app.js", "", nil},
	{"reflected ACAO without credentials: no ACAC; CORP of the prefix", "/api/x", "https://app.example.com",
		[]string{"Access-Control-Allow-Origin: https://app.example.com", "Cross-Origin-Resource-Policy: same-site"}},
	{"refused origin still gets CORP", "/api/x", "https://evil.test",
		[]string{"Cross-Origin-Resource-Policy: same-site"}},
	{"no Origin still gets CORP", "/api/x", "",
		[]string{"Cross-Origin-Resource-Policy: same-site"}},
	{"explicit null reflected", "/api/x", "null",
		[]string{"Access-Control-Allow-Origin: null", "Cross-Origin-Resource-Policy: same-site"}},
	{"credentialed partner: no TAO without timing; CORP of the path", "/lib/x.js", "https://partner.example",
		[]string{
			"Access-Control-Allow-Origin: https://partner.example",
			"Access-Control-Allow-Credentials: true",
			"Access-Control-Expose-Headers: etag",
			"Cross-Origin-Resource-Policy: cross-origin",
		}},
	{"others on the partner's path: the later * rule", "/lib/x.js", "https://other.test",
		[]string{"Access-Control-Allow-Origin: *", "Timing-Allow-Origin: *", "Cross-Origin-Resource-Policy: cross-origin"}},
	{"no Origin on the partner's path: the later * rule", "/lib/x.js", "",
		[]string{"Access-Control-Allow-Origin: *", "Timing-Allow-Origin: *", "Cross-Origin-Resource-Policy: cross-origin"}},
	{"no prefix: nothing", "/img/x.png", "https://site.test", nil},
}

func TestWriteActual(t *testing.T) {
	table := mustParse(t, fixture(t, "match.toml"))
	for _, c := range actualCases {
		t.Run(c.desc, func(t *testing.T) {
			var h recorder
			table.Match([]byte(c.origin), []byte(c.path)).WriteActual(&h, []byte(c.origin))
			if got, want := h.fields(), sortedFields(c.want...); !slices.Equal(got, want) {
				t.Errorf("WriteActual(%q) on %s wrote\n\t%s\nwant\n\t%s", c.origin, c.path,
					strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
			}
			checkHeaderSet(t, h)
		})
	}
}

// checkHeaderSet holds what every response must satisfy: each header at most
// once, Timing-Allow-Origin equal to ACAO, and never ACAO * with ACAC.
func checkHeaderSet(t *testing.T, h recorder) {
	t.Helper()
	seen := map[string]string{}
	for _, kv := range h {
		if _, dup := seen[kv[0]]; dup {
			t.Errorf("%s set twice", kv[0])
		}
		seen[kv[0]] = kv[1]
	}
	if tao, ok := seen[rules.HeaderTimingAllowOrigin]; ok && tao != seen[rules.HeaderAllowOrigin] {
		t.Errorf("Timing-Allow-Origin %q differs from ACAO %q", tao, seen[rules.HeaderAllowOrigin])
	}
	if seen[rules.HeaderAllowOrigin] == "*" && seen[rules.HeaderAllowCredentials] != "" {
		t.Error("ACAO * with Access-Control-Allow-Credentials")
	}
}

// preflightCases hold DESIGN.md "Responses" and "Fine points" for preflights
// against testdata/match.toml: the Refusal, and for an accepted preflight the
// exact header set WritePreflight produces (Vary is the caller's).
var preflightCases = []struct {
	desc, path, origin, method, acrh string
	more                             []string // Access-Control-Request-Headers lines after acrh
	pna                              bool     // Access-Control-Request-Private-Network: true
	refusal                          rules.Refusal
	want                             []string
}{
	{desc: "* rule: ACAO *, methods GET and HEAD, no ACAH, max_age from the defaults",
		path: "/fonts/a", origin: "https://site.test", method: "GET",
		want: []string{
			"Access-Control-Allow-Origin: *",
			"Access-Control-Allow-Methods: GET, HEAD",
			"Access-Control-Max-Age: 7200",
			"Timing-Allow-Origin: *",
		}},
	{desc: "credentials: reflected origin, the rule's whole lists, lowercase headers",
		path: "/js/v2/app.js", origin: "https://app.example.com", method: "POST", acrh: "content-type,x-request-id",
		want: []string{
			"Access-Control-Allow-Origin: https://app.example.com",
			"Access-Control-Allow-Credentials: true",
			"Access-Control-Allow-Methods: GET, HEAD, POST, PUT",
			"Access-Control-Allow-Headers: content-type, x-request-id",
			"Access-Control-Max-Age: 600",
			"Timing-Allow-Origin: https://app.example.com",
		}},
	{desc: "header names are case-insensitive, spaces around commas allowed",
		path: "/js/v2/app.js", origin: "https://app.example.com", method: "PUT", acrh: " X-Request-ID ,\tContent-Type ",
		want: []string{
			"Access-Control-Allow-Origin: https://app.example.com",
			"Access-Control-Allow-Credentials: true",
			"Access-Control-Allow-Methods: GET, HEAD, POST, PUT",
			"Access-Control-Allow-Headers: content-type, x-request-id",
			"Access-Control-Max-Age: 600",
			"Timing-Allow-Origin: https://app.example.com",
		}},
	{desc: "empty list elements ignored", path: "/js/v2/app.js", origin: "https://app.example.com", method: "GET", acrh: ", ,content-type,,",
		want: []string{
			"Access-Control-Allow-Origin: https://app.example.com",
			"Access-Control-Allow-Credentials: true",
			"Access-Control-Allow-Methods: GET, HEAD, POST, PUT",
			"Access-Control-Allow-Headers: content-type, x-request-id",
			"Access-Control-Max-Age: 600",
			"Timing-Allow-Origin: https://app.example.com",
		}},
	{desc: "headers *: ACAH *, max_age 0 sent as 0, private network allowed and asked",
		path: "/api/x", origin: "https://app.example.com", method: "DELETE", acrh: "x-anything, content-type", pna: true,
		want: []string{
			"Access-Control-Allow-Origin: https://app.example.com",
			"Access-Control-Allow-Methods: GET, HEAD, DELETE",
			"Access-Control-Allow-Headers: *",
			"Access-Control-Max-Age: 0",
			"Access-Control-Allow-Private-Network: true",
		}},
	{desc: "private network allowed but not asked: no ACAPN",
		path: "/api/x", origin: "https://app.example.com", method: "GET",
		want: []string{
			"Access-Control-Allow-Origin: https://app.example.com",
			"Access-Control-Allow-Methods: GET, HEAD, DELETE",
			"Access-Control-Allow-Headers: *",
			"Access-Control-Max-Age: 0",
		}},
	{desc: "headers * never covers authorization", path: "/api/x", origin: "https://app.example.com", method: "GET",
		acrh: "x-a, Authorization", refusal: rules.RefusedHeaders},
	{desc: "headers *, authorization listed: ACAH *, authorization",
		path: "/api/x", origin: "null", method: "GET", acrh: "authorization, x-a",
		want: []string{
			"Access-Control-Allow-Origin: null",
			"Access-Control-Allow-Methods: GET, HEAD",
			"Access-Control-Allow-Headers: *, authorization",
			"Access-Control-Max-Age: 7200",
		}},
	{desc: "refused: no rule covers the path", path: "/img/x", origin: "https://app.example.com", method: "GET",
		refusal: rules.RefusedPath},
	{desc: "refused: origin", path: "/js/v2/app.js", origin: "https://evil.test", method: "GET",
		refusal: rules.RefusedOrigin},
	{desc: "refused: origin, though the shorter prefix allows any", path: "/js/v2/app.js", origin: "https://other.test", method: "GET",
		refusal: rules.RefusedOrigin},
	{desc: "refused: unlisted method", path: "/js/v2/app.js", origin: "https://app.example.com", method: "PATCH",
		refusal: rules.RefusedMethod},
	{desc: "refused: empty method", path: "/js/v2/app.js", origin: "https://app.example.com", method: "",
		refusal: rules.RefusedMethod},
	{desc: "refused: method not a token", path: "/fonts/a", origin: "https://site.test", method: "GET /",
		refusal: rules.RefusedMethod},
	{desc: "refused: method of a non-ASCII byte", path: "/fonts/a", origin: "https://site.test", method: "G\xc3\x89T",
		refusal: rules.RefusedMethod},
	{desc: "refused: unlisted header", path: "/js/v2/app.js", origin: "https://app.example.com", method: "GET", acrh: "content-type,x-other",
		refusal: rules.RefusedHeaders},
	{desc: "refused: authorization not listed", path: "/js/v2/app.js", origin: "https://app.example.com", method: "GET", acrh: "authorization",
		refusal: rules.RefusedHeaders},
	{desc: "refused: any header where none is allowed", path: "/fonts/a", origin: "https://site.test", method: "GET", acrh: "x-a",
		refusal: rules.RefusedHeaders},
	{desc: "refused: header name not a token", path: "/api/x", origin: "https://app.example.com", method: "GET", acrh: "x a",
		refusal: rules.RefusedHeaders},
	{desc: "refused: 10,000 commas", path: "/api/x", origin: "https://app.example.com", method: "GET", acrh: strings.Repeat(",", 10000),
		refusal: rules.RefusedHeaders},
	{desc: "refused: a very long header name", path: "/api/x", origin: "https://app.example.com", method: "GET", acrh: strings.Repeat("x", 10000),
		refusal: rules.RefusedHeaders},
	{desc: "private network asked, not allowed: accepted without ACAPN (Chrome 142 dropped PNA preflights)",
		path: "/js/v2/app.js", origin: "https://app.example.com", method: "GET", pna: true,
		want: []string{
			"Access-Control-Allow-Origin: https://app.example.com",
			"Access-Control-Allow-Credentials: true",
			"Access-Control-Allow-Methods: GET, HEAD, POST, PUT",
			"Access-Control-Allow-Headers: content-type, x-request-id",
			"Access-Control-Max-Age: 600",
			"Timing-Allow-Origin: https://app.example.com",
		}},
	{desc: "private network asked on a * rule: accepted without ACAPN", path: "/fonts/a", origin: "https://site.test", method: "GET", pna: true,
		want: []string{
			"Access-Control-Allow-Origin: *",
			"Access-Control-Allow-Methods: GET, HEAD",
			"Access-Control-Max-Age: 7200",
			"Timing-Allow-Origin: *",
		}},
	{desc: "several lines, each allowed: accepted", path: "/js/v2/app.js", origin: "https://app.example.com", method: "GET",
		acrh: "content-type", more: []string{"X-Request-ID", ""},
		want: []string{
			"Access-Control-Allow-Origin: https://app.example.com",
			"Access-Control-Allow-Credentials: true",
			"Access-Control-Allow-Methods: GET, HEAD, POST, PUT",
			"Access-Control-Allow-Headers: content-type, x-request-id",
			"Access-Control-Max-Age: 600",
			"Timing-Allow-Origin: https://app.example.com",
		}},
	{desc: "refused: a later line holds an unlisted header", path: "/js/v2/app.js", origin: "https://app.example.com", method: "GET",
		acrh: "content-type", more: []string{"x-request-id", "x-other"}, refusal: rules.RefusedHeaders},
	{desc: "MaxHeaderLines lines, each allowed: accepted", path: "/api/x", origin: "https://app.example.com", method: "GET",
		acrh: "x-a", more: []string{"x-b", "x-c", "x-d", "x-e", "x-f", "x-g", "x-h"},
		want: []string{
			"Access-Control-Allow-Origin: https://app.example.com",
			"Access-Control-Allow-Methods: GET, HEAD, DELETE",
			"Access-Control-Allow-Headers: *",
			"Access-Control-Max-Age: 0",
		}},
	{desc: "refused: one line more than MaxHeaderLines, even if each is allowed", path: "/api/x", origin: "https://app.example.com", method: "GET",
		acrh: "x-a", more: []string{"x-b", "x-c", "x-d", "x-e", "x-f", "x-g", "x-h", "x-i"}, refusal: rules.RefusedHeaderLines},
	{desc: "method checked before headers", path: "/js/v2/app.js", origin: "https://app.example.com", method: "PATCH", acrh: "x-other",
		refusal: rules.RefusedMethod},
}

func TestPreflight(t *testing.T) {
	table := mustParse(t, fixture(t, "match.toml"))
	for _, c := range preflightCases {
		t.Run(c.desc, func(t *testing.T) {
			d := table.Match([]byte(c.origin), []byte(c.path))
			lines := [][]byte{[]byte(c.acrh)}
			for _, l := range c.more {
				lines = append(lines, []byte(l))
			}
			got := d.Preflight([]byte(c.method), lines)
			if got != c.refusal {
				t.Fatalf("Preflight(%q, %.40q, %v) = %v, want %v", c.method, c.acrh, c.more, got, c.refusal)
			}
			if got != rules.Accepted {
				return
			}
			var h recorder
			d.WritePreflight(&h, []byte(c.origin), c.pna)
			if got, want := h.fields(), sortedFields(c.want...); !slices.Equal(got, want) {
				t.Errorf("WritePreflight wrote\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
			}
			checkHeaderSet(t, h)
		})
	}
}

// TestWriteRefused holds "Refused: 403 with no CORS headers": a Decision
// without a rule writes nothing for a preflight, whatever the caller asks.
func TestWriteRefused(t *testing.T) {
	table := mustParse(t, fixture(t, "match.toml"))
	for _, path := range []string{"/api/x", "/img/x", "/js/v2/app.js"} {
		var h recorder
		table.Match([]byte("https://evil.test"), []byte(path)).WritePreflight(&h, []byte("https://evil.test"), true)
		if len(h) != 0 {
			t.Errorf("%s: refused origin got preflight headers %q", path, h.fields())
		}
	}
}

func TestAllowHeadersList(t *testing.T) {
	for _, c := range []struct {
		desc, headers, want string
	}{
		{"no headers: ACAH omitted", ``, ""},
		{"empty list: ACAH omitted", `headers = []`, ""},
		{"names lowercased, in order", `headers = ["X-B", "x-a"]`, "x-b, x-a"},
		{"* alone", `headers = ["*"]`, "*"},
		{"* with authorization listed", `headers = ["*", "Authorization"]`, "*, authorization"},
		{"authorization alone", `headers = ["authorization"]`, "authorization"},
	} {
		table := mustParse(t, oneRule(`"*"`, c.headers))
		var h recorder
		table.Match([]byte("https://a.com"), []byte("/a/")).WritePreflight(&h, []byte("https://a.com"), false)
		got := ""
		for _, kv := range h {
			if kv[0] == rules.HeaderAllowHeaders {
				got = kv[1]
			}
		}
		if got != c.want {
			t.Errorf("%s: %s: ACAH %q, want %q", c.desc, c.headers, got, c.want)
		}
	}
}

func TestAllowMethodsAndMaxAge(t *testing.T) {
	for _, c := range []struct {
		desc, keys, methods, maxAge string
	}{
		{"defaults", ``, "GET, HEAD", "7200"},
		{"GET and HEAD first, each once", `methods = ["POST", "HEAD", "GET", "POST"]`, "GET, HEAD, POST", "7200"},
		{"an empty list still allows GET and HEAD", `methods = []`, "GET, HEAD", "7200"},
		{"* stands alone", `methods = ["*", "POST"]`, "*", "7200"},
		{"max_age 0 sent as 0", `max_age = 0`, "GET, HEAD", "0"},
		{"max_age as a duration", `max_age = "1h30m"`, "GET, HEAD", "5400"},
		{"max_age over 2h sent as written", `max_age = "24h"`, "GET, HEAD", "86400"},
		{"max_age in seconds", `max_age = 600`, "GET, HEAD", "600"},
	} {
		table := mustParse(t, oneRule(`"*"`, c.keys))
		var h recorder
		table.Match([]byte("https://a.com"), []byte("/a/")).WritePreflight(&h, []byte("https://a.com"), false)
		got := map[string]string{}
		for _, kv := range h {
			got[kv[0]] = kv[1]
		}
		if got[rules.HeaderAllowMethods] != c.methods || got[rules.HeaderMaxAge] != c.maxAge {
			t.Errorf("%s: %s: ACAM %q, ACMA %q; want %q, %q", c.desc, c.keys,
				got[rules.HeaderAllowMethods], got[rules.HeaderMaxAge], c.methods, c.maxAge)
		}
	}
}

func TestRefusalString(t *testing.T) {
	for r, want := range map[rules.Refusal]string{
		rules.Accepted:           "accepted",
		rules.RefusedPath:        "no rule covers this path",
		rules.RefusedOrigin:      "origin not allowed",
		rules.RefusedMethod:      "method not allowed",
		rules.RefusedHeaders:     "request header not allowed",
		rules.RefusedHeaderLines: "too many Access-Control-Request-Headers lines",
	} {
		if got := r.String(); got != want {
			t.Errorf("Refusal(%d).String() = %q, want %q", r, got, want)
		}
	}
}

// TestDecisionIsCacheable holds that a Decision keeps no request bytes: the
// edge caches it by origin, then reuses the buffer the Origin came in.
func TestDecisionIsCacheable(t *testing.T) {
	table := mustParse(t, fixture(t, "match.toml"))
	origin := []byte("https://app.example.com")
	d := table.Match(origin, []byte("/js/v2/app.js"))
	copy(origin, "https://evil.example.com")
	var h recorder
	d.WriteActual(&h, []byte("https://app.example.com"))
	if !d.Allowed() || !slices.Contains(h.fields(), "Access-Control-Allow-Origin: https://app.example.com") {
		t.Errorf("decision changed with the request buffer: %q", h.fields())
	}
}
