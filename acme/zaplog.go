package acme

import (
	"context"
	"corsedge/internal/ratelog"
	"log/slog"
	"maps"
	"slices"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// zapLogger sends certmagic's zap logs to log, so corsedge has one log.
func zapLogger(log *slog.Logger) *zap.Logger {
	// Warnings and errors are rate-limited: some follow what clients do
	// (a handshake, a challenge request), and the log must not grow with a
	// flood of those.
	return zap.New(&slogCore{h: log.Handler(), limit: ratelog.New(log, "acme")})
}

// slogCore is a zapcore.Core writing through a slog.Handler.
type slogCore struct {
	h     slog.Handler
	attrs []slog.Attr     // from With
	limit *ratelog.Logger // for warnings and errors; shared by every core made With this one
}

func (c *slogCore) Enabled(l zapcore.Level) bool {
	return c.h.Enabled(context.Background(), slogLevel(l))
}

func (c *slogCore) With(fields []zapcore.Field) zapcore.Core {
	return &slogCore{h: c.h, attrs: append(slices.Clip(c.attrs), attrs(fields)...), limit: c.limit}
}

func (c *slogCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *slogCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	r := slog.NewRecord(e.Time, slogLevel(e.Level), e.Message, 0)
	if e.Level >= zapcore.WarnLevel && !c.limit.Allow() {
		return nil
	}
	r.AddAttrs(slog.String("source", "acme"))
	if e.LoggerName != "" {
		r.AddAttrs(slog.String("logger", e.LoggerName))
	}
	r.AddAttrs(c.attrs...)
	r.AddAttrs(attrs(fields)...)
	return c.h.Handle(context.Background(), r)
}

func (c *slogCore) Sync() error { return nil }

func slogLevel(l zapcore.Level) slog.Level {
	switch {
	case l <= zapcore.DebugLevel:
		return slog.LevelDebug
	case l == zapcore.InfoLevel:
		return slog.LevelInfo
	case l == zapcore.WarnLevel:
		return slog.LevelWarn
	}
	return slog.LevelError
}

// attrs turns zap fields into slog attributes, in the fields' order.
func attrs(fields []zapcore.Field) []slog.Attr {
	out := make([]slog.Attr, 0, len(fields))
	for _, f := range fields {
		enc := zapcore.NewMapObjectEncoder()
		f.AddTo(enc)
		for _, k := range slices.Sorted(maps.Keys(enc.Fields)) {
			out = append(out, slog.Any(k, enc.Fields[k]))
		}
	}
	return out
}
