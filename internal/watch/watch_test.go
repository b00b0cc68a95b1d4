package watch_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"corsedge/internal/watch"
)

// recorder collects the causes a Watcher reports.
type recorder struct {
	mu     sync.Mutex
	causes []watch.Cause
}

func (r *recorder) changed(c watch.Cause) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.causes = append(r.causes, c)
}

func (r *recorder) count(c watch.Cause) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, got := range r.causes {
		if got == c {
			n++
		}
	}
	return n
}

// start watches paths with opt until the test ends.
func start(t *testing.T, paths []string, opt watch.Options) *recorder {
	t.Helper()
	w := watch.New(paths, opt)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	r := &recorder{}
	go func() { defer close(done); w.Run(ctx, r.changed) }()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return cond()
}

func write(t *testing.T, name, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Files of one set in different directories are each seen; a neighbour
// that is not in the set is not.
func TestWatchSetAcrossDirectories(t *testing.T) {
	root := t.TempDir()
	rulesFile := filepath.Join(root, "conf", "rules.toml")
	cert := filepath.Join(root, "tls", "cert.pem")
	key := filepath.Join(root, "tls", "key.pem")
	for _, f := range []string{rulesFile, cert, key} {
		write(t, f, "v1")
	}
	r := start(t, []string{rulesFile, cert, key}, watch.Options{Quiet: 20 * time.Millisecond})
	for _, tc := range []struct {
		desc   string
		edit   func()
		change bool
	}{
		{"a neighbour of the rules file", func() { write(t, filepath.Join(root, "conf", "notes.txt"), "x") }, false},
		{"the rules file", func() { write(t, rulesFile, "v2") }, true},
		{"the key, in another directory", func() { write(t, key, "v2") }, true},
		{"the certificate, renamed over", func() {
			write(t, cert+".tmp", "v2")
			if err := os.Rename(cert+".tmp", cert); err != nil {
				t.Fatal(err)
			}
		}, true},
	} {
		before := r.count(watch.Event)
		tc.edit()
		got := waitFor(time.Second, func() bool { return r.count(watch.Event) > before })
		if got != tc.change {
			t.Errorf("%s: change reported %v, want %v", tc.desc, got, tc.change)
		}
	}
}

// A Kubernetes ConfigMap update swaps ..data; no event names the file.
func TestWatchConfigMapSwap(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "..v1", "rules.toml"), "v1")
	write(t, filepath.Join(dir, "..v2", "rules.toml"), "v2")
	must(t, os.Symlink("..v1", filepath.Join(dir, "..data")))
	must(t, os.Symlink("..data/rules.toml", filepath.Join(dir, "rules.toml")))
	r := start(t, []string{filepath.Join(dir, "rules.toml")}, watch.Options{Quiet: 20 * time.Millisecond})
	must(t, os.Symlink("..v2", filepath.Join(dir, "..data_tmp")))
	must(t, os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
	if !waitFor(time.Second, func() bool { return r.count(watch.Event) > 0 }) {
		t.Error("the ..data swap was not reported")
	}
}

func TestWatchDebounce(t *testing.T) {
	for _, tc := range []struct {
		desc        string
		opt         watch.Options
		writes      int
		gap         time.Duration
		wantAtLeast int // changes reported while the writes go on
		wantAfter   int // changes reported once they are over; 0: not checked
	}{
		{"a burst is reported once", watch.Options{Quiet: 300 * time.Millisecond, Max: 10 * time.Second}, 5, 0, 0, 1},
		{"a steady stream cannot postpone the report past Max", watch.Options{Quiet: 10 * time.Second, Max: 100 * time.Millisecond}, 40, 20 * time.Millisecond, 1, 0},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "rules.toml")
			write(t, file, "v0")
			r := start(t, []string{file}, tc.opt)
			for i := range tc.writes {
				write(t, file, "v"+string(rune('a'+i%26)))
				time.Sleep(tc.gap)
			}
			if got := r.count(watch.Event); got < tc.wantAtLeast {
				t.Errorf("%d changes reported during the writes, want at least %d", got, tc.wantAtLeast)
			}
			if tc.wantAfter > 0 {
				waitFor(2*time.Second, func() bool { return r.count(watch.Event) >= tc.wantAfter })
				time.Sleep(tc.opt.Quiet + 100*time.Millisecond)
				if got := r.count(watch.Event); got != tc.wantAfter {
					t.Errorf("%d changes reported after the burst, want %d", got, tc.wantAfter)
				}
			}
		})
	}
}

// The poll tick reports a Poll cause with no event at all.
func TestWatchPoll(t *testing.T) {
	file := filepath.Join(t.TempDir(), "rules.toml")
	write(t, file, "v1")
	r := start(t, []string{file}, watch.Options{Poll: 30 * time.Millisecond})
	if !waitFor(time.Second, func() bool { return r.count(watch.Poll) >= 2 }) {
		t.Error("no poll ticks reported")
	}
	if n := r.count(watch.Event); n != 0 {
		t.Errorf("%d events reported without a change", n)
	}
}

// A deleted directory loses its watch; when it comes back, the watch is
// re-added, the return is reported, and later edits are seen again.
func TestWatchDirectoryComesBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "conf")
	file := filepath.Join(dir, "rules.toml")
	write(t, file, "v1")
	r := start(t, []string{file}, watch.Options{Quiet: 20 * time.Millisecond})
	must(t, os.RemoveAll(dir))
	time.Sleep(2 * watch.RewatchEvery)
	before := r.count(watch.Event)
	must(t, os.Mkdir(dir, 0o755))
	if !waitFor(2*time.Second, func() bool { return r.count(watch.Event) > before }) {
		t.Fatal("the directory's return was not reported")
	}
	time.Sleep(watch.RewatchEvery) // the return's own report is over
	before = r.count(watch.Event)
	write(t, file, "v2")
	if !waitFor(2*time.Second, func() bool { return r.count(watch.Event) > before }) {
		t.Error("an edit after the directory came back was not reported")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Run returns only once the last change it reported has been handled: a
// server that stops watching stops reloading too.
func TestRunWaitsForItsCalls(t *testing.T) {
	dir := t.TempDir()
	w := watch.New([]string{filepath.Join(dir, "rules.toml")}, watch.Options{Poll: 5 * time.Millisecond})
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx, func(watch.Cause) {
			once.Do(func() { close(entered) })
			<-release
		})
	}()
	<-entered
	cancel()
	select {
	case <-done:
		t.Fatal("Run returned while a change was still being handled")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after the call ended")
	}
}
