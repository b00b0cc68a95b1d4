package connlimit

import "time"

// Timeouts are what a Conn enforces itself, from its server's word of
// where each request stands (Active, Idle) and the coarse clock, so that
// the server need not ask for a deadline per request, nor read the clock
// to compute one. A zero field is no timeout.
type Timeouts struct {
	Read  time.Duration // a request, from its first byte; a connection's first, from Accept (or its TLS handshake's end)
	Write time.Duration // a response, from its first write; a TLS handshake's writes, from Accept
	Idle  time.Duration // the wait for the next request, from the end of a response
}

// on reports whether any timeout is set.
func (t Timeouts) on() bool { return t != Timeouts{} }

// deadline is when a timeout of d started now ends (see clock.after); zero
// for none.
func deadlineIn(d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return clock.after(d)
}

// startTimeouts arms a new connection's read and write timeouts.
func (c *Conn) startTimeouts() {
	if !c.timeouts.on() {
		return
	}
	clock.acquire()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setRead(deadlineIn(c.timeouts.Read))
	c.setWrite(deadlineIn(c.timeouts.Write))
}

// Active says a request's first byte has arrived (fasthttp's StateActive).
// Its read timeout starts now, except for the connection's first request,
// whose read timeout runs from Accept or Handshaken as fasthttp's does;
// its write timeout starts at the response's first write. Without
// timeouts it does nothing.
func (c *Conn) Active() {
	if !c.timeouts.on() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.begun {
		c.setRead(deadlineIn(c.timeouts.Read))
	}
	c.begun = true
	c.writeDue.Store(true)
}

// Idle says a response is out and the connection waits for the next
// request (fasthttp's StateIdle): the idle timeout starts now.
func (c *Conn) Idle() {
	if !c.timeouts.on() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setRead(deadlineIn(c.timeouts.Idle))
}

// Handshaken says the connection's TLS handshake is over: its first
// request's read timeout starts now, as fasthttp starts it after the
// handshake.
func (c *Conn) Handshaken() {
	if !c.timeouts.on() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.begun {
		c.setRead(deadlineIn(c.timeouts.Read))
	}
}

// startWrite starts the write timeout of the response being written, if
// Active left it due.
func (c *Conn) startWrite() {
	if !c.writeDue.Load() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writeDue.Swap(false) {
		c.setWrite(deadlineIn(c.timeouts.Write))
	}
}

// stopTimeouts ends the connection's use of the coarse clock, once.
func (c *Conn) stopTimeouts() {
	if c.timeouts.on() && !c.closed.Swap(true) {
		clock.release()
	}
}
