package load

import (
	"strings"
	"testing"
	"time"
)

func TestParseWrk(t *testing.T) {
	out := `Running 2s test @ http://127.0.0.1:8080/js/app.js
  1 threads and 64 connections
wrk-result requests=180000 duration_us=2000000 p50_us=300 p99_us=1200 connect=0 read=1 write=0 status=5 timeout=0
`
	tests := []struct {
		desc       string
		status     int
		requests   int64
		errors     int64
		firstError bool
	}{
		{desc: "statuses ≥ 400 are errors when 204 is expected", status: 204, requests: 179995, errors: 6, firstError: true},
		{desc: "statuses ≥ 400 are the answers when 403 is expected", status: 403, requests: 180000, errors: 1, firstError: true},
	}
	for _, tc := range tests {
		res, err := parseWrk([]byte(out), tc.status, nil, 64)
		if err != nil {
			t.Fatalf("%s: %v", tc.desc, err)
		}
		if res.Requests != tc.requests || res.Errors != tc.errors || (res.FirstError != "") != tc.firstError {
			t.Errorf("%s: got %d requests, %d errors (%q)", tc.desc, res.Requests, res.Errors, res.FirstError)
		}
		if res.Elapsed != 2*time.Second || res.P50 != 300*time.Microsecond || res.P99 != 1200*time.Microsecond {
			t.Errorf("%s: elapsed %v, p50 %v, p99 %v", tc.desc, res.Elapsed, res.P50, res.P99)
		}
		if want := float64(tc.requests) / 2; res.RPS() != want {
			t.Errorf("%s: %v req/s, want %v", tc.desc, res.RPS(), want)
		}
	}
	if _, err := parseWrk([]byte("unable to connect to 127.0.0.1:1 Connection refused\n"), 200, nil, 64); err == nil {
		t.Error("output without a wrk-result line parsed")
	}
}

func TestWrkScript(t *testing.T) {
	tests := []struct {
		desc  string
		req   Request
		want  []string
		avoid []string
	}{
		{
			desc:  "fixed request: headers only, wrk builds it once",
			req:   Request{Method: "OPTIONS", Path: "/js/app.js", Header: [][2]string{{"Origin", "https://app.example.com"}, {"X-Q", `a"b\c`}}},
			want:  []string{`wrk.method = "OPTIONS"`, `wrk.headers["Origin"] = "https://app.example.com"`, `wrk.headers["X-Q"] = "a\"b\\c"`, "function done"},
			avoid: []string{"function request"},
		},
		{
			desc: "rotation: a request function from the start position",
			req:  Request{Method: "OPTIONS", Path: "/", Origin: &Rotation{Prefix: "https://o", Suffix: ".example.net", Count: 100000}},
			want: []string{"function request", `100000, "https://o", ".example.net", 42`, "pos % count + 1"},
		},
	}
	for _, tc := range tests {
		s := wrkScript(tc.req, 42)
		for _, w := range tc.want {
			if !strings.Contains(s, w) {
				t.Errorf("%s: script lacks %q:\n%s", tc.desc, w, s)
			}
		}
		for _, a := range tc.avoid {
			if strings.Contains(s, a) {
				t.Errorf("%s: script has %q:\n%s", tc.desc, a, s)
			}
		}
	}
}
