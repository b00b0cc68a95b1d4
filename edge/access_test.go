package edge_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"corsedge/edge"
	"corsedge/internal/accesslog"
	"corsedge/internal/accesslog/logtest"
	"corsedge/internal/testlog"
)

// Hostile request values: a quote and brace to end a JSON string and object,
// bytes that are not UTF-8, a control byte; CR/LF reach the path through
// percent-decoding.
const (
	hostileOrigin = "https://app.example.com\"}{\"x\":\"\xff\xfe"
	hostileAgent  = "evil\" \"\t\xc3"
)

// accessCases are one request of each class and what its line must say.
// origin, agent and path are the values as a JSON decoder reads them (agent
// "" for the test's own User-Agent, "-" for none); the combined ones, when
// set, are the combined format's (else the same, or "-").
var accessCases = []struct {
	desc, method, target string
	headers              []string
	status               int
	cors, rule           string
	origin, agent, path  string
	combined             [3]string // origin, agent, path
}{
	{desc: "allowed preflight", method: "OPTIONS", target: "/js/app.js",
		headers: []string{"Origin: https://app.example.com", "Access-Control-Request-Method: POST"},
		status:  204, cors: "allowed", rule: "partner", origin: "https://app.example.com", path: "/js/app.js"},
	{desc: "preflight refused by the deciding rule's methods", method: "OPTIONS", target: "/js/app.js",
		headers: []string{"Origin: https://evil.example", "Access-Control-Request-Method: PUT"},
		status:  403, cors: "refused", rule: "public scripts", origin: "https://evil.example", path: "/js/app.js"},
	{desc: "preflight refused, no rule allows the origin", method: "OPTIONS", target: "/css/site.css",
		headers: []string{"Origin: https://evil.example", "Access-Control-Request-Method: GET"},
		status:  403, cors: "refused", origin: "https://evil.example", path: "/css/site.css"},
	{desc: "GET 200, query dropped", method: "GET", target: "/js/app.js?token=secret",
		headers: []string{"Origin: https://app.example.com", "Referer: https://app.example.com/"},
		status:  200, cors: "allowed", rule: "partner", origin: "https://app.example.com", path: "/js/app.js"},
	{desc: "GET 304 without Origin", method: "GET", target: "/css/site.css", headers: []string{"If-None-Match: *"},
		status: 304, cors: "none", path: "/css/site.css"},
	{desc: "GET 404", method: "GET", target: "/js/missing.js", headers: []string{"Origin: https://app.example.com"},
		status: 404, cors: "allowed", rule: "partner", origin: "https://app.example.com", path: "/js/missing.js"},
	{desc: "GET from a refused origin", method: "GET", target: "/css/site.css", headers: []string{"Origin: https://evil.example"},
		status: 200, cors: "refused", origin: "https://evil.example", path: "/css/site.css"},
	{desc: "HEAD sends no body", method: "HEAD", target: "/fonts/a.woff2",
		status: 200, cors: "none", rule: "fonts", path: "/fonts/a.woff2"},
	{desc: "OPTIONS that is not a preflight", method: "OPTIONS", target: "/js/app.js",
		status: 204, cors: "none", rule: "public scripts", path: "/js/app.js"},
	{desc: "405", method: "DELETE", target: "/js/app.js", headers: []string{"Origin: https://app.example.com"},
		status: 405, cors: "allowed", rule: "partner", origin: "https://app.example.com", path: "/js/app.js"},
	{desc: "hostile Origin, User-Agent and path", method: "GET", target: "/js/%0d%0a%22x%22?q=secret",
		headers: []string{"Origin: " + hostileOrigin, "User-Agent: " + hostileAgent},
		status:  404, cors: "allowed", rule: "public scripts",
		origin: `https://app.example.com"}{"x":"\xff\xfe`, agent: "evil\" \"\t\\xc3", path: "/js/\r\n\"x\"",
		combined: [3]string{`https://app.example.com\x22}{\x22x\x22:\x22\xff\xfe`, `evil\x22 \x22\x09\xc3`, `/js/\x0d\x0a\x22x\x22`}},
	{desc: "400: fasthttp refuses a control byte, handleError answers", method: "GET", target: "/js/app.js?q=secret",
		headers: []string{"Origin: https://app.example.com", "User-Agent: a\x01b"},
		status:  400, cors: "none", path: "/", agent: "-", combined: [3]string{"-", "-", "/"}},
}

// Every request class gets one line with its fields, in both formats, and
// no request byte breaks a line.
func TestAccessLogLines(t *testing.T) {
	for _, format := range []accesslog.Format{accesslog.JSON, accesslog.Combined} {
		var out testlog.Buffer
		al, err := accesslog.New(&out, accesslog.Options{Format: format, Sample: 1})
		if err != nil {
			t.Fatal(err)
		}
		ts := startServer(t, responseRules, func(c *edge.Config) { c.AccessLog = al })
		sent := make([]int64, len(accessCases)) // body bytes each response had
		for i, tc := range accessCases {
			headers := tc.headers
			if !strings.Contains(strings.Join(headers, "\n"), "User-Agent:") {
				headers = append([]string{"User-Agent: corsedge-test"}, headers...)
			}
			resp := ts.raw(t, tc.method, tc.target, headers...)
			if resp.StatusCode != tc.status {
				t.Fatalf("%s: status %d, want %d", tc.desc, resp.StatusCode, tc.status)
			}
			if tc.method != "HEAD" {
				sent[i] = max(resp.ContentLength, 0)
			}
		}
		ts.stop()
		al.Close()
		lines, err := logtest.Lines(out.String())
		if err != nil || len(lines) != len(accessCases) {
			t.Fatalf("format %d: %d lines (%v) for %d requests:\n%s", format, len(lines), err, len(accessCases), out.String())
		}
		for i, tc := range accessCases {
			if strings.Contains(lines[i], "secret") {
				t.Errorf("%s: the query is logged: %s", tc.desc, lines[i])
			}
			want := []string{tc.method, tc.path, strconv.Itoa(tc.status), strconv.FormatInt(sent[i], 10),
				tc.origin, tc.cors, tc.rule, cmp(tc.agent, "corsedge-test")}
			var got []string
			if format == accesslog.JSON {
				l, err := logtest.DecodeJSON(lines[i])
				if err != nil {
					t.Errorf("%s: %v", tc.desc, err)
					continue
				}
				got = []string{l.Method, l.Path, strconv.Itoa(l.Status), strconv.FormatInt(l.Bytes, 10),
					l.Origin, l.CORS, l.Rule, cmp(l.UserAgent, "-")}
				if l.Client != "127.0.0.1" || l.Duration < 0 || l.Duration > 5 {
					t.Errorf("%s: client %q, duration %v", tc.desc, l.Client, l.Duration)
				}
				if _, err := time.Parse(time.RFC3339, l.Time); err != nil {
					t.Errorf("%s: time: %v", tc.desc, err)
				}
			} else {
				f, err := logtest.SplitCombined(lines[i])
				if err != nil {
					t.Errorf("%s: %v", tc.desc, err)
					continue
				}
				method, rest, _ := strings.Cut(f[4], " ")
				path, proto, _ := strings.Cut(rest, " ")
				got = []string{method, path, f[5], f[6], f[9], f[10], f[11], f[8]}
				want[4], want[6] = cmp(tc.origin, "-"), cmp(tc.rule, "-")
				if tc.combined[0] != "" {
					want[4], want[7], want[1] = tc.combined[0], tc.combined[1], tc.combined[2]
				}
				if f[0] != "127.0.0.1" || proto != "HTTP/1.1" || f[7] != cmpReferer(tc.headers) {
					t.Errorf("%s: client %q, protocol %q, referer %q", tc.desc, f[0], proto, f[7])
				}
			}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("%s, format %d:\n got %q\nwant %q\nline %s", tc.desc, format, got, want, lines[i])
			}
		}
	}
}

// cmp returns s, or def when s is empty.
func cmp(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// cmpReferer is the Referer a combined line shows for these request headers.
func cmpReferer(headers []string) string {
	for _, h := range headers {
		if v, ok := strings.CutPrefix(h, "Referer: "); ok {
			return v
		}
	}
	return "-"
}

// With the log's writer stuck, requests are answered as ever; their lines
// are dropped and counted in corsedge_access_log_dropped_total.
func TestAccessLogStalledWriter(t *testing.T) {
	w := logtest.NewStalledWriter()
	defer w.Release()
	const lines = 4
	al, err := accesslog.New(w, accesslog.Options{Sample: 1, Lines: lines, FlushEvery: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, responseRules, func(c *edge.Config) { c.AccessLog = al })
	ts.do(t, "GET", "/js/app.js")
	select {
	case <-w.Entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the log never wrote")
	}
	const n = 200
	for range n { // each fails the test if it is not answered within the client's 5 s
		if resp := ts.do(t, "GET", "/js/app.js"); resp.StatusCode != 200 {
			t.Fatalf("status %d while the log is stalled", resp.StatusCode)
		}
	}
	if got := al.Dropped(); got < n-lines {
		t.Errorf("Dropped() = %d after %d requests into a buffer of %d lines", got, n, lines)
	}
	metric, ok := scrape(t, ts.admin)["corsedge_access_log_dropped_total"]
	if !ok || uint64(metric) < n-lines {
		t.Errorf("corsedge_access_log_dropped_total = %v (present %t), want at least %d", metric, ok, n-lines)
	}
	ts.stop()
	w.Release()
	al.Close()
}
