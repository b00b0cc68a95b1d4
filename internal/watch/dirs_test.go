package watch_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"corsedge/internal/watch"
)

// TestWatchDirs holds that any name counts in a directory given to
// WatchDirs, including one that does not exist yet, and that a directory
// dropped from the set stops counting.
func TestWatchDirs(t *testing.T) {
	dir := t.TempDir()
	sites := filepath.Join(dir, "sites.d")
	later := filepath.Join(dir, "later.d")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Mkdir(sites, 0o755))
	w := watch.New([]string{filepath.Join(dir, "rules.toml")}, watch.Options{Quiet: 10 * time.Millisecond, Max: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	r := &recorder{}
	go func() { defer close(done); w.Run(ctx, r.changed) }()
	t.Cleanup(func() { cancel(); <-done })
	w.WatchDirs([]string{sites, later})
	if !waitFor(2*time.Second, func() bool { return r.count(watch.Event) >= 1 }) {
		t.Fatal("adding directories reported no change")
	}
	for _, c := range []struct {
		desc   string
		op     func()
		counts bool
	}{
		{"a new file", func() { must(os.WriteFile(filepath.Join(sites, "a.toml"), []byte("x"), 0o644)) }, true},
		{"an edit", func() { must(os.WriteFile(filepath.Join(sites, "a.toml"), []byte("y"), 0o644)) }, true},
		{"a removed file", func() { must(os.Remove(filepath.Join(sites, "a.toml"))) }, true},
		{"a ConfigMap ..data swap", func() {
			must(os.Symlink("..2024", filepath.Join(sites, "..data_tmp")))
			must(os.Rename(filepath.Join(sites, "..data_tmp"), filepath.Join(sites, "..data")))
		}, true},
		{"a directory that appears later", func() {
			must(os.Mkdir(later, 0o755))
			time.Sleep(2 * watch.RewatchEvery) // its watch comes back (and says so)
			must(os.WriteFile(filepath.Join(later, "b.toml"), []byte("x"), 0o644))
		}, true},
		{"a directory no longer in the set", func() {
			w.WatchDirs([]string{later})
			time.Sleep(50 * time.Millisecond)
			r.mu.Lock()
			r.causes = nil
			r.mu.Unlock()
			must(os.WriteFile(filepath.Join(sites, "c.toml"), []byte("x"), 0o644))
		}, false},
	} {
		time.Sleep(40 * time.Millisecond) // the last case's burst is over
		before := r.count(watch.Event)
		c.op()
		got := waitFor(time.Second, func() bool { return r.count(watch.Event) > before })
		if c.counts && !got {
			t.Errorf("%s: no change reported", c.desc)
		}
		if !c.counts {
			time.Sleep(100 * time.Millisecond)
			if n := r.count(watch.Event); n != 0 {
				t.Errorf("%s: %d changes reported, want none", c.desc, n)
			}
		}
	}
}
