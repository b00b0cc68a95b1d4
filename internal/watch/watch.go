package watch

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Cause says why a Watcher thinks the files may have changed.
type Cause uint8

const (
	// Event: fsnotify named one of the files (or ..data), dropped events,
	// or a lost directory watch came back.
	Event Cause = iota
	// Poll: the poll tick, with no event; for filesystems where inotify is
	// silent (NFS, some FUSE mounts) or a file reached through a symlink
	// into an unwatched directory.
	Poll
)

func (c Cause) String() string {
	if c == Poll {
		return "poll"
	}
	return "event"
}

// Defaults for Options' zero values.
const (
	DefaultQuiet = 100 * time.Millisecond
	DefaultMax   = 500 * time.Millisecond
	// DefaultDirQuiet is the quiet period of a burst whose every event is in
	// a WatchDirs directory: site files are written by rename (or read under
	// a lease), so a shorter wait risks no half-written read.
	DefaultDirQuiet = 30 * time.Millisecond
	// RewatchEvery is how often a lost directory watch is re-added.
	RewatchEvery = 250 * time.Millisecond
	// configMapData is the symlink a Kubernetes ConfigMap volume swaps on
	// update; no event names the files themselves then.
	configMapData = "..data"
)

// Options tune a Watcher; zero values take the defaults.
type Options struct {
	Quiet time.Duration // events stop this long before Changed runs; DefaultQuiet when 0
	Max   time.Duration // never postpone Changed longer than this after a burst's first event; DefaultMax when 0
	// DirQuiet replaces Quiet for a burst of events in WatchDirs directories
	// only; min(DefaultDirQuiet, Quiet) when 0.
	DirQuiet time.Duration
	Poll     time.Duration // Changed(Poll) on every tick; none when 0 or negative
	Logger   *slog.Logger  // slog.Default() when nil
}

// Watcher watches a set of files through their directories, and whole
// directories (WatchDirs) where any name may be one of the files.
type Watcher struct {
	opt  Options
	w    *fsnotify.Watcher // nil when inotify is unavailable: polling only
	kick chan struct{}     // a directory was added by WatchDirs

	mu      sync.Mutex          // guards the fields below: WatchDirs and Changes run beside Run's loop
	dirs    map[string]*dirInfo // by absolute directory
	changed map[string]bool     // names in WatchDirs directories that events named since Changes
	all     bool                // since Changes, something no name says may have changed any file
}

type dirInfo struct {
	names    []string // base names watched in this directory
	any      bool     // every name in the directory is watched (WatchDirs)
	watching bool     // the directory watch is in place
}

// New starts watching the directories of paths at once, so that no change
// made after New returns goes unseen; Run then reports them.
func New(paths []string, opt Options) *Watcher {
	if opt.Quiet <= 0 {
		opt.Quiet = DefaultQuiet
	}
	if opt.Max <= 0 {
		opt.Max = DefaultMax
	}
	if opt.DirQuiet <= 0 {
		opt.DirQuiet = min(DefaultDirQuiet, opt.Quiet)
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	wt := &Watcher{opt: opt, dirs: map[string]*dirInfo{}, kick: make(chan struct{}, 1), changed: map[string]bool{}, all: true}
	for _, p := range paths {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		dir, base := filepath.Dir(p), filepath.Base(p)
		d := wt.dirs[dir]
		if d == nil {
			d = &dirInfo{}
			wt.dirs[dir] = d
		}
		if !slices.Contains(d.names, base) {
			d.names = append(d.names, base)
		}
	}
	var err error
	if wt.w, err = fsnotify.NewWatcher(); err != nil {
		opt.Logger.Error("file watching unavailable; polling only", "error", err)
		return wt
	}
	for dir, d := range wt.dirs {
		d.watching = wt.w.Add(dir) == nil
	}
	return wt
}

// WatchDirs makes dirs the directories in which every name counts: a file
// created, removed, written or renamed there, or a ConfigMap's ..data swap,
// reports a change. Each call replaces the last one's set (a reload
// re-evaluates its include globs); a directory that does not exist yet is
// watched once it does. Adding a directory reports a change, since its files
// may have changed before its watch was in place.
func (wt *Watcher) WatchDirs(dirs []string) {
	want := map[string]bool{}
	for _, dir := range dirs {
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
		want[filepath.Clean(dir)] = true
	}
	wt.mu.Lock()
	defer wt.mu.Unlock()
	added := false
	for dir, d := range wt.dirs {
		if d.any && !want[dir] {
			d.any = false
			if len(d.names) == 0 {
				if d.watching && wt.w != nil {
					wt.w.Remove(dir)
				}
				delete(wt.dirs, dir)
			}
		}
	}
	for dir := range want {
		d := wt.dirs[dir]
		if d == nil {
			d = &dirInfo{}
			wt.dirs[dir] = d
			if wt.w != nil {
				d.watching = wt.w.Add(dir) == nil
			}
		}
		if !d.any {
			d.any, added = true, true
		}
	}
	if added {
		wt.all = true // its files may have changed before its watch was in place
		select {
		case wt.kick <- struct{}{}:
		default:
		}
	}
}

// Run calls changed after file events (debounced), on every poll tick and
// whenever a lost directory watch comes back, until ctx is done; then it
// releases the watch. changed runs on its own goroutine, never on the event
// loop, so the loop always drains fsnotify's unbuffered channels; the
// caller serialises what changed does.
func (wt *Watcher) Run(ctx context.Context, changed func(Cause)) {
	w := wt.w
	var events <-chan fsnotify.Event // stay nil without a watcher: select skips them
	var errs <-chan error
	if w != nil {
		defer w.Close()
		events, errs = w.Events, w.Errors
	}
	var poll <-chan time.Time
	if wt.opt.Poll > 0 {
		t := time.NewTicker(wt.opt.Poll)
		defer t.Stop()
		poll = t.C
	}
	rewatch := time.NewTicker(RewatchEvery)
	defer rewatch.Stop()
	// changed runs off the loop (on the debouncer's timer, or a goroutine of
	// its own for a poll), and Run returns only once the last call has: a
	// caller that stops watching then stops reloading too.
	var (
		callMu  sync.Mutex // guards stopped and calls.Add
		stopped bool
		calls   sync.WaitGroup
	)
	call := func(c Cause) {
		callMu.Lock()
		if stopped {
			callMu.Unlock()
			return
		}
		calls.Add(1)
		callMu.Unlock()
		defer calls.Done()
		changed(c)
	}
	d := newDebouncer(wt.opt.Quiet, wt.opt.DirQuiet, wt.opt.Max, func() { call(Event) })
	defer func() {
		d.stop()
		callMu.Lock()
		stopped = true
		callMu.Unlock()
		calls.Wait()
	}()

	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			if ok, inDir := wt.relevant(ev); ok {
				d.event(inDir)
			}
		case err, ok := <-errs:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				wt.changedAll()
				d.event(false) // events were lost: the files may have changed
				continue
			}
			wt.opt.Logger.Warn("file watch error", "error", err)
		case <-wt.kick:
			d.event(false)
		case <-rewatch.C:
			if wt.rewatch() {
				d.event(false)
			}
		case <-poll:
			go call(Poll)
		}
	}
}

// Changes returns the names in WatchDirs directories that events named
// since the last call, and all set when something else may have changed any
// file (dropped events, a ..data swap, a directory watched anew or again,
// or the first call): then every file must be looked at.
func (wt *Watcher) Changes() (names []string, all bool) {
	wt.mu.Lock()
	defer wt.mu.Unlock()
	all = wt.all
	if !all {
		names = slices.Sorted(maps.Keys(wt.changed))
	}
	clear(wt.changed)
	wt.all = false
	return names, all
}

func (wt *Watcher) changedAll() {
	wt.mu.Lock()
	wt.all = true
	wt.mu.Unlock()
}

// relevant reports whether ev may change one of the files, and whether it
// named a name in a WatchDirs directory only; it notes the name for
// Changes, and a watched directory that went away.
func (wt *Watcher) relevant(ev fsnotify.Event) (ok, inDir bool) {
	wt.mu.Lock()
	defer wt.mu.Unlock()
	if d := wt.dirs[ev.Name]; d != nil && ev.Has(fsnotify.Remove|fsnotify.Rename) {
		// The directory itself went away: its watch is gone (or follows
		// the renamed directory); re-add it by path.
		wt.w.Remove(ev.Name)
		d.watching = false
		wt.all = true
	}
	d := wt.dirs[filepath.Dir(ev.Name)]
	if d == nil {
		return false, false
	}
	name := filepath.Base(ev.Name)
	switch {
	case name == configMapData:
		// A ConfigMap swap changes every file behind ..data, and no event
		// names them.
		wt.all = true
		return true, false
	case slices.Contains(d.names, name):
		if d.any {
			wt.changed[ev.Name] = true
		}
		return true, false
	case d.any:
		wt.changed[ev.Name] = true
		return true, true
	}
	return false, false
}

// rewatch re-adds lost directory watches and reports whether one came back.
// inotify drops the watch of a deleted or unmounted directory, sometimes
// with no event at all, so the watch list is checked too.
func (wt *Watcher) rewatch() (back bool) {
	if wt.w == nil {
		return false
	}
	wt.mu.Lock()
	defer wt.mu.Unlock()
	list := wt.w.WatchList()
	for dir, d := range wt.dirs {
		if d.watching && !slices.Contains(list, dir) {
			d.watching = false
		}
		if !d.watching && wt.w.Add(dir) == nil {
			d.watching = true
			wt.opt.Logger.Info("watched directory is back; watching it again", "dir", dir)
			back = true
		}
	}
	return back
}
