package edge_test

import (
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"corsedge/edge"
	"corsedge/internal/testlog"
)

// A flood of malformed requests logs a few lines a second and a count of
// the rest, never a header value.
func TestMalformedRequestFloodLogsFewLines(t *testing.T) {
	const secret = "s3cr3t-session-7f1c"
	var logs testlog.Buffer
	ts := startServer(t, floodRules, func(c *edge.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	addr := strings.TrimPrefix(ts.url, "http://")
	bad := "GET /js/app.js HTTP/1.1\r\nHost: cdn.test\r\nCookie: session=" + secret +
		"\r\nAuthorization: Bearer " + secret + "\r\nX-Token " + secret + "\r\n\r\n" // no colon: malformed
	const flood = 2 * time.Second
	start := time.Now()
	var wg sync.WaitGroup
	sent := make([]int, 4)
	for g := range sent {
		wg.Go(func() {
			for time.Since(start) < flood {
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					t.Error(err)
					return
				}
				conn.SetDeadline(time.Now().Add(5 * time.Second))
				io.WriteString(conn, bad)
				io.Copy(io.Discard, conn) // fasthttp answers 400 and closes
				conn.Close()
				sent[g]++
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	waitFor(2*time.Second, func() bool { return strings.Contains(logs.String(), "suppressed") })
	out := logs.String()
	lines := strings.Count(out, "\n")
	total := 0
	for _, n := range sent {
		total += n
	}
	perSecond := float64(lines) / elapsed.Seconds()
	t.Logf("%d malformed requests in %v: %d log lines (%.1f a second), %d bytes", total, elapsed.Round(time.Millisecond), lines, perSecond, len(out))
	if strings.Contains(out, secret) {
		t.Errorf("the log holds a header value:\n%.500s", out)
	}
	// ratelog.Burst lines and one summary a window, for each window begun.
	if max := 6 * (int(elapsed/time.Second) + 2); lines > max {
		t.Errorf("%d log lines in %v, want at most %d", lines, elapsed, max)
	}
	if !strings.Contains(out, "log lines suppressed") {
		t.Errorf("no line counts the suppressed ones:\n%.500s", out)
	}
}
