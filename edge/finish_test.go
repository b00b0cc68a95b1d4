package edge

import (
	"corsedge/internal/ratelog"
	"corsedge/internal/testlog"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// Asset errors reach finish, which counts each one and logs a few a second.
func TestFinishCountsAndRateLimitsAssetErrors(t *testing.T) {
	s := newInternalServer(t)
	var logs testlog.Buffer
	s.assetLog = ratelog.New(slog.New(slog.NewTextHandler(&logs, nil)), "assets")
	ctx := preflightCtx("https://a.example", "")
	for range 1000 {
		s.finish(ctx, &exit{kind: kindActual, decision: decisionAllowed, err: errors.New("read /srv/js/app.js: input/output error")})
	}
	s.finish(ctx, &exit{kind: kindBadRequest, decision: decisionNone, err: errors.New("fasthttp logs this one itself")})
	if got := s.metrics.assetErrors.Get(); got != 1000 {
		t.Errorf("corsedge_asset_errors_total = %d, want 1000", got)
	}
	if got := s.metrics.requests[kindActual][decisionAllowed].Get(); got != 1000 {
		t.Errorf("actual/allowed requests = %d, want 1000", got)
	}
	lines := strings.Count(logs.String(), "\n")
	if lines != ratelog.Burst {
		t.Errorf("%d lines logged for 1000 errors in one burst, want %d", lines, ratelog.Burst)
	}
}

func TestRedactQuoted(t *testing.T) {
	for _, tc := range []struct{ desc, in, want string }{
		{"no quotes", "error when reading request headers: timeout", "error when reading request headers: timeout"},
		{"one quoted line", `missing colon: "Cookie s=1": buffer size=9`, `missing colon: "…": buffer size=9`},
		{"escaped quote inside", `bad: "a\"b\\" end`, `bad: "…" end`},
		{"two quoted parts", `"x" and "y"`, `"…" and "…"`},
		{"unterminated", `value "Authorization: Bearer t`, `value "…"`},
	} {
		if got := redactQuoted(tc.in); got != tc.want {
			t.Errorf("%s: redactQuoted(%q) = %q, want %q", tc.desc, tc.in, got, tc.want)
		}
	}
}
