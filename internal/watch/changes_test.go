package watch_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"corsedge/internal/watch"
)

// TestChangesNames holds that Changes names the files events named in a
// WatchDirs directory, so a reload can look at those alone, and says "all"
// where no name tells what changed.
func TestChangesNames(t *testing.T) {
	dir := t.TempDir()
	sites := filepath.Join(dir, "sites.d")
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
	w.WatchDirs([]string{sites})
	if !waitFor(2*time.Second, func() bool { return r.count(watch.Event) >= 1 }) {
		t.Fatal("adding a directory reported no change")
	}
	a, b := filepath.Join(sites, "a.toml"), filepath.Join(sites, "b.toml")
	for _, c := range []struct {
		desc  string
		op    func()
		names []string // that must be among those named
		all   bool
	}{
		{"a directory watched anew", func() {}, nil, true},
		{"a file renamed into place", func() {
			must(os.WriteFile(filepath.Join(sites, ".a.tmp"), []byte("x"), 0o644))
			must(os.Rename(filepath.Join(sites, ".a.tmp"), a))
		}, []string{a}, false},
		{"an edit in place and a new file", func() {
			must(os.WriteFile(a, []byte("y"), 0o644))
			must(os.WriteFile(b, []byte("y"), 0o644))
		}, []string{a, b}, false},
		{"a removed file", func() { must(os.Remove(b)) }, []string{b}, false},
		{"a ConfigMap ..data swap", func() {
			must(os.Symlink("..2024", filepath.Join(sites, "..data_tmp")))
			must(os.Rename(filepath.Join(sites, "..data_tmp"), filepath.Join(sites, "..data")))
		}, nil, true},
	} {
		before := r.count(watch.Event)
		c.op()
		if c.names != nil || c.all && c.desc != "a directory watched anew" {
			if !waitFor(time.Second, func() bool { return r.count(watch.Event) > before }) {
				t.Fatalf("%s: no change reported", c.desc)
			}
		}
		time.Sleep(30 * time.Millisecond) // the burst is over
		names, all := w.Changes()
		if all != c.all {
			t.Errorf("%s: all = %v, want %v", c.desc, all, c.all)
		}
		for _, n := range c.names {
			if !slices.Contains(names, n) {
				t.Errorf("%s: names %q lack %s", c.desc, names, n)
			}
		}
	}
}
