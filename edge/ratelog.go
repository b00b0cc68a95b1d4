package edge

import (
	"corsedge/internal/ratelog"
	"fmt"
	"strings"
)

// maxFastHTTPMessage bounds one fasthttp message in the log.
const maxFastHTTPMessage = 256

// fasthttpLogger sends fasthttp's own messages (connection errors, bad
// requests) to slog, rate-limited: one arrives per malformed request.
type fasthttpLogger struct{ log *ratelog.Logger }

// Printf logs one message. SecureErrorLogMessage keeps the request buffer
// out of fasthttp's errors, but a parse error still quotes the bad header
// line, which may be a Cookie or Authorization: quoted text in errors is
// replaced, addresses are kept.
func (l fasthttpLogger) Printf(format string, args ...any) {
	if !l.log.Allow() {
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
	l.log.Out().Warn(msg, "source", l.log.Source())
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
