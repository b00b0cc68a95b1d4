package watch

import (
	"sync"
	"time"
)

// debouncer runs fn once events stop arriving for quiet, but no later than
// max after the first event of a burst, so a file written in several steps is
// read once, complete, and a steady stream of events cannot starve reloads.
// fn runs on its own goroutine, never on the caller's.
// A burst of short events only (files written by rename) waits shortQuiet.
type debouncer struct {
	quiet, shortQuiet, max time.Duration
	fn                     func()

	mu    sync.Mutex // guards the fields below
	timer *time.Timer
	first time.Time // first event of the pending burst; zero when none
	long  bool      // the pending burst has an event that is not short
}

func newDebouncer(quiet, shortQuiet, max time.Duration, fn func()) *debouncer {
	return &debouncer{quiet: quiet, shortQuiet: min(shortQuiet, quiet), max: max, fn: fn}
}

// event notes one event and (re)schedules fn.
func (d *debouncer) event(short bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	if d.first.IsZero() {
		d.first, d.long = now, false
	}
	d.long = d.long || !short
	quiet := d.shortQuiet
	if d.long {
		quiet = d.quiet
	}
	wait := min(quiet, d.first.Add(d.max).Sub(now))
	if d.timer == nil {
		d.timer = time.AfterFunc(wait, d.fire)
		return
	}
	d.timer.Reset(wait)
}

func (d *debouncer) fire() {
	d.mu.Lock()
	d.first = time.Time{}
	d.mu.Unlock()
	d.fn()
}

// stop cancels a pending run.
func (d *debouncer) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
	}
}
