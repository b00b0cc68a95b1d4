package edge_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// sendRaw writes req as is on a new connection and reads one response to a
// request of that method (HEAD has no body).
func (ts *testServer) sendRaw(t testing.TB, req, method string) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// Requests fasthttp refuses to read carry the CORS headers and Vary of an
// actual response where it kept the request line and header (a declared
// body over the limit); on any other read error fasthttp resets the
// request, and the answer has no CORS headers.
func TestReadErrorsCarryCORS(t *testing.T) {
	ts := startServer(t, floodRules)
	head := func(path, origin string, more ...string) string {
		s := "GET " + path + " HTTP/1.1\r\nHost: cdn.test\r\n"
		if origin != "" {
			s += "Origin: " + origin + "\r\n"
		}
		for _, m := range more {
			s += m + "\r\n"
		}
		return s + "\r\n"
	}
	chunkedTooLarge := "Transfer-Encoding: chunked\r\n\r\n800\r\n" + strings.Repeat("x", 0x800) + "\r\n0"
	for _, tc := range []struct {
		desc       string
		req        string
		wantStatus int
		wantACAO   string
		wantVary   string
	}{
		{"body over the limit, allowed origin", head("/js/app.js", "https://a.example", "Content-Length: 5000"),
			413, "https://a.example", "Origin"},
		{"chunked body over the limit: the request is reset", head("/js/app.js", "https://a.example", chunkedTooLarge),
			413, "", ""},
		{"broken chunked body: the request is reset", head("/js/app.js", "https://a.example", "Transfer-Encoding: chunked\r\n\r\nzz"),
			400, "", ""},
		{"body over the limit, refused origin", head("/js/app.js", "https://evil.example", "Content-Length: 5000"),
			413, "", "Origin"},
		{`body over the limit, "*" path`, head("/fonts/a.woff2", "https://evil.example", "Content-Length: 5000"),
			413, "*", ""},
		{"body over the limit, no rule for the path", head("/other/x.txt", "https://a.example", "Content-Length: 5000"),
			413, "", ""},
		{"head over the read buffer: no path, no Origin kept", head("/js/app.js", "https://a.example", "X-Big: "+strings.Repeat("b", 9000)),
			431, "", ""},
		{"malformed header line: no path, no Origin kept", head("/js/app.js", "https://a.example", "no colon here"),
			400, "", ""},
		{"bad request line", "GET /js/app.js HTTP/1.1 extra\r\nHost: cdn.test\r\nOrigin: https://a.example\r\n\r\n",
			400, "", ""},
	} {
		resp := ts.sendRaw(t, tc.req, "GET")
		if resp.StatusCode != tc.wantStatus {
			t.Errorf("%s: status %d, want %d", tc.desc, resp.StatusCode, tc.wantStatus)
		}
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tc.wantACAO {
			t.Errorf("%s: ACAO %q, want %q", tc.desc, got, tc.wantACAO)
		}
		if got := strings.Join(resp.Header.Values("Vary"), ", "); got != tc.wantVary {
			t.Errorf("%s: Vary %q, want %q", tc.desc, got, tc.wantVary)
		}
	}
	for _, want := range []string{
		`corsedge_requests_total{kind="bad_request",decision="allowed"} 2`, // the allowed origin and "*"
		`corsedge_requests_total{kind="bad_request",decision="refused"} 2`, // a refused origin, a path no rule covers
		`corsedge_requests_total{kind="bad_request",decision="none"} 5`,    // reset requests: no Origin read
	} {
		if m := metricsText(t, ts.admin); !strings.Contains(m, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// metricsText fetches /metrics from an admin base URL.
func metricsText(t *testing.T, admin string) string {
	t.Helper()
	resp, err := http.Get(admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}
