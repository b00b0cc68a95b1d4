package edge_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"corsedge/assets"
	"corsedge/edge"
)

// testServer is a corsedge server on real loopback sockets, with its rules
// file and asset root in a temporary directory.
type testServer struct {
	srv       *edge.Server
	url       string // public base URL
	tlsURL    string // HTTPS base URL, when Config.Certificates is set
	admin     string // admin base URL
	rulesFile string
	root      string
	client    *http.Client
	stop      func() error // stops the server and returns what Run returned
}

// assetFiles are written under every test server's root.
var assetFiles = map[string]string{
	"fonts/a.woff2": "wOF2 not really a font",
	"js/app.js":     "console.log('app');\n",
	"css/site.css":  "body { color: red }\n",
	"other/x.txt":   "no rule covers this\n",
}

// startServer starts a server on rulesSrc (written to rulesFile, or to
// DIR/rules.toml when rulesFile is "") and stops it when the test ends.
func startServer(t testing.TB, rulesSrc string, configure ...func(*edge.Config)) *testServer {
	t.Helper()
	dir := t.TempDir()
	rulesFile := filepath.Join(dir, "conf", "rules.toml")
	writeFile(t, rulesFile, rulesSrc)
	return startServerOn(t, rulesFile, configure...)
}

// startServerOn starts a server on an existing rules file.
func startServerOn(t testing.TB, rulesFile string, configure ...func(*edge.Config)) *testServer {
	t.Helper()
	return startServerListening(t, rulesFile, listen(t), configure...)
}

// startServerListening starts a server on an existing rules file with
// public as its plain HTTP listener.
func startServerListening(t testing.TB, rulesFile string, public net.Listener, configure ...func(*edge.Config)) *testServer {
	t.Helper()
	root := t.TempDir()
	for name, body := range assetFiles {
		writeFile(t, filepath.Join(root, name), body)
	}
	files, err := assets.New(assets.Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	cfg := edge.Config{
		RulesFile: rulesFile,
		Assets:    files,
		Poll:      -1,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, c := range configure {
		c(&cfg)
	}
	srv, err := edge.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	admin := listen(t)
	lns := edge.Listeners{HTTP: public, Admin: admin}
	if cfg.Certificates != nil {
		lns.HTTPS = listen(t)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, lns) }()
	stop := sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	ts := &testServer{
		srv:       srv,
		url:       "http://" + public.Addr().String(),
		admin:     "http://" + admin.Addr().String(),
		rulesFile: rulesFile,
		root:      root,
		client:    &http.Client{Timeout: 5 * time.Second},
		stop:      stop,
	}
	if lns.HTTPS != nil {
		ts.tlsURL = "https://" + lns.HTTPS.Addr().String()
	}
	// Run sets up the rules watch before it serves the admin listener: once
	// /healthz answers, every later edit is seen.
	if !waitFor(5*time.Second, func() bool {
		resp, err := ts.client.Get(ts.admin + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	}) {
		t.Fatal("server not up within 5 s")
	}
	return ts
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func writeFile(t testing.TB, name, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// do sends one request with the given headers ("Name: value" lines).
func (ts *testServer) do(t testing.TB, method, path string, headers ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, ts.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Add(k, strings.TrimSpace(v))
	}
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// status fetches /status from the admin listener.
func (ts *testServer) status(t testing.TB) edge.Status {
	t.Helper()
	resp, err := ts.client.Get(ts.admin + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st edge.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// waitFor polls cond every 5 ms until it holds or timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return cond()
}

// raw sends one request exactly as written (header lines without the final
// blank line) on a new connection, so that nothing normalises it, and reads
// the response.
func (ts *testServer) raw(t testing.TB, method, target string, headers ...string) *http.Response {
	t.Helper()
	req := method + " " + target + " HTTP/1.1\r\nHost: cdn.test\r\nConnection: close\r\n"
	for _, h := range headers {
		req += h + "\r\n"
	}
	return ts.sendRaw(t, req+"\r\n", method)
}
