package connlimit_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"corsedge/internal/connlimit"
)

// timeoutsSlack is the lazy deadlines' slack in these tests; a timeout
// fires at most that and the coarse clock's 40 ms late, plus room for a
// loaded machine. No timeout fires early.
const timeoutsSlack = 100 * time.Millisecond

const lateBound = timeoutsSlack + 40*time.Millisecond + 200*time.Millisecond

// enforcing returns a served connection that enforces t, and the time just
// before it was accepted.
func enforcing(t *testing.T, timeouts connlimit.Timeouts) (*connlimit.Conn, time.Time) {
	t.Helper()
	began := time.Now()
	c, _ := pair(t, func(l *connlimit.Listener) { l.LazyDeadlines(timeoutsSlack).Enforce(timeouts) })
	return c, began
}

// A Conn's read and idle timeouts run from where its server says a
// request stands, on a socket whose client sends nothing.
func TestEnforcedReadTimeouts(t *testing.T) {
	const read, idle = time.Second, 2 * time.Second
	for _, tc := range []struct {
		desc       string
		steps      func(c *connlimit.Conn) // what the server says, in turn
		fromAccept bool                    // the timeout runs from Accept, not from the last step
		timeout    time.Duration           // the timeout that must end the read
	}{
		{"a new connection: its first request from Accept", func(*connlimit.Conn) {}, true, read},
		{"the first request's first byte does not restart it", func(c *connlimit.Conn) {
			time.Sleep(600 * time.Millisecond)
			c.Active()
		}, true, read},
		{"after a response: the idle timeout", func(c *connlimit.Conn) { c.Active(); c.Idle() }, false, idle},
		{"a later request's first byte: the read timeout from there", func(c *connlimit.Conn) {
			c.Active()
			c.Idle()
			time.Sleep(600 * time.Millisecond)
			c.Active()
		}, false, read},
		{"a TLS handshake's end: the first request's read timeout from there", func(c *connlimit.Conn) {
			time.Sleep(600 * time.Millisecond)
			c.Handshaken()
		}, false, read},
	} {
		t.Run("desc="+tc.desc, func(t *testing.T) {
			t.Parallel()
			c, accepted := enforcing(t, connlimit.Timeouts{Read: read, Write: time.Minute, Idle: idle})
			tc.steps(c)
			from := time.Now()
			if tc.fromAccept {
				from = accepted
			}
			_, err := c.Read(make([]byte, 1))
			took := time.Since(from)
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("Read: %v, want a timeout", err)
			}
			if took < tc.timeout || took > tc.timeout+lateBound {
				t.Errorf("timed out %v after it started, want %v to %v", took, tc.timeout, tc.timeout+lateBound)
			}
		})
	}
}

// A response's write timeout starts at its first write, however long the
// request took; a deadline asked for replaces it.
func TestEnforcedWriteTimeout(t *testing.T) {
	const write = time.Second
	for _, tc := range []struct {
		desc     string
		asked    time.Duration // a write deadline asked for after Active, from then; 0: none
		min, max time.Duration // when the writes must time out, from the first
	}{
		{"from the first write", 0, write - timeoutsSlack, write + lateBound},
		{"a deadline asked for instead", 300 * time.Millisecond, 300*time.Millisecond - timeoutsSlack, 300*time.Millisecond + lateBound},
	} {
		t.Run("desc="+tc.desc, func(t *testing.T) {
			t.Parallel()
			c, _ := enforcing(t, connlimit.Timeouts{Read: time.Minute, Write: write, Idle: time.Minute})
			c.Active()
			time.Sleep(write + 200*time.Millisecond) // past a write timeout that would have run from Accept or Active
			began := time.Now()
			if tc.asked > 0 {
				c.SetWriteDeadline(began.Add(tc.asked))
			}
			if took := writeUntilTimeout(t, c, began); took < tc.min || took > tc.max {
				t.Errorf("timed out after %v, want %v to %v", took, tc.min, tc.max)
			}
		})
	}
}
