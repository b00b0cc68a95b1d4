package assets

import (
	"sync/atomic"
	"time"
)

// clock is a coarse clock: a ticker stores the time, so the request path reads
// an atomic instead of calling time.Now on every request.
type clock struct {
	now  atomic.Int64 // Unix nanoseconds at the last tick
	stop chan struct{}
	done chan struct{}
}

func startClock(tick time.Duration) *clock {
	c := &clock{stop: make(chan struct{}), done: make(chan struct{})}
	c.now.Store(time.Now().UnixNano())
	go func() {
		defer close(c.done)
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case now := <-t.C:
				c.now.Store(now.UnixNano())
			case <-c.stop:
				return
			}
		}
	}()
	return c
}

// read returns the time of the last tick, in Unix nanoseconds.
func (c *clock) read() int64 { return c.now.Load() }

// close stops the ticker and waits for it; call it once.
func (c *clock) close() {
	close(c.stop)
	<-c.done
}
