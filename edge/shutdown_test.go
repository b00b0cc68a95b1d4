package edge_test

import (
	"bufio"
	"bytes"
	"context"
	"corsedge/assets"
	"corsedge/edge"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// On shutdown a response in flight is finished, an idle keep-alive
// connection is closed, and Run returns well within its bound.
func TestGracefulShutdown(t *testing.T) {
	ts := startServer(t, tableA)
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<20) // 16 MiB: far more than socket buffers hold
	writeFile(t, filepath.Join(ts.root, "js", "big.js"), string(big))

	// A keep-alive connection that served one request and waits for the next.
	idle, err := net.Dial("tcp", strings.TrimPrefix(ts.url, "http://"))
	must(t, err)
	defer idle.Close()
	_, err = io.WriteString(idle, "GET /js/app.js HTTP/1.1\r\nHost: cdn.test\r\n\r\n")
	must(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(idle), nil)
	must(t, err)
	io.Copy(io.Discard, resp.Body)

	slow, err := net.Dial("tcp", strings.TrimPrefix(ts.url, "http://"))
	must(t, err)
	defer slow.Close()
	_, err = io.WriteString(slow, "GET /js/big.js HTTP/1.1\r\nHost: cdn.test\r\n\r\n")
	must(t, err)
	head := make([]byte, 64<<10)
	_, err = io.ReadFull(slow, head) // the response is under way
	must(t, err)

	stopped := make(chan error, 1)
	began := time.Now()
	go func() { stopped <- ts.stop() }()
	time.Sleep(100 * time.Millisecond) // shutdown has begun while the body is still being sent

	slow.SetReadDeadline(time.Now().Add(10 * time.Second))
	rest, err := io.ReadAll(slow)
	must(t, err)
	got := append(head, rest...)
	if i := bytes.Index(got, []byte("\r\n\r\n")); i < 0 || !bytes.Equal(got[i+4:], big) {
		t.Errorf("the in-flight response was not finished: got %d bytes", len(got))
	}
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after shutdown")
	}
	if d := time.Since(began); d > 8*time.Second { // well under ShutdownTimeout (10 s): idle connections did not hold it
		t.Errorf("shutdown took %v with an idle keep-alive connection open", d)
	}
	idle.SetReadDeadline(time.Now().Add(time.Second))
	if n, err := idle.Read(make([]byte, 1)); err == nil {
		t.Errorf("idle connection still open after shutdown (read %d bytes)", n)
	}
}

// A context already done when Serve starts (a SIGTERM during start-up) still
// ends Serve: the listeners are closed before fasthttp is asked to stop, so
// a Serve goroutine that had not registered its listener yet cannot go on.
func TestServeWithDoneContextReturns(t *testing.T) {
	dir := t.TempDir()
	rulesFile := filepath.Join(dir, "rules.toml")
	writeFile(t, rulesFile, floodRules)
	files, err := assets.New(assets.Options{Root: dir})
	must(t, err)
	defer files.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 50 {
		srv, err := edge.New(edge.Config{RulesFile: rulesFile, Assets: files, Poll: -1,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		must(t, err)
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ctx, edge.Listeners{HTTP: listen(t)}) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Serve with a done context did not return")
		}
	}
}
