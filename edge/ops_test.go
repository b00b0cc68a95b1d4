package edge_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"corsedge/edge"
)

// scrape fetches /metrics and returns each series' value by its name and
// labels as written.
func scrape(t *testing.T, admin string) map[string]float64 {
	t.Helper()
	series := map[string]float64{}
	for _, line := range strings.Split(metricsText(t, admin), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("/metrics line %q: %v", line, err)
		}
		series[line[:i]] = v
	}
	return series
}

// Every metric the operations issue added is there from the start and
// moves with traffic.
func TestMetricsMove(t *testing.T) {
	ts := startServer(t, tableA, func(c *edge.Config) { c.MaxConnsPerIP = 2 })
	before := scrape(t, ts.admin)
	ts.preflightAnswer(t)                                                               // preflight 204
	ts.do(t, "GET", "/js/app.js", "Origin: https://a.example")                          // actual 200, read into memory
	ts.do(t, "GET", "/js/app.js")                                                       // actual 200, from memory
	ts.do(t, "HEAD", "/js/app.js")                                                      // 200, no body bytes
	ts.do(t, "GET", "/js/none.js")                                                      // actual 404
	ts.do(t, "DELETE", "/js/app.js")                                                    // 405
	ts.raw(t, "GET", "/js/app.js", "Content-Length: 5000", "Origin: https://a.example") // 413
	writeFile(t, ts.rulesFile, tableB)
	ts.client.Post(ts.admin+"/reload", "", nil)
	// Two held connections reach the per-address limit: a third is refused.
	ts.client.CloseIdleConnections()
	if !waitFor(2*time.Second, func() bool { return scrape(t, ts.admin)["corsedge_connections_open"] == 0 }) {
		t.Error("corsedge_connections_open did not fall to 0")
	}
	addr := strings.TrimPrefix(ts.url, "http://")
	for range 2 {
		c, err := net.Dial("tcp", addr)
		must(t, err)
		defer c.Close()
	}
	if !waitFor(2*time.Second, func() bool { return scrape(t, ts.admin)["corsedge_connections_open"] >= 2 }) {
		t.Error("corsedge_connections_open did not count two held connections")
	}
	refused, err := net.Dial("tcp", addr)
	must(t, err)
	refused.SetDeadline(time.Now().Add(5 * time.Second))
	io.Copy(io.Discard, refused)
	refused.Close()
	after := scrape(t, ts.admin)

	body := float64(len(assetFiles["js/app.js"]))
	for _, tc := range []struct {
		desc, series string
		grows        float64 // by exactly this much; -1: by any amount (go_ and process_: present)
	}{
		{"preflight answered 204", `corsedge_responses_total{kind="preflight",code="204"}`, 1},
		{"actual answered 200", `corsedge_responses_total{kind="actual",code="200"}`, 3},
		{"actual answered 404", `corsedge_responses_total{kind="actual",code="404"}`, 1},
		{"405", `corsedge_responses_total{kind="method_not_allowed",code="405"}`, 1},
		{"413", `corsedge_responses_total{kind="bad_request",code="413"}`, 1},
		{"no other codes", `corsedge_responses_total{kind="actual",code="other"}`, 0},
		{"body bytes: two GETs of app.js and a 404 body, HEAD none", `corsedge_response_bytes_total`, -1},
		{"duration count: every request the handler answered (not the 413 fasthttp read)", `corsedge_request_duration_seconds_count`, 6},
		{"duration +Inf bucket", `corsedge_request_duration_seconds_bucket{le="+Inf"}`, 6},
		{"duration sum", `corsedge_request_duration_seconds_sum`, -1},
		{"hot-set hits", `corsedge_asset_cache_hits_total`, 2},
		{"hot-set misses: the first GET and the 404", `corsedge_asset_cache_misses_total`, 2},
		{"hot-set loads", `corsedge_asset_cache_loads_total`, 1},
		{"hot-set entries", `corsedge_asset_cache_entries`, 1},
		{"hot-set bytes", `corsedge_asset_cache_bytes`, -1},
		{"refused per address", `corsedge_connections_refused_total{reason="per_ip"}`, 1},
		{"reload duration", `corsedge_rules_reload_duration_seconds_count`, 1},
		{"reload counted", `corsedge_rules_reloads_total{trigger="admin",result="success"}`, 1},
		{"requests as before", `corsedge_requests_total{kind="actual",decision="none"}`, 3},
		{"asset errors, present", `corsedge_asset_errors_total`, 0},
		{"accept errors, present", `corsedge_accept_errors_total`, 0},
		{"refused over concurrency, present", `corsedge_connections_refused_total{reason="concurrency"}`, 0},
		{"not draining", `corsedge_draining`, 0},
		{"Go runtime", `go_goroutines`, -1},
		{"process", `process_cpu_seconds_total`, -1},
	} {
		b, inBefore := before[tc.series]
		a, inAfter := after[tc.series]
		switch {
		case !inBefore || !inAfter:
			t.Errorf("%s: %s missing (before %v, after %v)", tc.desc, tc.series, inBefore, inAfter)
		case tc.grows >= 0 && a-b != tc.grows:
			t.Errorf("%s: %s went %v -> %v, want +%v", tc.desc, tc.series, b, a, tc.grows)
		case tc.grows < 0 && a <= b && !strings.HasPrefix(tc.series, "go_") && !strings.HasPrefix(tc.series, "process_"):
			t.Errorf("%s: %s went %v -> %v, want it to grow", tc.desc, tc.series, b, a)
		}
	}
	if got := after["corsedge_response_bytes_total"] - before["corsedge_response_bytes_total"]; got < 2*body || got > 2*body+100 {
		t.Errorf("corsedge_response_bytes_total grew by %v, want two bodies of %v and a short 404 page", got, body)
	}
	if after["corsedge_asset_cache_max_bytes"] != 64<<20 {
		t.Errorf("corsedge_asset_cache_max_bytes = %v, want the default 64 MiB", after["corsedge_asset_cache_max_bytes"])
	}
	var info string
	for s, v := range after {
		if strings.HasPrefix(s, "corsedge_build_info{") && v == 1 {
			info = s
		}
	}
	if !strings.Contains(info, `version="`) || !strings.Contains(info, `goversion="go`) {
		t.Errorf("corsedge_build_info: %q", info)
	}
}

// Profiles are served on the admin listener and never on the public port.
func TestPprofOnAdminOnly(t *testing.T) {
	ts := startServer(t, tableA)
	for _, tc := range []struct {
		desc, url  string
		wantStatus int
		wantBody   string // "" : must not contain "goroutine"
	}{
		{"admin index", ts.admin + "/debug/pprof/", 200, "goroutine"},
		{"admin goroutine profile", ts.admin + "/debug/pprof/goroutine?debug=1", 200, "goroutine profile:"},
		{"admin heap profile", ts.admin + "/debug/pprof/heap?debug=1", 200, "heap profile:"},
		{"public index", ts.url + "/debug/pprof/", 404, ""},
		{"public goroutine profile", ts.url + "/debug/pprof/goroutine?debug=1", 404, ""},
	} {
		resp, err := ts.client.Get(tc.url)
		must(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode != tc.wantStatus:
			t.Errorf("%s: %d, want %d", tc.desc, resp.StatusCode, tc.wantStatus)
		case tc.wantBody != "" && !strings.Contains(string(body), tc.wantBody):
			t.Errorf("%s: body lacks %q", tc.desc, tc.wantBody)
		case tc.wantBody == "" && strings.Contains(string(body), "goroutine"):
			t.Errorf("%s: a profile on the public port", tc.desc)
		}
	}
}

// get fetches url and returns its status, or -1 when no answer came.
func statusOf(client *http.Client, url string) int {
	resp, err := client.Get(url)
	if err != nil {
		return -1
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// From the start of a shutdown, /readyz answers 503 and every response
// closes its connection, while the server goes on serving for
// ShutdownDelay; then it stops accepting.
func TestDrainReadyz(t *testing.T) {
	const delay = time.Second
	ts := startServer(t, tableA, func(c *edge.Config) { c.ShutdownDelay = delay })
	for _, p := range []string{"/livez", "/readyz", "/healthz"} {
		if got := statusOf(ts.client, ts.admin+p); got != 200 {
			t.Errorf("%s before the shutdown: %d, want 200", p, got)
		}
	}
	// A keep-alive connection, open before the shutdown begins.
	addr := strings.TrimPrefix(ts.url, "http://")
	conn, err := net.Dial("tcp", addr)
	must(t, err)
	defer conn.Close()
	br := bufio.NewReader(conn)
	roundTrip := func() (*http.Response, error) {
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(conn, "GET /js/app.js HTTP/1.1\r\nHost: cdn.test\r\n\r\n"); err != nil {
			return nil, err
		}
		resp, err := http.ReadResponse(br, nil)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return resp, err
	}
	resp, err := roundTrip()
	if err != nil || resp.Close {
		t.Fatalf("before the shutdown: %v, %v; want a kept connection", resp, err)
	}

	began := time.Now()
	stopped := make(chan error, 1)
	go func() { stopped <- ts.stop() }()
	if !waitFor(delay/2, func() bool { return statusOf(ts.client, ts.admin+"/readyz") == 503 }) {
		t.Fatal("/readyz did not turn 503 at once")
	}
	if got := statusOf(ts.client, ts.admin+"/livez"); got != 200 {
		t.Errorf("/livez while draining: %d, want 200", got)
	}
	resp, err = roundTrip()
	if err != nil || resp.StatusCode != 200 || !resp.Close {
		t.Errorf("keep-alive request while draining: %v, %v; want 200 with Connection: close", resp, err)
	}
	if got := get(addr, "/js/app.js"); got != 200 {
		t.Errorf("new connection while draining: %d, want 200", got)
	}
	if m := scrape(t, ts.admin); m["corsedge_draining"] != 1 {
		t.Errorf("corsedge_draining = %v while draining", m["corsedge_draining"])
	}
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(delay + 5*time.Second):
		t.Fatal("Serve did not return after the delay")
	}
	if d := time.Since(began); d < delay {
		t.Errorf("Serve returned %v after the shutdown began, before the %v delay", d, delay)
	}
	if _, err := net.Dial("tcp", addr); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial after the shutdown: %v, want connection refused", err)
	}
}

// -duration-histogram=false drops the histogram (and, with no access log,
// the clock reads), and nothing else.
func TestNoDurationHistogram(t *testing.T) {
	ts := startServer(t, floodRules, func(c *edge.Config) { c.NoDurationHistogram = true })
	ts.do(t, "GET", "/js/app.js")
	m := metricsText(t, ts.admin)
	if strings.Contains(m, "corsedge_request_duration_seconds") {
		t.Errorf("the histogram is still written:\n%s", grepLines(m, "duration"))
	}
	if !strings.Contains(m, `corsedge_responses_total{kind="actual",code="200"} 1`) {
		t.Errorf("responses not counted:\n%s", grepLines(m, "responses_total"))
	}
}
