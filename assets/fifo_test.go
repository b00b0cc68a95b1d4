//go:build unix

package assets_test

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"corsedge/assets"
)

// TestFIFO checks that a named pipe in the root is refused at once, not
// waited on for a writer that never comes.
func TestFIFO(t *testing.T) {
	root := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(root, "pipe.css"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	h := newHarness(t, assets.Options{Root: root}, assets.Hints{})
	start := time.Now()
	if r := h.get(t, "GET", "/pipe.css"); r.status != 404 {
		t.Errorf("status %d, want 404", r.status)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}
