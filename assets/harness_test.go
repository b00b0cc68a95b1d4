package assets_test

import (
	"bufio"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"corsedge/assets"
)

// fakeCORS is set by the test handler before Serve, as the edge does; every
// answer must still carry it.
const fakeCORS = "https://a.example"

// hintCacheControl is the caller's Cache-Control in most tests.
const hintCacheControl = "public, max-age=600"

// harness is a real fasthttp server on a loopback socket whose handler sets a
// CORS header and calls Serve, as the edge will.
type harness struct {
	srv  *assets.Server
	addr string

	mu   sync.Mutex
	errs []error // what Serve returned, nil left out
}

func newHarness(t testing.TB, opts assets.Options, hints assets.Hints) *harness {
	t.Helper()
	srv, err := assets.New(opts)
	if err != nil {
		t.Fatalf("New(%+v): %v", opts, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{srv: srv, addr: ln.Addr().String()}
	server := &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) {
			ctx.Response.Header.Set("Access-Control-Allow-Origin", fakeCORS)
			if err := srv.Serve(ctx, ctx.Path(), hints); err != nil {
				h.mu.Lock()
				h.errs = append(h.errs, err)
				h.mu.Unlock()
			}
		},
		IdleTimeout: time.Second,
	}
	go server.Serve(ln) //nolint:errcheck // ends with Shutdown
	t.Cleanup(func() {
		server.Shutdown() //nolint:errcheck
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return h
}

// served returns and forgets the errors Serve has returned so far.
func (h *harness) served() []error {
	h.mu.Lock()
	defer h.mu.Unlock()
	errs := h.errs
	h.errs = nil
	return errs
}

// response is what came back on the wire, headers exactly as sent.
type response struct {
	status int
	header http.Header
	body   string
}

// get sends method and target with the given "Name: value" header lines.
func (h *harness) get(t testing.TB, method, target string, headers ...string) *response {
	t.Helper()
	raw := method + " " + target + " HTTP/1.1\r\nHost: assets.test\r\nConnection: close\r\n"
	for _, l := range headers {
		raw += l + "\r\n"
	}
	return h.raw(t, method, raw+"\r\n")
}

// raw writes a request byte for byte, so that no client normalises its path.
func (h *harness) raw(t testing.TB, method, request string) *response {
	t.Helper()
	r, err := h.send(method, request)
	if err != nil {
		t.Fatalf("%q: %v", request, err)
	}
	return r
}

// send is raw for goroutines other than the test's, which must not call Fatal.
func (h *harness) send(method, request string) (*response, error) {
	conn, err := net.DialTimeout("tcp", h.addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck
	if _, err := io.WriteString(conn, request); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body) // fails on fewer bytes than Content-Length
	if err != nil {
		return nil, err
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: string(body)}, nil
}

// writeTree creates files (slash-separated names) under dir, in name order:
// a sidecar is written after its file, so it is never older (stale).
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for _, name := range slices.Sorted(maps.Keys(files)) {
		content := files[name]
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkHeaders compares the fields named in want exactly (one line each, ""
// meaning absent) and reports every difference.
func checkHeaders(t testing.TB, got http.Header, want map[string]string) {
	t.Helper()
	for name, w := range want {
		lines := got.Values(name)
		switch {
		case w == "" && len(lines) > 0:
			t.Errorf("%s: %q, want none", name, lines)
		case w != "" && (len(lines) != 1 || lines[0] != w):
			t.Errorf("%s: %q, want exactly [%q]", name, lines, w)
		}
	}
}

// expand replaces {etag}, {lm} and friends in s with values learnt at run time.
func expand(s string, vars map[string]string) string {
	for k, v := range vars {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}
