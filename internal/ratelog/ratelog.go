// Package ratelog passes at most a few log lines a second from one source
// and counts the rest, so that a flood of bad requests, failing disks or
// hostile handshakes never becomes a flood of log lines.
package ratelog

import (
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Burst is how many lines a Logger passes in one Window; one more line at
// the window's end counts those it dropped.
const (
	Burst  = 5
	Window = time.Second
)

// A Logger rate-limits the lines of one source to a slog.Logger.
type Logger struct {
	log    *slog.Logger
	source string // names the dropped lines' origin in the summary

	mu         sync.Mutex // protects the fields below
	start      time.Time  // of the current window
	passed     int        // lines passed in the current window
	suppressed int        // lines dropped since the last summary
}

// New returns a Logger for the lines of source, written to log.
func New(log *slog.Logger, source string) *Logger { return &Logger{log: log, source: source} }

// Source names the Logger's source.
func (r *Logger) Source() string { return r.source }

// Out is where the lines go, for a line Allow has passed.
func (r *Logger) Out() *slog.Logger { return r.log }

// Warn logs msg unless this window's lines are spent.
func (r *Logger) Warn(msg string, args ...any) {
	if r.Allow() {
		r.log.Warn(msg, args...)
	}
}

// Allow reports whether one more line may pass now, for a caller that
// writes it itself; a line refused is counted in the window's summary.
func (r *Logger) Allow() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if now.Sub(r.start) >= Window {
		r.start, r.passed = now, 0
	}
	if r.passed < Burst {
		r.passed++
		return true
	}
	if r.suppressed == 0 {
		time.AfterFunc(r.start.Add(Window).Sub(now), r.summarize)
	}
	r.suppressed++
	return false
}

// summarize logs how many lines were dropped since the last summary.
func (r *Logger) summarize() {
	r.mu.Lock()
	n := r.suppressed
	r.suppressed = 0
	r.mu.Unlock()
	if n > 0 {
		r.log.Warn("log lines suppressed", "source", r.source, "count", n, "limit", fmt.Sprintf("%d/%v", Burst, Window))
	}
}
