package connlimit

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// A Conn is a TCP connection a Listener accepted, with deadlines that move
// lazily. fasthttp sets a read deadline twice per keep-alive request (the
// idle wait, then the read timeout at its first byte) and a write deadline
// once, and each set re-arms a runtime timer under a lock, with two clock
// reads: about 4% of a cached preflight's CPU. A Conn leaves the socket's
// deadline where it is when the one asked for is at most slack earlier
// than it, or (for reads) any time later:
//
//   - a read deadline fires no earlier than asked and at most slack after:
//     when a kept deadline that is earlier fires, Read moves it to the one
//     asked for and reads again;
//   - a write deadline fires within slack of the one asked for either way
//     (writes are not retried, so ReadFrom keeps sendfile).
//
// With Timeouts (Listener.Enforce) the server asks for no deadline at all:
// it says where each request stands (Active, Idle) and the Conn computes
// the deadlines from the coarse clock, with no clock read, and moves them
// as above. A timeout then fires no earlier than it ends and at most slack
// plus clockLead (40 ms) after.
//
// It embeds the *net.TCPConn, not a net.Conn, so the promoted ReadFrom
// keeps sendfile and the unexported writeBuffers keeps writev for
// net.Buffers. fasthttp itself only writes a response head and body with
// one writev on a bare *net.TCPConn (its vectorWriter), so a Conn does
// that part itself: see Write.
type Conn struct {
	*net.TCPConn
	slack    time.Duration // how far a kept deadline may lag the one asked for; 0: every set goes through
	gather   int           // the server's write buffer size, whose full flushes are gathered (see Write); 0: off
	timeouts Timeouts      // enforced by the Conn itself (see Timeouts); zero: none

	mu          sync.Mutex // guards read, write and begun: crypto/tls's Close sets a write deadline from any goroutine
	read, write deadline
	begun       bool        // Active has been told of the first request
	writeDue    atomic.Bool // Active started a request: its write timeout starts at the next write
	closed      atomic.Bool // Close has run: the coarse clock is released

	// The gathered write. Write, Read, ReadFrom and Close use them from
	// the serving goroutine; holding orders them for a Close from another.
	holding atomic.Bool
	held    []byte
	vec     [2][]byte
	bufs    net.Buffers
}

// deadline is one direction's: the one asked for and the socket's.
type deadline struct {
	want, set time.Time // zero: none
}

func newConn(c *net.TCPConn, slack time.Duration, gather int, timeouts Timeouts) *Conn {
	conn := &Conn{TCPConn: c, slack: slack, gather: gather, timeouts: timeouts}
	conn.startTimeouts()
	return conn
}

// SetReadDeadline asks for a read deadline of t (see Conn for when it
// moves the socket's).
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.setRead(t)
}

// SetWriteDeadline asks for a write deadline of t (see Conn), in place of
// the write timeout's.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writeDue.Store(false)
	return c.setWrite(t)
}

// SetDeadline asks for both deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writeDue.Store(false)
	return errors.Join(c.setRead(t), c.setWrite(t))
}

// setRead keeps the socket's read deadline when it fires at most slack
// after t: earlier is made up for by Read. Called with mu held.
func (c *Conn) setRead(t time.Time) error {
	c.read.want = t
	set := c.read.set
	switch {
	case c.slack == 0:
	case t.IsZero() && set.IsZero():
		return nil
	case !t.IsZero() && !set.IsZero() && !set.After(t.Add(c.slack)):
		return nil
	}
	c.read.set = t
	return c.TCPConn.SetReadDeadline(t)
}

// setWrite keeps the socket's write deadline when it lies within slack of
// t. Called with mu held.
func (c *Conn) setWrite(t time.Time) error {
	c.write.want = t
	set := c.write.set
	if c.slack > 0 && t.IsZero() == set.IsZero() && (t.IsZero() || absDuration(set.Sub(t)) < c.slack) {
		return nil
	}
	c.write.set = t
	return c.TCPConn.SetWriteDeadline(t)
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// Read reads from the socket. A read that timed out on a kept deadline
// earlier than the one asked for moves the socket's to that one and reads
// again, so a read never times out early. A timed-out read returns no
// data, so nothing is lost by reading again.
func (c *Conn) Read(b []byte) (int, error) {
	if err := c.flushHeld(); err != nil {
		return 0, err
	}
	n, err := c.TCPConn.Read(b)
	for n == 0 && err != nil && c.readTooEarly(err) {
		n, err = c.TCPConn.Read(b)
	}
	return n, err
}

// readTooEarly reports whether err is the socket's read deadline firing
// before the one asked for, and if so moves it there.
func (c *Conn) readTooEarly(err error) bool {
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	want := c.read.want
	if want.IsZero() || !time.Now().Before(want) {
		return false
	}
	c.read.set = want
	return c.TCPConn.SetReadDeadline(want) == nil
}

// Write writes b. A server's buffered writer writes a response bigger than
// its buffer as a full buffer (the head and the start of the body) and then
// the rest; a Conn with gather set keeps a write of exactly that size back
// and sends it with the next one in one writev, as fasthttp would on a bare
// *net.TCPConn: one system call where two would cost a second pass through
// the TCP stack. What is kept is sent before the next Read, ReadFrom or
// Close, so a response never waits for anything but the server's next step.
func (c *Conn) Write(b []byte) (int, error) {
	c.startWrite()
	if c.holding.Load() {
		return c.writeHeld(b)
	}
	if c.gather > 0 && len(b) == c.gather {
		c.held = append(c.held[:0], b...)
		c.holding.Store(true)
		return len(b), nil
	}
	return c.TCPConn.Write(b)
}

// writeHeld sends the kept write and b with one writev.
func (c *Conn) writeHeld(b []byte) (int, error) {
	c.vec[0], c.vec[1] = c.held, b
	c.bufs = c.vec[:]
	n, err := c.bufs.WriteTo(c.TCPConn)
	c.vec[1], c.bufs = nil, nil // keep no reference to the caller's bytes
	c.holding.Store(false)
	return int(min(max(n-int64(len(c.held)), 0), int64(len(b)))), err
}

// flushHeld sends the kept write, if any.
func (c *Conn) flushHeld() error {
	if !c.holding.Load() {
		return nil
	}
	_, err := c.writeHeld(nil)
	return err
}

// ReadFrom sends what r holds after the kept write, with sendfile when r
// is a file.
func (c *Conn) ReadFrom(r io.Reader) (int64, error) {
	c.startWrite()
	if err := c.flushHeld(); err != nil {
		return 0, err
	}
	return c.TCPConn.ReadFrom(r)
}

// Close sends the kept write and closes the connection.
func (c *Conn) Close() error {
	defer c.stopTimeouts()
	err := c.flushHeld()
	return errors.Join(err, c.TCPConn.Close())
}
