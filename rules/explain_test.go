package rules_test

import (
	"slices"
	"strings"
	"testing"

	"corsedge/rules"
)

func TestExplain(t *testing.T) {
	table := mustParse(t, readFile(t, sampleFile))
	for _, c := range []struct {
		desc    string
		req     rules.Request
		path    string
		refusal rules.Refusal
		status  string
		headers []string // in the order written
		notes   []string // each a part of one note, in order
	}{
		{desc: "actual request from a credentialed partner",
			req:    rules.Request{Origin: "https://app.example.com", Path: "/js/app.js"},
			path:   "/js/app.js",
			status: "the asset's own",
			headers: []string{
				"Cross-Origin-Resource-Policy: cross-origin",
				"Access-Control-Allow-Origin: https://app.example.com",
				"Access-Control-Allow-Credentials: true",
				"Access-Control-Expose-Headers: etag",
				"Vary: Origin",
			},
			notes: []string{
				`longest matching prefix "/js/"; candidates in file order: rule #2 ("partner apps"), rule #3 ("public scripts")`,
				`rule #2 ("partner apps") decides: "https://app.example.com" matches "https://app.example.com"`,
			}},
		{desc: "actual request matched by a wildcard",
			req:    rules.Request{Origin: "https://shop.example.org", Path: "/js/app.js"},
			path:   "/js/app.js",
			status: "the asset's own",
			headers: []string{
				"Cross-Origin-Resource-Policy: cross-origin",
				"Access-Control-Allow-Origin: https://shop.example.org",
				"Access-Control-Allow-Credentials: true",
				"Access-Control-Expose-Headers: etag",
				"Vary: Origin",
			},
			notes: []string{"longest matching prefix", `matches "https://*.example.org"`}},
		{desc: "actual request without Origin: the * candidate",
			req:     rules.Request{Path: "/fonts/a.woff2"},
			path:    "/fonts/a.woff2",
			status:  "the asset's own",
			headers: []string{"Cross-Origin-Resource-Policy: cross-origin", "Access-Control-Allow-Origin: *", "Timing-Allow-Origin: *"},
			notes:   []string{"longest matching prefix", `no Origin: rule #1 ("shared fonts and styles") lists "*"`, "no Vary: Origin needed"}},
		{desc: "credentialed request to a * rule",
			req:     rules.Request{Origin: "https://a.test", Path: "/css/a.css", Credentials: true},
			path:    "/css/a.css",
			status:  "the asset's own",
			headers: []string{"Cross-Origin-Resource-Policy: cross-origin", "Access-Control-Allow-Origin: *", "Timing-Allow-Origin: *"},
			notes:   []string{"longest matching prefix", "decides", "a credentialed request fails in the browser", "no Vary: Origin needed"}},
		{desc: "no prefix",
			req:    rules.Request{Origin: "https://a.test", Path: "/x.png"},
			path:   "/x.png",
			status: "the asset's own",
			notes:  []string{`no rule lists a prefix of "/x.png": no CORS headers`}},
		{desc: "preflight accepted",
			req:    rules.Request{Origin: "http://localhost:5173", Path: "/js/app.js", Method: "POST", Headers: []string{"content-type"}},
			path:   "/js/app.js",
			status: "204 No Content",
			headers: []string{
				"Access-Control-Allow-Origin: http://localhost:5173",
				"Access-Control-Allow-Credentials: true",
				"Access-Control-Allow-Methods: GET, HEAD, POST",
				"Access-Control-Allow-Headers: content-type, x-request-id",
				"Access-Control-Max-Age: 600",
				"Vary: " + rules.PreflightVary,
			},
			notes: []string{"longest matching prefix", `matches "http://localhost:*"`}},
		{desc: "preflight refused: method",
			req:     rules.Request{Origin: "https://app.example.com", Path: "/js/app.js", Method: "PUT"},
			path:    "/js/app.js",
			refusal: rules.RefusedMethod,
			status:  "403 Forbidden (method not allowed)",
			headers: []string{"Vary: " + rules.PreflightVary},
			notes:   []string{"longest matching prefix", "decides", `method "PUT" is not in GET, HEAD, POST`}},
		{desc: "preflight refused: headers",
			req:     rules.Request{Origin: "https://app.example.com", Path: "/js/app.js", Method: "GET", Headers: []string{"authorization"}},
			path:    "/js/app.js",
			refusal: rules.RefusedHeaders,
			status:  "403 Forbidden (request header not allowed)",
			headers: []string{"Vary: " + rules.PreflightVary},
			notes:   []string{"longest matching prefix", "decides", `request headers "authorization" are not all in "content-type, x-request-id"`}},
		{desc: "preflight asking for private network access from a rule without it: accepted, no ACAPN",
			req:    rules.Request{Origin: "https://a.test", Path: "/fonts/a.woff2", Method: "GET", PrivateNetwork: true},
			path:   "/fonts/a.woff2",
			status: "204 No Content",
			headers: []string{
				"Access-Control-Allow-Origin: *",
				"Timing-Allow-Origin: *",
				"Access-Control-Allow-Methods: GET, HEAD",
				"Access-Control-Max-Age: 7200",
				"Vary: " + rules.PreflightVary,
			},
			notes: []string{"longest matching prefix", "decides", "without Access-Control-Allow-Private-Network"}},
		{desc: "preflight with two header lines, the second refused",
			req:     rules.Request{Origin: "https://app.example.com", Path: "/js/app.js", Method: "GET", Headers: []string{"content-type", "x-other"}},
			path:    "/js/app.js",
			refusal: rules.RefusedHeaders,
			status:  "403 Forbidden (request header not allowed)",
			headers: []string{"Vary: " + rules.PreflightVary},
			notes:   []string{"longest matching prefix", "decides", `request headers "content-type, x-other" are not all in`}},
		{desc: "preflight with more than MaxHeaderLines header lines",
			req: rules.Request{Origin: "https://app.example.com", Path: "/js/app.js", Method: "GET",
				Headers: []string{"content-type", "", "", "", "", "", "", "", ""}},
			path:    "/js/app.js",
			refusal: rules.RefusedHeaderLines,
			status:  "403 Forbidden (too many Access-Control-Request-Headers lines)",
			headers: []string{"Vary: " + rules.PreflightVary},
			notes:   []string{"longest matching prefix", "decides", "9 Access-Control-Request-Headers lines: more than 8 are refused"}},
		{desc: "preflight from any origin: the * candidate accepts",
			req:    rules.Request{Origin: "https://evil.test", Path: "/js/v2/app.js", Method: "GET"},
			path:   "/js/v2/app.js",
			status: "204 No Content",
			headers: []string{
				"Access-Control-Allow-Origin: *",
				"Access-Control-Allow-Methods: GET, HEAD",
				"Access-Control-Max-Age: 7200",
				"Vary: " + rules.PreflightVary,
			},
			notes: []string{"longest matching prefix", `rule #3 ("public scripts") decides`}},
		{desc: "preflight refused: path",
			req:     rules.Request{Origin: "https://a.test", Path: "/img/x.png", Method: "GET"},
			path:    "/img/x.png",
			refusal: rules.RefusedPath,
			status:  "403 Forbidden (no rule covers this path)",
			headers: []string{"Vary: " + rules.PreflightVary},
			notes:   []string{"no rule lists a prefix"}},
	} {
		t.Run(c.desc, func(t *testing.T) {
			e := table.Explain(c.req)
			if e.Path != c.path || e.Refusal != c.refusal || !strings.HasPrefix(e.Status, c.status) {
				t.Errorf("Path %q, Refusal %v, Status %q; want %q, %v, %q", e.Path, e.Refusal, e.Status, c.path, c.refusal, c.status)
			}
			var headers []string
			for _, kv := range e.Headers {
				headers = append(headers, kv[0]+": "+kv[1])
			}
			if !slices.Equal(headers, c.headers) {
				t.Errorf("headers\n\t%s\nwant\n\t%s", strings.Join(headers, "\n\t"), strings.Join(c.headers, "\n\t"))
			}
			if len(e.Notes) != len(c.notes) {
				t.Fatalf("notes %q, want %d", e.Notes, len(c.notes))
			}
			for i, n := range c.notes {
				if !strings.Contains(e.Notes[i], n) {
					t.Errorf("note %d %q does not say %q", i, e.Notes[i], n)
				}
			}
		})
	}
}

func TestExplainWriteTo(t *testing.T) {
	table := mustParse(t, readFile(t, sampleFile))
	var b strings.Builder
	e := table.Explain(rules.Request{Origin: "https://evil.test", Path: "/img/x.png"})
	n, err := e.WriteTo(&b)
	want := `request: actual GET /img/x.png from https://evil.test
  - no rule lists a prefix of "/img/x.png": no CORS headers
status: the asset's own (200, 206, 304, 404 ...)
headers: none from CORS
`
	if err != nil || b.String() != want || n != int64(len(want)) {
		t.Errorf("WriteTo = %d, %v:\n%s\nwant:\n%s", n, err, b.String(), want)
	}
	b.Reset()
	e = table.Explain(rules.Request{Path: "/js/x.js", Method: "POST", Headers: []string{"x-request-id"}})
	if _, err := e.WriteTo(&b); err != nil || !strings.HasPrefix(b.String(), "request: preflight for POST with headers x-request-id /js/x.js from (no Origin)\n") {
		t.Errorf("WriteTo:\n%s", b.String())
	}
}

func TestExplainRefusedOrigin(t *testing.T) {
	table := mustParse(t, fixture(t, "match.toml"))
	for _, c := range []struct{ desc, origin, note string }{
		{"refused origin", "https://evil.test", `no candidate lists a pattern matching "https://evil.test"`},
		{"no Origin, no * candidate", "", `no Origin: only a candidate listing "*" would answer, and none does`},
	} {
		e := table.Explain(rules.Request{Origin: c.origin, Path: "/js/v2/app.js", Method: "GET"})
		if e.Refusal != rules.RefusedOrigin || len(e.Headers) != 1 || len(e.Notes) != 2 || e.Notes[1] != c.note {
			t.Errorf("%s: %v %q %q", c.desc, e.Refusal, e.Headers, e.Notes)
		}
		e = table.Explain(rules.Request{Origin: c.origin, Path: "/js/v2/app.js"})
		if len(e.Headers) != 1 || e.Headers[0] != [2]string{"Vary", "Origin"} {
			t.Errorf("%s, actual request: headers %q, want Vary: Origin alone", c.desc, e.Headers)
		}
	}
}
