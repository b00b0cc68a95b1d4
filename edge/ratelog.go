package edge

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// logBurst is how many lines a rateLog passes in one logWindow; one more
// line at the window's end counts those it dropped.
const (
	logBurst  = 5
	logWindow = time.Second
)

// rateLog passes at most logBurst warnings a logWindow to a logger, then
// counts the rest and says how many it dropped when the window ends: a
// flood of bad requests or failing disks must not become a flood of log.
type rateLog struct {
	log    *slog.Logger
	source string // names the dropped lines' origin in the summary

	mu         sync.Mutex // protects the fields below
	start      time.Time  // of the current window
	passed     int        // lines passed in the current window
	suppressed int        // lines dropped since the last summary
}

// Warn logs msg unless this window's lines are spent.
func (r *rateLog) Warn(msg string, args ...any) {
	if r.allow() {
		r.log.Warn(msg, args...)
	}
}

func (r *rateLog) allow() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if now.Sub(r.start) >= logWindow {
		r.start, r.passed = now, 0
	}
	if r.passed < logBurst {
		r.passed++
		return true
	}
	if r.suppressed == 0 {
		time.AfterFunc(r.start.Add(logWindow).Sub(now), r.summarize)
	}
	r.suppressed++
	return false
}

// summarize logs how many lines were dropped since the last summary.
func (r *rateLog) summarize() {
	r.mu.Lock()
	n := r.suppressed
	r.suppressed = 0
	r.mu.Unlock()
	if n > 0 {
		r.log.Warn("log lines suppressed", "source", r.source, "count", n, "limit", fmt.Sprintf("%d/%v", logBurst, logWindow))
	}
}

// maxFastHTTPMessage bounds one fasthttp message in the log.
const maxFastHTTPMessage = 256

// fasthttpLogger sends fasthttp's own messages (connection errors, bad
// requests) to slog, rate-limited: one arrives per malformed request.
type fasthttpLogger struct{ log *rateLog }

// Printf logs one message. SecureErrorLogMessage keeps the request buffer
// out of fasthttp's errors, but a parse error still quotes the bad header
// line, which may be a Cookie or Authorization: quoted text in errors is
// replaced, addresses are kept.
func (l fasthttpLogger) Printf(format string, args ...any) {
	if !l.log.allow() {
		return
	}
	for i, a := range args {
		if err, ok := a.(error); ok {
			args[i] = redactQuoted(err.Error())
		}
	}
	msg := fmt.Sprintf(format, args...)
	if len(msg) > maxFastHTTPMessage {
		msg = msg[:maxFastHTTPMessage] + "…"
	}
	l.log.log.Warn(msg, "source", l.log.source)
}

// redactQuoted replaces every double-quoted part of s (Go %q syntax, with
// backslash escapes) by "…".
func redactQuoted(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(`"…"`)
		s = s[i+1:]
		for j := 0; ; j++ {
			if j >= len(s) { // unterminated: drop the rest
				return b.String()
			}
			if s[j] == '\\' {
				j++
			} else if s[j] == '"' {
				s = s[j+1:]
				break
			}
		}
	}
}
