package ratelog_test

import (
	"strings"
	"testing"
	"time"

	"corsedge/internal/ratelog"
	"corsedge/internal/testlog"
)

// A burst passes Burst lines, and the window's end logs how many it dropped.
func TestBurstThenSummary(t *testing.T) {
	log, buf := testlog.New()
	r := ratelog.New(log, "test")
	for range 100 {
		r.Warn("disk failed")
	}
	if n := len(buf.Lines("disk failed")); n != ratelog.Burst {
		t.Errorf("%d lines passed from a burst of 100, want %d", n, ratelog.Burst)
	}
	deadline := time.Now().Add(3 * ratelog.Window)
	for len(buf.Lines("log lines suppressed")) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := buf.Lines("log lines suppressed"); len(got) != 1 || !strings.Contains(got[0], "count=95") {
		t.Errorf("summary lines %q, want one with count=95", got)
	}
}
