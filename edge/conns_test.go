package edge_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"corsedge/edge"
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
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(conn, "GET /js/app.js HTTP/1.1\r\nHost: cdn.test\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		must(t, err)
		resp.Body.Close()
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
