package edge_test

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"corsedge/certs"
	"corsedge/edge"
	"corsedge/internal/testpki"
)

// One client address holds at most MaxConnsPerIP connections: the next is
// answered 429 and counted, and a closed one frees its slot.
func TestMaxConnsPerIP(t *testing.T) {
	ts := startServer(t, floodRules, func(c *edge.Config) { c.MaxConnsPerIP = 4 })
	addr := strings.TrimPrefix(ts.url, "http://")
	var held []net.Conn
	for range 4 { // each served once, then idle on keep-alive
		conn, err := net.Dial("tcp", addr)
		must(t, err)
		defer conn.Close()
		getOn(t, conn)
		held = append(held, conn)
	}
	// The refusal is written as soon as the connection is accepted, before
	// any request: read it without sending one, as an HTTP client that sent
	// its request could instead meet the closed socket first.
	fifth, err := net.Dial("tcp", addr)
	must(t, err)
	defer fifth.Close()
	fifth.SetDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(fifth), nil)
	if err != nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("fifth connection: %v, %v; want 429", resp, err)
	}
	if m := metricsText(t, ts.admin); !strings.Contains(m, `corsedge_connections_refused_total{reason="per_ip"} 1`+"\n") {
		t.Errorf("/metrics does not count the refusal:\n%s", m)
	}
	held[0].Close()
	if !waitFor(5*time.Second, func() bool { return get(addr, "/js/app.js") == http.StatusOK }) {
		t.Error("a closed connection's slot was not given back")
	}
}

// The timeouts hold where the connections enforce them, with lazy
// deadlines (a tenth of the shortest timeout of slack here): a keep-alive
// connection that sends a request every 100 ms outlives every deadline set
// before and is never cut early; one that goes quiet is closed after the
// idle timeout, a request head that never ends after the read timeout, and
// a response the client does not take after the write timeout.
func TestTimeoutsWithLazyDeadlines(t *testing.T) {
	const readTimeout, idleTimeout, writeTimeout = 300 * time.Millisecond, 600 * time.Millisecond, 300 * time.Millisecond
	ts := startServer(t, floodRules, func(c *edge.Config) {
		c.ReadTimeout, c.IdleTimeout, c.WriteTimeout = readTimeout, idleTimeout, writeTimeout
	})
	addr := strings.TrimPrefix(ts.url, "http://")
	const bigSize = 32 << 20 // streamed from disk, and more than the socket buffers hold
	writeFile(t, filepath.Join(ts.root, "fonts/big.woff2"), strings.Repeat("x", bigSize))

	// closedAfter sends req on a new connection, waits wait without
	// reading, then reads until the server closes the connection; it
	// returns when that was (from the send) and what was read.
	closedAfter := func(req string, wait time.Duration) (time.Duration, int64) {
		conn, err := net.Dial("tcp", addr)
		must(t, err)
		defer conn.Close()
		began := time.Now()
		io.WriteString(conn, req)
		time.Sleep(wait)
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, _ := io.Copy(io.Discard, conn) // until EOF or a reset
		return time.Since(began), n
	}

	t.Run("desc=keep-alive past every deadline", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		must(t, err)
		defer conn.Close()
		br := bufio.NewReader(conn)
		for i := range 15 { // 1.5 s: past the read and idle timeouts of the first requests
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			_, err := io.WriteString(conn, "GET /js/app.js HTTP/1.1\r\nHost: cdn.test\r\n\r\n")
			var resp *http.Response
			if err == nil {
				resp, err = http.ReadResponse(br, nil)
			}
			if err != nil {
				t.Fatalf("request %d on the kept connection: %v", i+1, err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			time.Sleep(100 * time.Millisecond)
		}
	})
	for _, tc := range []struct {
		desc, send string
		wait       time.Duration
		min, max   time.Duration
	}{
		{"idle timeout", "GET /js/app.js HTTP/1.1\r\nHost: cdn.test\r\n\r\n", 0, idleTimeout, idleTimeout + time.Second},
		{"read timeout: a request head that never ends", "GET /js/app.js HTTP/1.1\r\nHost: cd", 0, readTimeout, readTimeout + time.Second},
	} {
		t.Run("desc="+tc.desc, func(t *testing.T) {
			if took, _ := closedAfter(tc.send, tc.wait); took < tc.min || took > tc.max {
				t.Errorf("closed after %v, want %v to %v", took, tc.min, tc.max)
			}
		})
	}
	t.Run("desc=write timeout: a response the client does not take", func(t *testing.T) {
		_, n := closedAfter("GET /fonts/big.woff2 HTTP/1.1\r\nHost: cdn.test\r\n\r\n", time.Second)
		if n >= bigSize {
			t.Errorf("the client read %d bytes after 1 s of not reading, the whole %d: no write timeout", n, bigSize)
		}
	})
}

// getOn sends a GET of /js/app.js on conn and reads the response, leaving
// the connection open.
func getOn(t *testing.T, conn net.Conn) {
	t.Helper()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(conn, "GET /js/app.js HTTP/1.1\r\nHost: cdn.test\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	must(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// closedWithin checks that the server closes conn between min and max
// from began, reading (and discarding) whatever it sends until then.
func closedWithin(t *testing.T, conn net.Conn, began time.Time, min, max time.Duration) {
	t.Helper()
	conn.SetReadDeadline(began.Add(max + 5*time.Second))
	io.Copy(io.Discard, conn) // until EOF, a reset or that deadline
	if took := time.Since(began); took < min || took > max {
		t.Errorf("closed after %v, want %v to %v", took, min, max)
	}
}

// Over HTTPS the connections enforce the timeouts under crypto/tls: a
// client that never sends its ClientHello is closed after the read
// timeout, and a kept connection that goes quiet after the idle timeout.
func TestTimeoutsOverHTTPS(t *testing.T) {
	const readTimeout, idleTimeout = 300 * time.Millisecond, 600 * time.Millisecond
	f := newTLSFixture(t)
	p, _ := f.pair(t, "site", testpki.Spec{})
	ts := startHTTPS(t, floodRules, []certs.Pair{p}, func(c *edge.Config) {
		c.ReadTimeout, c.IdleTimeout = readTimeout, idleTimeout
	})
	addr := strings.TrimPrefix(ts.tlsURL, "https://")
	t.Run("desc=read timeout: no ClientHello", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		must(t, err)
		defer conn.Close()
		closedWithin(t, conn, time.Now(), readTimeout, readTimeout+time.Second)
	})
	t.Run("desc=idle timeout after a request", func(t *testing.T) {
		conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: f.ca.Pool(), ServerName: "localhost"})
		must(t, err)
		defer conn.Close()
		getOn(t, conn)
		closedWithin(t, conn, time.Now(), idleTimeout, idleTimeout+time.Second)
	})
}

// On a listener whose connections are not TCP ones (a wrapper the server
// does not know), fasthttp keeps enforcing the timeouts itself.
func TestTimeoutsOnAnotherListener(t *testing.T) {
	const idleTimeout = 300 * time.Millisecond
	dir := t.TempDir()
	rulesFile := filepath.Join(dir, "rules.toml")
	writeFile(t, rulesFile, floodRules)
	ts := startServerListening(t, rulesFile, opaqueListener{listen(t)}, func(c *edge.Config) { c.IdleTimeout = idleTimeout })
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.url, "http://"))
	must(t, err)
	defer conn.Close()
	getOn(t, conn)
	closedWithin(t, conn, time.Now(), idleTimeout, idleTimeout+time.Second)
}

// opaqueListener hands out its connections under a type of its own.
type opaqueListener struct{ net.Listener }

type opaqueConn struct{ net.Conn }

func (l opaqueListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return opaqueConn{c}, nil
}
