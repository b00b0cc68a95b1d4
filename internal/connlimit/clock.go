package connlimit

import (
	"sync"
	"sync/atomic"
	"time"
)

// clockTick is how often the coarse clock is read while it runs.
const clockTick = 20 * time.Millisecond

// clockLead is how far past the coarse clock's time a deadline of a Conn's
// timeouts starts: two ticks, so that it never starts early unless the
// ticker ran more than a tick late.
const clockLead = 2 * clockTick

// coarseClock is the monotonic time as a ticker last read it, every
// clockTick while any Conn enforces timeouts: a keep-alive request's three
// deadlines then cost no clock read (time.Now is about 65 ns on the
// development VM, a tenth of what fasthttp's deadlines cost a request).
type coarseClock struct {
	elapsed atomic.Int64 // since epoch, in nanoseconds; at most a tick old while running

	mu      sync.Mutex // guards users and running
	users   int        // Conns with timeouts, not yet closed
	running bool       // the ticker goroutine runs: it stops once users is 0
}

var (
	epoch = time.Now() // with a monotonic reading, which Add keeps
	clock coarseClock
)

// after returns a time at least d from now (see clockLead) and at most d
// plus clockLead: a deadline that fires no earlier than a timeout of d.
func (k *coarseClock) after(d time.Duration) time.Time {
	return epoch.Add(time.Duration(k.elapsed.Load()) + clockLead + d)
}

// acquire counts a user, and starts the ticker if none runs.
func (k *coarseClock) acquire() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.users++
	if !k.running {
		k.running = true
		k.elapsed.Store(int64(time.Since(epoch)))
		go k.tick()
	}
}

// release counts a user's end; the ticker stops at its next tick if it
// was the last.
func (k *coarseClock) release() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.users--
}

func (k *coarseClock) tick() {
	t := time.NewTicker(clockTick)
	defer t.Stop()
	for range t.C {
		k.elapsed.Store(int64(time.Since(epoch)))
		k.mu.Lock()
		if k.users == 0 {
			k.running = false
			k.mu.Unlock()
			return
		}
		k.mu.Unlock()
	}
}
