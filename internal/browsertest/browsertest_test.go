package browsertest_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"corsedge/internal/browsertest"
)

// Each engine loads a page from http://localhost:PORT that fetches from
// another origin, http://127.0.0.1:PORT, which sends no CORS headers: the
// page sees the fetch fail, and the engine's console (where it has one)
// names the URL as blocked by CORS, while a same-origin console.log gets
// through too.
func TestEngines(t *testing.T) {
	for _, e := range browsertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			b := browsertest.Start(t, e, browsertest.Options{})
			other := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "no CORS here") }))
			blocked := "http://" + other + "/x.txt"
			results := make(chan string, 1)
			page := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == "POST" {
					body, _ := io.ReadAll(r.Body)
					results <- string(body)
					return
				}
				w.Header().Set("Content-Type", "text/html")
				fmt.Fprintf(w, `<script>console.log("page says hello");
fetch(%q).then(r => "read", e => "blocked").then(v => fetch("/result", {method: "POST", body: v}));</script>`, blocked)
			}))
			_, port, _ := net.SplitHostPort(page)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := b.Open(ctx, "http://localhost:"+port+"/"); err != nil {
				t.Fatal(err)
			}
			select {
			case got := <-results:
				if got != "blocked" {
					t.Errorf("the page %s the cross-origin response", got)
				}
			case <-ctx.Done():
				t.Fatal("no result from the page within 30 s")
			}
			if !b.HasConsole() {
				return
			}
			if !waitFor(5*time.Second, func() bool { return len(b.CORSErrors(blocked)) > 0 && logged(b, "page says hello") }) {
				t.Errorf("console has no CORS error for %s and the page's log line:\n%v", blocked, b.Console())
			}
			if errs := b.CORSErrors(blocked[:len(blocked)-1]); len(errs) > 0 {
				t.Errorf("a prefix of the URL matched: %q", errs)
			}
		})
	}
}

func logged(b *browsertest.Browser, text string) bool {
	for _, m := range b.Console() {
		if strings.Contains(m.Text, text) {
			return true
		}
	}
	return false
}

func serve(t *testing.T, h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func waitFor(timeout time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}
