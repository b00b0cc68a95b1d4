package assets

import (
	"bytes"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// fakeWatch is watchSys without a kernel: it hands out descriptors, records
// removals, and refuses adds past limit with ENOSPC, as inotify does at
// fs.inotify.max_user_watches.
type fakeWatch struct {
	limit   int // live watches allowed; 0: any number
	live    map[int32]string
	next    int32
	removed []string
	stop    chan struct{}
}

func newFakeWatch(limit int) *fakeWatch {
	return &fakeWatch{limit: limit, live: map[int32]string{}, stop: make(chan struct{})}
}

func (f *fakeWatch) add(dir string) (int32, error) {
	if f.limit > 0 && len(f.live) >= f.limit {
		return 0, syscall.ENOSPC
	}
	f.next++
	f.live[f.next] = dir
	return f.next, nil
}

func (f *fakeWatch) remove(wd int32) {
	f.removed = append(f.removed, f.live[wd])
	delete(f.live, wd)
}

func (f *fakeWatch) read() ([]watchEvent, error) {
	<-f.stop
	return nil, syscall.EBADF
}

func (f *fakeWatch) close() error { close(f.stop); return nil }

// wd is the descriptor of the live watch of dir.
func (f *fakeWatch) wd(t *testing.T, dir string) int32 {
	t.Helper()
	for wd, d := range f.live {
		if d == dir {
			return wd
		}
	}
	t.Fatalf("%q is not watched; live: %v", dir, f.live)
	return 0
}

func (f *fakeWatch) dirs() []string { return slices.Sorted(maps.Values(f.live)) }

// siteEntry is an entry for s/n/font.woff2 as load makes it, due later.
func siteEntry(n string) *entry {
	e := &entry{name: "s/" + n + "/font.woff2", cost: 1,
		looked: []string{"s", "s/" + n, "s/" + n + "/font.woff2"}}
	e.due.Store(1 << 62)
	return e
}

// TestWatcherEvents: one watch a directory however many entries need it;
// an event sends to a re-check exactly the entries that looked its path up;
// a lost watch drops its entries; the last entry gone releases a watch.
func TestWatcherEvents(t *testing.T) {
	sys := newFakeWatch(0)
	c := newCache(1 << 20)
	c.watch = newWatcher(sys, c, slog.New(slog.DiscardHandler))
	defer c.watch.close()
	e1, e2 := siteEntry("1"), siteEntry("2")
	c.store(e1)
	c.store(e2)
	if !e1.watched || !e2.watched {
		t.Fatalf("watched: %v %v, want both", e1.watched, e2.watched)
	}
	if got, want := sys.dirs(), []string{"", "s", "s/1", "s/2"}; !slices.Equal(got, want) {
		t.Fatalf("watches %q, want %q: one a directory", got, want)
	}
	due := func() [2]bool { return [2]bool{e1.due.Load() == 0, e2.due.Load() == 0} }
	reset := func() { e1.due.Store(1 << 62); e2.due.Store(1 << 62) }

	c.watch.handle([]watchEvent{{wd: sys.wd(t, "s/1"), name: "access.log"}, {wd: sys.wd(t, "s"), name: "3"}})
	if got := due(); got != [2]bool{} {
		t.Errorf("events about paths no entry looked up: re-check %v, want none", got)
	}
	c.watch.handle([]watchEvent{{wd: sys.wd(t, "s/1"), name: "font.woff2"}})
	if got := due(); got != [2]bool{true, false} {
		t.Errorf("site 1's file written: re-check %v, want site 1's alone", got)
	}
	reset()
	c.watch.handle([]watchEvent{{wd: sys.wd(t, "s"), name: "2"}})
	if got := due(); got != [2]bool{false, true} {
		t.Errorf("site 2's directory renamed: re-check %v, want site 2's alone", got)
	}
	reset()
	c.watch.handle([]watchEvent{{wd: sys.wd(t, ""), name: "s"}})
	if got := due(); got != [2]bool{true, true} {
		t.Errorf("the sites directory renamed: re-check %v, want both", got)
	}
	reset()
	c.watch.handle([]watchEvent{{wd: -1, overflow: true}})
	if got := due(); got != [2]bool{true, true} {
		t.Errorf("events lost: re-check %v, want both", got)
	}
	reset()

	// s/2's watch is lost (the directory deleted or moved): its entry is
	// dropped, to be read again with a new watch; its watch is released.
	c.watch.handle([]watchEvent{{wd: sys.wd(t, "s/2"), lost: true}})
	if c.lookup([]byte(e2.name)) != nil || c.lookup([]byte(e1.name)) == nil {
		t.Errorf("after s/2's watch was lost: site 2 held %v, site 1 held %v; want site 1's alone",
			c.lookup([]byte(e2.name)) != nil, c.lookup([]byte(e1.name)) != nil)
	}
	if got, want := sys.dirs(), []string{"", "s", "s/1"}; !slices.Equal(got, want) {
		t.Errorf("watches %q, want %q", got, want)
	}
	// A new entry of site 2 watches its directory afresh.
	e2b := siteEntry("2")
	c.store(e2b)
	if !e2b.watched || !slices.Contains(sys.dirs(), "s/2") {
		t.Errorf("site 2 read again: watched %v, watches %q", e2b.watched, sys.dirs())
	}
	c.drop(e1)
	c.drop(e2b)
	if len(sys.live) != 0 {
		t.Errorf("no entry held, watches %q left", sys.dirs())
	}
}

// TestWatcherLimit: past the watch limit an entry is not watched (it is
// stat'ed every Revalidate), holds no watch, and the limit is logged once.
func TestWatcherLimit(t *testing.T) {
	sys := newFakeWatch(3) // "", "s", "s/1"
	var logged bytes.Buffer
	c := newCache(1 << 20)
	c.watch = newWatcher(sys, c, slog.New(slog.NewTextHandler(&logged, nil)))
	defer c.watch.close()
	e1, e2, e3 := siteEntry("1"), siteEntry("2"), siteEntry("3")
	for _, e := range []*entry{e1, e2, e3} {
		c.store(e)
	}
	if !e1.watched || e2.watched || e3.watched {
		t.Errorf("watched %v %v %v, want the first alone", e1.watched, e2.watched, e3.watched)
	}
	if n := strings.Count(logged.String(), "inotify watch limit"); n != 1 {
		t.Errorf("the limit logged %d times, want once:\n%s", n, logged.String())
	}
	c.drop(e1)
	if len(sys.live) != 0 {
		t.Errorf("watches %q left once the one watched entry is gone", sys.dirs())
	}
}
