package load

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestGoGenerator(t *testing.T) {
	var mu sync.Mutex
	origins := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/204":
			w.WriteHeader(http.StatusNoContent)
		case "/chunked":
			w.Write([]byte("part one, "))
			w.(http.Flusher).Flush() // forces chunked encoding
			w.Write([]byte("part two"))
		case "/origins":
			mu.Lock()
			origins[r.Header.Get("Origin")] = true
			mu.Unlock()
			w.Write([]byte(strings.Repeat("x", 1000)))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct {
		desc     string
		req      Request
		status   int
		requests int64
		errors   bool
	}{
		{desc: "no body", req: Request{Method: "OPTIONS", Path: "/204"}, status: 204},
		{desc: "chunked body", req: Request{Method: "GET", Path: "/chunked"}, status: 200},
		{desc: "HEAD has no body", req: Request{Method: "HEAD", Path: "/chunked"}, status: 200},
		{desc: "unexpected status counts as error", req: Request{Method: "GET", Path: "/missing"}, status: 200, errors: true},
		{
			desc:   "rotating origins, exact request count",
			req:    Request{Method: "GET", Path: "/origins", Origin: &Rotation{Prefix: "https://o", Suffix: ".test", Count: 300}},
			status: 200, requests: 300,
		},
	}
	for _, tc := range tests {
		duration := 200 * time.Millisecond
		if tc.requests > 0 { // an exact count: the duration only bounds a hang
			duration = time.Minute
		}
		res, err := Go{}.Run(context.Background(), tc.req, Options{Addr: addr, Conns: 4,
			Duration: duration, Requests: tc.requests, Status: tc.status})
		if err != nil {
			t.Fatalf("%s: %v", tc.desc, err)
		}
		if tc.errors != (res.Errors > 0) || (!tc.errors && res.Requests == 0) {
			t.Errorf("%s: %d requests, %d errors (%s)", tc.desc, res.Requests, res.Errors, res.FirstError)
		}
		if tc.requests > 0 && res.Requests != tc.requests {
			t.Errorf("%s: %d requests, want exactly %d", tc.desc, res.Requests, tc.requests)
		}
		if !tc.errors && (res.P50 <= 0 || res.P99 < res.P50) {
			t.Errorf("%s: p50 %v, p99 %v", tc.desc, res.P50, res.P99)
		}
	}
	if len(origins) != 300 {
		t.Errorf("%d distinct origins arrived, want 300", len(origins))
	}
}

func TestGoGeneratorTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("font bytes"))
	}))
	srv.StartTLS()
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "https://")
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	plain := &tls.Config{RootCAs: pool, ServerName: "example.com", NextProtos: []string{"http/1.1"}}
	caching := plain.Clone()
	caching.ClientSessionCache = tls.NewLRUClientSessionCache(64)
	tests := []struct {
		desc         string
		close        bool
		conf         *tls.Config
		perRequest   bool // a handshake for every request
		someResumed  bool
		allFull      bool
		maxHandshake int64
	}{
		{desc: "keep-alive: one handshake per connection", conf: plain, maxHandshake: 4},
		{desc: "Connection: close without a session cache: a full handshake per request", close: true, conf: plain, perRequest: true, allFull: true},
		{desc: "Connection: close with a session cache: sessions resume", close: true, conf: caching, perRequest: true, someResumed: true},
	}
	for _, tc := range tests {
		res, err := Go{}.Run(context.Background(), Request{Method: "GET", Path: "/", Close: tc.close},
			Options{Addr: addr, Conns: 4, Duration: time.Minute, Requests: 40, Status: 200, TLS: tc.conf})
		if err != nil {
			t.Fatalf("%s: %v", tc.desc, err)
		}
		if res.Errors > 0 || res.Requests != 40 {
			t.Errorf("%s: %d requests, %d errors (%s)", tc.desc, res.Requests, res.Errors, res.FirstError)
		}
		switch {
		case tc.perRequest && res.Handshakes != res.Requests:
			t.Errorf("%s: %d handshakes for %d requests", tc.desc, res.Handshakes, res.Requests)
		case tc.maxHandshake > 0 && (res.Handshakes == 0 || res.Handshakes > tc.maxHandshake):
			t.Errorf("%s: %d handshakes, want 1..%d", tc.desc, res.Handshakes, tc.maxHandshake)
		case tc.allFull && res.Resumed != 0:
			t.Errorf("%s: %d of %d handshakes resumed", tc.desc, res.Resumed, res.Handshakes)
		case tc.someResumed && res.Resumed == 0:
			t.Errorf("%s: no handshake resumed", tc.desc)
		}
	}
}
