package connlimit

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Accept backs off from minDelay, doubling up to maxDelay, after an error it
// retries: the schedule of net/http's Server.Serve.
const (
	minDelay = 5 * time.Millisecond
	maxDelay = time.Second
)

// tooManyConns is the whole answer to a connection over the per-address
// limit (RFC 6585 §4), written before the request is read.
const tooManyConns = "HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"

// A Listener retries accept errors that a client or the descriptor limit
// causes instead of returning them, and refuses a connection whose client
// address already holds maxPerIP. It hands out a TCP connection as a *Conn,
// which keeps writev and sendfile, moves its deadlines lazily and can
// enforce the server's timeouts itself; the server calls Release once for
// each when it closes, and Active and Idle for its requests (fasthttp:
// Server.ConnState).
type Listener struct {
	net.Listener
	maxPerIP int           // <= 0: no limit
	onRetry  func(error)   // told of each accept error before the backoff; may be nil
	slack    time.Duration // of the Conns handed out (see Conn); 0: every deadline set goes through
	gather   int           // of the Conns handed out (see Conn.Write); 0: off
	timeouts Timeouts      // of the Conns handed out; zero: none
	silent   bool          // refuse by closing alone: a TLS client cannot read a plaintext 429

	done      chan struct{} // closed by Close: ends a backoff
	closeOnce sync.Once

	*counts // shared by the listeners made Beside this one
}

// counts are what the listeners of one server share: a client's
// connections count against one limit on every port.
type counts struct {
	mu    sync.Mutex         // protects perIP
	perIP map[netip.Addr]int // open connections by client key

	refusedPerIP atomic.Uint64
	retried      atomic.Uint64
}

// New wraps ln. maxPerIP bounds the connections of one client address (an
// IPv6 client by its /64), none when <= 0; onRetry, when not nil, hears of
// every accept error retried.
func New(ln net.Listener, maxPerIP int, onRetry func(error)) *Listener {
	return &Listener{Listener: ln, maxPerIP: maxPerIP, onRetry: onRetry,
		done: make(chan struct{}), counts: &counts{perIP: map[netip.Addr]int{}}}
}

// Beside wraps another listener of the same server (HTTPS beside HTTP): its
// connections count against l's per-address limit, and l's counters count
// for both. Release either listener's connections on either.
func (l *Listener) Beside(ln net.Listener) *Listener {
	return &Listener{Listener: ln, maxPerIP: l.maxPerIP, onRetry: l.onRetry, slack: l.slack, timeouts: l.timeouts,
		done: make(chan struct{}), counts: l.counts}
}

// Gather makes l's connections send a write of exactly size bytes (the
// server's write buffer, full) together with the next (see Conn.Write).
// Not for a listener under TLS, whose records are no such flushes.
func (l *Listener) Gather(size int) *Listener {
	l.gather = size
	return l
}

// LazyDeadlines lets the deadlines of l's connections lag the ones asked
// for by up to slack (see Conn); call it before Beside and Accept.
func (l *Listener) LazyDeadlines(slack time.Duration) *Listener {
	l.slack = slack
	return l
}

// Enforce makes l's connections enforce t themselves (see Timeouts); call
// it before Beside and Accept.
func (l *Listener) Enforce(t Timeouts) *Listener {
	l.timeouts = t
	return l
}

// Silent makes l refuse a connection over the limit by closing it, without
// the plaintext 429: for a listener whose connections speak TLS.
func (l *Listener) Silent() *Listener {
	l.silent = true
	return l
}

// Accept returns the next connection within the per-address limit. It
// returns an error only when the listener is closed or fails for good.
func (l *Listener) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if !retryable(err) {
				return nil, err
			}
			l.retried.Add(1)
			if l.onRetry != nil {
				l.onRetry(err)
			}
			delay = min(max(2*delay, minDelay), maxDelay)
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-l.done:
				t.Stop()
				return nil, net.ErrClosed
			}
			continue
		}
		if l.maxPerIP > 0 {
			if key, ok := clientKey(c.RemoteAddr()); ok && !l.admit(key) {
				l.refusedPerIP.Add(1)
				if l.silent {
					c.Close()
				} else {
					refuse(c)
				}
				continue
			}
		}
		if tc, ok := c.(*net.TCPConn); ok {
			return newConn(tc, l.slack, l.gather, l.timeouts), nil
		}
		return c, nil
	}
}

// Close closes the listener and ends a backoff in progress.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// RefusedPerIP returns how many connections the per-address limit refused.
func (l *Listener) RefusedPerIP() uint64 { return l.refusedPerIP.Load() }

// Retried returns how many accept errors were retried after a backoff.
func (l *Listener) Retried() uint64 { return l.retried.Load() }

// retryable reports whether an accept error is the client's doing or a
// shortage that passes (descriptors, buffers, memory), not the listener's
// end. Go retries ECONNABORTED itself; the rest would end a fasthttp Serve.
func retryable(err error) bool {
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return true
	}
	for _, e := range [...]syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM,
		syscall.ECONNABORTED, syscall.ECONNRESET, syscall.EPERM, syscall.EPROTO} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// clientKey returns the address a client's connections are counted under:
// an IPv4 address, or an IPv6 address's /64, all of which one host can use
// (RFC 4862 §5.5.3, RFC 8981 temporary addresses).
func clientKey(a net.Addr) (netip.Addr, bool) {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}, false
	}
	ip := tcp.AddrPort().Addr().Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		ip = p.Addr()
	}
	return ip, ip.IsValid()
}

// admit counts one more connection for key, unless it holds maxPerIP.
func (l *Listener) admit(key netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perIP[key] >= l.maxPerIP {
		return false
	}
	l.perIP[key]++
	return true
}

// Release gives back the slot of a connection Accept returned; call it once,
// when the connection is closed.
func (l *Listener) Release(c net.Conn) {
	if l.maxPerIP <= 0 {
		return
	}
	key, ok := clientKey(c.RemoteAddr())
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := l.perIP[key]; n > 1 {
		l.perIP[key] = n - 1
	} else {
		delete(l.perIP, key)
	}
}

// refuse answers 429 on a fresh connection and closes it. The answer fits
// the empty send buffer; the deadline only guards a peer that cannot take it.
func refuse(c net.Conn) {
	c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	io.WriteString(c, tooManyConns)
	c.Close()
}
