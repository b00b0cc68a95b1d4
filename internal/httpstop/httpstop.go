// Package httpstop stops a net/http server (the admin endpoints) in the
// two steps a binary hand-over needs: first it stops accepting, so that
// the new process alone answers on the shared socket, while the requests
// of the connections it had accepted are answered; later it stops, within
// a bound. http.Server.Shutdown cannot take the first step: from its
// start the server drops, unanswered, every request it reads, those of
// connections accepted a moment before included.
package httpstop

import (
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// Server is an http.Server on one listener, with the two steps.
type Server struct {
	srv     *http.Server
	ln      net.Listener
	stopped atomic.Bool
	open    atomic.Int64 // connections accepted and not closed yet
}

// New makes srv serve ln once Serve is called; it takes srv's ConnState
// hook, to count the open connections.
func New(srv *http.Server, ln net.Listener) *Server {
	s := &Server{srv: srv, ln: ln}
	srv.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			s.open.Add(1)
		case http.StateClosed, http.StateHijacked:
			s.open.Add(-1)
		}
	}
	return s
}

// Serve serves until StopAccepting or Stop, and then returns
// http.ErrServerClosed.
func (s *Server) Serve() error { return s.srv.Serve(listener{s}) }

// listener is the Server's listener, whose Accept says
// http.ErrServerClosed once the Server stopped accepting: Serve returns
// that, as after Shutdown.
type listener struct{ s *Server }

func (l listener) Accept() (net.Conn, error) {
	c, err := l.s.ln.Accept()
	if err != nil && l.s.stopped.Load() {
		return nil, http.ErrServerClosed
	}
	return c, err
}
func (l listener) Close() error   { return l.s.ln.Close() }
func (l listener) Addr() net.Addr { return l.s.ln.Addr() }

// StopAccepting closes the listener and the idle connections, and answers
// each request still to come on the others with Connection: close, so
// that a client that kept a connection (a metrics scraper) comes back on
// a new one, to the new process.
func (s *Server) StopAccepting() {
	s.stopped.Store(true)
	s.ln.Close()
	s.srv.SetKeepAlivesEnabled(false)
}

// Stop stops accepting, waits at most bound for every connection to
// close, then closes those left (a long /debug/pprof profile; a client's
// spare connection that never sent a request).
func (s *Server) Stop(bound time.Duration) {
	s.StopAccepting()
	for deadline := time.Now().Add(bound); s.open.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	s.srv.Close()
}
