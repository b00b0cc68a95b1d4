package testlog_test

import (
	"sync"
	"testing"

	"corsedge/internal/testlog"
)

func TestConcurrentWritersAndLines(t *testing.T) {
	log, buf := testlog.New()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { log.Info("hello", "writer", i) })
	}
	wg.Wait()
	if got := len(buf.Lines("msg=hello")); got != 8 {
		t.Errorf("%d lines with msg=hello, want 8:\n%s", got, buf.String())
	}
	if got := buf.Lines("absent"); got != nil {
		t.Errorf("Lines(absent) = %q, want none", got)
	}
}
