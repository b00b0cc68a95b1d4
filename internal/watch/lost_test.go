package watch

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// inotify can drop a directory's watch with no event at all (an unmounted
// filesystem): the watch list is checked and the watch re-added.
func TestWatchDroppedWithoutEvent(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "rules.toml")
	if err := os.WriteFile(file, []byte("v1"), 0o644); err != nil {
		t.Fatal(err)
	}
	w := New([]string{file}, Options{Quiet: 20 * time.Millisecond})
	if w.w == nil {
		t.Fatal("no inotify")
	}
	var changes atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx, func(Cause) { changes.Add(1) }) }()
	defer func() { cancel(); <-done }()
	if err := w.w.Remove(dir); err != nil { // gone from the kernel, no event to the loop
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for changes.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if changes.Load() == 0 {
		t.Fatal("the re-added watch was not reported")
	}
	before := changes.Load()
	if err := os.WriteFile(file, []byte("v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(2 * time.Second)
	for changes.Load() == before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if changes.Load() == before {
		t.Error("an edit after the watch was re-added was not reported")
	}
}
