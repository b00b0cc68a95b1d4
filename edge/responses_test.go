package edge_test

import (
	"maps"
	"net/http"
	"slices"
	"testing"
)

const responseRules = `version = 1
[[rule]]
name    = "fonts"
paths   = ["/fonts/"]
origins = ["*"]
timing  = true
corp    = "cross-origin"

[[rule]]
name            = "partner"
paths           = ["/js/"]
origins         = ["https://app.example.com", "https://*.example.org"]
methods         = ["GET", "POST"]
headers         = ["content-type", "x-request-id"]
expose          = ["etag"]
credentials     = true
private_network = true
timing          = true
max_age         = "10m"

[[rule]]
name    = "public scripts"
paths   = ["/js/"]
origins = ["*"]
corp    = "cross-origin"

[[rule]]
name    = "styles"
paths   = ["/css/"]
origins = ["https://app.example.com"]
`

// checkedHeaders are compared on every response: "" means absent.
var checkedHeaders = []string{
	"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods",
	"Access-Control-Allow-Headers", "Access-Control-Max-Age", "Access-Control-Expose-Headers",
	"Access-Control-Allow-Private-Network", "Timing-Allow-Origin", "Cross-Origin-Resource-Policy",
	"Vary", "Allow",
}

const preflightVary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"

// The headers of an allowed actual request and an accepted preflight from
// https://app.example.com on /js/, which several cases share.
var (
	partnerActual = map[string]string{
		"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Allow-Credentials": "true",
		"Access-Control-Expose-Headers": "etag", "Timing-Allow-Origin": "https://app.example.com",
		"Cross-Origin-Resource-Policy": "cross-origin", "Vary": "Origin, Accept-Encoding",
	}
	partnerPreflight = map[string]string{
		"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods": "GET, HEAD, POST", "Access-Control-Allow-Headers": "content-type, x-request-id",
		"Access-Control-Max-Age": "600", "Timing-Allow-Origin": "https://app.example.com", "Vary": preflightVary,
	}
)

// with returns a copy of m with the given "Name", "value" pairs changed.
func with(m map[string]string, kv ...string) map[string]string {
	out := maps.Clone(m)
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// Each request class and each DESIGN.md "Responses" rule, over a real socket.
var responseCases = []struct {
	desc        string
	method      string
	target      string
	headers     []string
	wantStatus  int
	wantHeaders map[string]string // of checkedHeaders; the rest must be absent
}{
	{
		desc:   "preflight allowed: exact origin, credentials, listed method and headers",
		method: "OPTIONS", target: "/js/app.js",
		headers:     []string{"Origin: https://app.example.com", "Access-Control-Request-Method: POST", "Access-Control-Request-Headers: content-type,x-request-id"},
		wantStatus:  204,
		wantHeaders: partnerPreflight,
	},
	{
		desc:   "preflight allowed: wildcard origin, mixed-case request headers with spaces",
		method: "OPTIONS", target: "/js/app.js",
		headers:    []string{"Origin: https://a.b.example.org", "Access-Control-Request-Method: GET", "Access-Control-Request-Headers: Content-Type , X-Request-ID"},
		wantStatus: 204,
		wantHeaders: map[string]string{
			"Access-Control-Allow-Origin": "https://a.b.example.org", "Access-Control-Allow-Credentials": "true",
			"Access-Control-Allow-Methods": "GET, HEAD, POST", "Access-Control-Allow-Headers": "content-type, x-request-id",
			"Access-Control-Max-Age": "600", "Timing-Allow-Origin": "https://a.b.example.org", "Vary": preflightVary,
		},
	},
	{
		desc:   "preflight allowed: private network asked and allowed",
		method: "OPTIONS", target: "/js/app.js",
		headers:     []string{"Origin: https://app.example.com", "Access-Control-Request-Method: GET", "Access-Control-Request-Private-Network: true"},
		wantStatus:  204,
		wantHeaders: with(partnerPreflight, "Access-Control-Allow-Private-Network", "true"),
	},
	{
		desc:   "preflight allowed by a later * rule: ACAO *, default max age, no credentials",
		method: "OPTIONS", target: "/js/app.js",
		headers:    []string{"Origin: https://other.example", "Access-Control-Request-Method: GET"},
		wantStatus: 204,
		wantHeaders: map[string]string{
			"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, HEAD",
			"Access-Control-Max-Age": "7200", "Vary": preflightVary,
		},
	},
	{
		desc: "preflight refused: method", method: "OPTIONS", target: "/js/app.js",
		headers:    []string{"Origin: https://other.example", "Access-Control-Request-Method: POST"},
		wantStatus: 403, wantHeaders: map[string]string{"Vary": preflightVary},
	},
	{
		desc: "preflight refused: header", method: "OPTIONS", target: "/js/app.js",
		headers:    []string{"Origin: https://app.example.com", "Access-Control-Request-Method: GET", "Access-Control-Request-Headers: content-type,x-secret"},
		wantStatus: 403, wantHeaders: map[string]string{"Vary": preflightVary},
	},
	{
		desc: "preflight refused: authorization is never implied", method: "OPTIONS", target: "/js/app.js",
		headers:    []string{"Origin: https://app.example.com", "Access-Control-Request-Method: GET", "Access-Control-Request-Headers: authorization"},
		wantStatus: 403, wantHeaders: map[string]string{"Vary": preflightVary},
	},
	{
		desc: "preflight refused: origin (no timing header either)", method: "OPTIONS", target: "/css/site.css",
		headers:    []string{"Origin: https://evil.example", "Access-Control-Request-Method: GET"},
		wantStatus: 403, wantHeaders: map[string]string{"Vary": preflightVary},
	},
	{
		desc: "preflight refused: look-alike origin", method: "OPTIONS", target: "/css/site.css",
		headers:    []string{"Origin: https://app.example.com.evil.net", "Access-Control-Request-Method: GET"},
		wantStatus: 403, wantHeaders: map[string]string{"Vary": preflightVary},
	},
	{
		desc: "preflight asking for private network access from a rule without it: answered, no ACAPN", method: "OPTIONS", target: "/js/app.js",
		headers:    []string{"Origin: https://other.example", "Access-Control-Request-Method: GET", "Access-Control-Request-Private-Network: true"},
		wantStatus: 204, wantHeaders: map[string]string{
			"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, HEAD", "Access-Control-Max-Age": "7200", "Vary": preflightVary,
		},
	},
	{
		desc: "preflight refused: one Access-Control-Request-Headers line more than rules.MaxHeaderLines", method: "OPTIONS", target: "/js/app.js",
		headers: append([]string{"Origin: https://app.example.com", "Access-Control-Request-Method: GET"},
			slices.Repeat([]string{"Access-Control-Request-Headers: content-type"}, 9)...),
		wantStatus: 403, wantHeaders: map[string]string{"Vary": preflightVary},
	},
	{
		desc: "preflight: rules.MaxHeaderLines Access-Control-Request-Headers lines", method: "OPTIONS", target: "/js/app.js",
		headers: append([]string{"Origin: https://app.example.com", "Access-Control-Request-Method: GET"},
			slices.Repeat([]string{"Access-Control-Request-Headers: content-type"}, 8)...),
		wantStatus: 204, wantHeaders: partnerPreflight,
	},
	{
		desc: "preflight refused: no rule covers the path", method: "OPTIONS", target: "/other/x.txt",
		headers:    []string{"Origin: https://app.example.com", "Access-Control-Request-Method: GET"},
		wantStatus: 403, wantHeaders: map[string]string{"Vary": preflightVary},
	},
	{
		desc: "preflight refused: method is not a token", method: "OPTIONS", target: "/js/app.js",
		headers:    []string{"Origin: https://other.example", "Access-Control-Request-Method: G T"},
		wantStatus: 403, wantHeaders: map[string]string{"Vary": preflightVary},
	},
	{
		desc: "preflight: several Access-Control-Request-Headers lines are combined", method: "OPTIONS", target: "/js/app.js",
		headers:     []string{"Origin: https://app.example.com", "Access-Control-Request-Method: GET", "Access-Control-Request-Headers: content-type", "Access-Control-Request-Headers: x-request-id"},
		wantStatus:  204,
		wantHeaders: partnerPreflight,
	},
	{
		desc: "preflight: a refused name on a second Access-Control-Request-Headers line", method: "OPTIONS", target: "/js/app.js",
		headers:    []string{"Origin: https://app.example.com", "Access-Control-Request-Method: GET", "Access-Control-Request-Headers: content-type", "Access-Control-Request-Headers: x-secret"},
		wantStatus: 403, wantHeaders: map[string]string{"Vary": preflightVary},
	},
	{
		desc: "actual GET, allowed exact origin: credentials, expose, timing, CORP of the path", method: "GET", target: "/js/app.js",
		headers:     []string{"Origin: https://app.example.com"},
		wantStatus:  200,
		wantHeaders: partnerActual,
	},
	{
		desc: "actual GET, query ignored", method: "GET", target: "/js/app.js?v=3",
		headers:     []string{"Origin: https://app.example.com"},
		wantStatus:  200,
		wantHeaders: partnerActual,
	},
	{
		desc: "actual GET, other origin: the * rule answers", method: "GET", target: "/js/app.js",
		headers:    []string{"Origin: https://other.example"},
		wantStatus: 200,
		wantHeaders: map[string]string{
			"Access-Control-Allow-Origin": "*", "Cross-Origin-Resource-Policy": "cross-origin", "Vary": "Origin, Accept-Encoding",
		},
	},
	{
		desc: "actual GET without Origin on an origin-dependent path: ACAO * from the * rule, Vary: Origin", method: "GET", target: "/js/app.js",
		wantStatus: 200,
		wantHeaders: map[string]string{
			"Access-Control-Allow-Origin": "*", "Cross-Origin-Resource-Policy": "cross-origin", "Vary": "Origin, Accept-Encoding",
		},
	},
	{
		desc: "actual GET with several Origin lines: only * may answer, never an echo", method: "GET", target: "/js/app.js",
		headers:    []string{"Origin: https://app.example.com", "Origin: https://other.example"},
		wantStatus: 200,
		wantHeaders: map[string]string{
			"Access-Control-Allow-Origin": "*", "Cross-Origin-Resource-Policy": "cross-origin", "Vary": "Origin, Accept-Encoding",
		},
	},
	{
		desc: "actual GET without Origin, no * rule: no CORS, still Vary: Origin", method: "GET", target: "/css/site.css",
		wantStatus: 200, wantHeaders: map[string]string{"Vary": "Origin, Accept-Encoding"},
	},
	{
		desc: "actual GET, disallowed origin: the asset without CORS headers", method: "GET", target: "/css/site.css",
		headers:    []string{"Origin: https://evil.example"},
		wantStatus: 200, wantHeaders: map[string]string{"Vary": "Origin, Accept-Encoding"},
	},
	{
		desc: "actual GET, disallowed origin spelled with the default port", method: "GET", target: "/css/site.css",
		headers:    []string{"Origin: https://app.example.com:443"},
		wantStatus: 200, wantHeaders: map[string]string{"Vary": "Origin, Accept-Encoding"},
	},
	{
		desc: "font under a credential-less * rule: ACAO * and TAO *, no Vary at all", method: "GET", target: "/fonts/a.woff2",
		headers:    []string{"Origin: https://anyone.example"},
		wantStatus: 200,
		wantHeaders: map[string]string{
			"Access-Control-Allow-Origin": "*", "Timing-Allow-Origin": "*", "Cross-Origin-Resource-Policy": "cross-origin",
		},
	},
	{
		desc: "404 keeps the CORS headers", method: "GET", target: "/fonts/missing.woff2",
		headers:    []string{"Origin: https://anyone.example"},
		wantStatus: 404,
		wantHeaders: map[string]string{
			"Access-Control-Allow-Origin": "*", "Timing-Allow-Origin": "*", "Cross-Origin-Resource-Policy": "cross-origin",
		},
	},
	{
		desc: "404 with a reflected origin keeps credentials and Vary", method: "GET", target: "/js/missing.js",
		headers:     []string{"Origin: https://app.example.com"},
		wantStatus:  404,
		wantHeaders: with(partnerActual, "Vary", "Origin"),
	},
	{
		desc: "HEAD is an actual request", method: "HEAD", target: "/js/app.js",
		headers:     []string{"Origin: https://app.example.com"},
		wantStatus:  200,
		wantHeaders: partnerActual,
	},
	{
		desc: "206 keeps the CORS headers", method: "GET", target: "/js/app.js",
		headers:     []string{"Origin: https://app.example.com", "Range: bytes=0-3"},
		wantStatus:  206,
		wantHeaders: partnerActual,
	},
	{
		desc: "416 keeps the CORS headers", method: "GET", target: "/js/app.js",
		headers:     []string{"Origin: https://app.example.com", "Range: bytes=9999-"},
		wantStatus:  416,
		wantHeaders: partnerActual,
	},
	{
		desc: "OPTIONS that is not a preflight: 204, Allow, CORS headers and Vary", method: "OPTIONS", target: "/js/app.js",
		headers:     []string{"Origin: https://app.example.com"},
		wantStatus:  204,
		wantHeaders: with(partnerActual, "Vary", "Origin", "Allow", "GET, HEAD, OPTIONS"),
	},
	{
		desc: "other method: 405, Allow, CORS headers and Vary", method: "DELETE", target: "/js/app.js",
		headers:     []string{"Origin: https://app.example.com"},
		wantStatus:  405,
		wantHeaders: with(partnerActual, "Vary", "Origin", "Allow", "GET, HEAD, OPTIONS"),
	},
	{
		desc: "path no rule covers: no CORS headers at all", method: "GET", target: "/other/x.txt",
		headers:    []string{"Origin: https://app.example.com"},
		wantStatus: 200, wantHeaders: map[string]string{"Vary": "Accept-Encoding"},
	},
}

func TestResponses(t *testing.T) {
	ts := startServer(t, responseRules)
	for _, tc := range responseCases {
		t.Run(tc.desc, func(t *testing.T) {
			resp := ts.raw(t, tc.method, tc.target, tc.headers...)
			checkResponse(t, resp, tc.wantStatus, tc.wantHeaders)
		})
	}
}

// A 304 keeps every CORS header and Vary (fasthttp's FS would drop them).
func TestNotModifiedKeepsCORSHeaders(t *testing.T) {
	ts := startServer(t, responseRules)
	first := ts.raw(t, "GET", "/js/app.js", "Origin: https://app.example.com")
	etag := first.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on the first response")
	}
	resp := ts.raw(t, "GET", "/js/app.js", "Origin: https://app.example.com", "If-None-Match: "+etag)
	checkResponse(t, resp, 304, partnerActual)
}

func checkResponse(t *testing.T, resp *http.Response, wantStatus int, want map[string]string) {
	t.Helper()
	if resp.StatusCode != wantStatus {
		t.Errorf("status %d, want %d", resp.StatusCode, wantStatus)
	}
	for _, name := range checkedHeaders {
		got := resp.Header.Values(name)
		switch {
		case want[name] == "" && len(got) > 0:
			t.Errorf("%s: %q, want none", name, got)
		case want[name] != "" && (len(got) != 1 || got[0] != want[name]):
			t.Errorf("%s: %q, want exactly one line %q", name, got, want[name])
		}
	}
}
