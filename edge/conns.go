package edge

import (
	"fmt"
	"io"
	"net"
	"time"

	vm "github.com/VictoriaMetrics/metrics"
	"github.com/valyala/fasthttp"

	"corsedge/internal/connlimit"
	"corsedge/internal/ratelog"
)

// DefaultMaxConnsPerIP is how many connections one client address (an IPv6
// client by its /64) may hold by default. Browsers open up to 6 per host,
// and a carrier-grade NAT or an office proxy puts hundreds of them behind
// one address: 1024 lets about 170 such browsers load at once, and keeps
// any one address to under 0.4% of the connections at the usual descriptor
// limits (Concurrency 262,144). Behind a proxy every client has the
// proxy's address: turn it off there.
const DefaultMaxConnsPerIP = 1024

// fdReserve is the descriptors kept out of the connection bound: standard
// streams, both listeners, the rules watch (inotify, epoll), a rules read,
// the asset root and admin connections.
const fdReserve = 64

// connConcurrency returns the most connections to serve at once under a
// descriptor limit of nofile (0: unknown). Each connection can hold a
// streamed file's descriptor besides its own, so it gets half of what the
// reserve leaves: clients alone can then never run the process out of
// descriptors, and a connection over the bound is answered 503 and closed
// rather than left to fail accept(2).
func connConcurrency(nofile uint64) int {
	switch {
	case nofile == 0 || nofile >= 2*fasthttp.DefaultConcurrency+fdReserve:
		return fasthttp.DefaultConcurrency
	case nofile < fdReserve+2:
		return 1
	}
	return int((nofile - fdReserve) / 2)
}

// guard wraps the public listeners so that running out of descriptors is
// retried, not fatal, and the per-address limit holds across them; their
// connections enforce the timeouts and move deadlines lazily, and plain
// HTTP ones gather a full write buffer with the rest of the response
// (connlimit.Conn). When tlsLast, the last one carries TLS and refuses by
// closing alone.
func (s *Server) guard(lns []net.Listener, tlsLast bool) []net.Listener {
	perIP := s.cfg.MaxConnsPerIP
	if perIP == 0 {
		perIP = DefaultMaxConnsPerIP
	}
	retries := ratelog.New(s.log, "accept")
	l := connlimit.New(lns[0], perIP, func(err error) {
		retries.Warn("cannot accept connections; retrying", "error", err, "open", s.openConnections())
	}).LazyDeadlines(s.deadlineSlack()).Gather(plainWriteBuffer).Enforce(connlimit.Timeouts{
		Read: s.cfg.ReadTimeout, Write: s.cfg.WriteTimeout, Idle: s.cfg.IdleTimeout})
	s.conns.Store(l)
	wrapped := []*connlimit.Listener{l}
	for _, ln := range lns[1:] {
		wrapped = append(wrapped, l.Beside(ln))
	}
	if tlsLast {
		wrapped[len(wrapped)-1].Silent().Gather(0)
	}
	out := make([]net.Listener, len(wrapped))
	for i, w := range wrapped {
		out[i] = w
	}
	s.log.Info("connection limits", "descriptors", descriptorLimit(),
		"concurrency_per_listener", s.http.Concurrency, "max_conns_per_ip", max(perIP, 0))
	return out
}

// maxDeadlineSlack is how far a connection's deadline may lag its timeout
// (connlimit.Conn): each keep-alive request has three, and moving a
// deadline re-arms a runtime timer. The coarse clock the connections
// compute them from adds at most 40 ms: a timeout fires within a second.
const maxDeadlineSlack = time.Second - 40*time.Millisecond

// timeByConns leaves srv's timeouts to the connections when ln is a TCP
// listener: each is a connlimit.Conn, which enforces them from where
// connState says a request stands, without fasthttp's deadline and clock
// read at each step of a keep-alive request. fasthttp keeps them on any
// other listener, whose connections guard does not wrap.
func timeByConns(srv *fasthttp.Server, ln net.Listener) {
	if _, ok := ln.(*net.TCPListener); ok {
		srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout = 0, 0, 0
	}
}

// deadlineSlack is maxDeadlineSlack, or a tenth of the shortest timeout
// when that is less: a 300 ms idle timeout still means 300-330 ms.
func (s *Server) deadlineSlack() time.Duration {
	return min(maxDeadlineSlack, min(s.cfg.ReadTimeout, s.cfg.WriteTimeout, s.cfg.IdleTimeout)/10)
}

// connState tells a connection where its requests stand, for its
// timeouts, and gives a closed connection's per-address slot back
// (fasthttp's ConnState: StateActive at a request's first byte, StateIdle
// once its response is out, then StateClosed or StateHijacked once).
func (s *Server) connState(c net.Conn, state fasthttp.ConnState) {
	switch state {
	case fasthttp.StateActive:
		if lc := limited(c); lc != nil {
			lc.Active()
		}
	case fasthttp.StateIdle:
		if lc := limited(c); lc != nil {
			lc.Idle()
		}
	case fasthttp.StateClosed, fasthttp.StateHijacked:
		if l := s.conns.Load(); l != nil {
			l.Release(c)
		}
	}
}

// limited returns the connlimit.Conn that c is or that TLS runs over; nil
// for a connection the listener did not wrap.
func limited(c net.Conn) *connlimit.Conn {
	switch c := c.(type) {
	case *connlimit.Conn:
		return c
	case *tlsConn:
		lc, _ := c.NetConn().(*connlimit.Conn)
		return lc
	}
	return nil
}

// writeConnMetrics writes the connection counters (corsedge_connections_open
// is a gauge of the set).
func (s *Server) writeConnMetrics(w io.Writer) {
	var perIP, retried uint64
	if l := s.conns.Load(); l != nil {
		perIP, retried = l.RefusedPerIP(), l.Retried()
	}
	writeFamily(w, "corsedge_connections_refused_total", "counter", func(w io.Writer) {
		fmt.Fprintf(w, "corsedge_connections_refused_total{reason=%q} %d\n", "concurrency", s.rejectedConnections())
		fmt.Fprintf(w, "corsedge_connections_refused_total{reason=%q} %d\n", "per_ip", perIP)
	})
	vm.WriteCounterUint64(w, "corsedge_accept_errors_total", retried)
}
