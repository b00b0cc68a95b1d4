package assets

import (
	"errors"
	"log/slog"
	"path"
	"sync"
)

// Watching the directories of the files held in memory: a change on disk is
// reported by the kernel (inotify, watch_linux.go) the moment it happens, so
// a watched entry is re-checked on the request after the event and otherwise
// only every Options.RevalidateWatched, a safety net for the changes no event
// reports (a write through mmap, or through a hard link in a directory not
// watched). Stat'ing every file every Revalidate instead costs a system call
// per file and interval: with 10,000 sites' files held, about one GET in
// four made one, for changes that almost never come.
//
// What an entry depends on is every path resolve looked up to reach its file
// and its sidecars (looked): "s", "s/42", "s/42/font.woff2" and the sidecar
// names, found or not, and the targets of the symlinks on the way. Each
// directory those paths are in is watched, once however many entries need
// it; an event naming one of the paths sends the entries that looked it up
// to a re-check (never straight to a reload: the re-check keeps an entry
// whose file is still the very version it read). An entry that could not
// have every directory watched (no inotify, a remote or FUSE filesystem, the
// watch limit reached) is re-checked every Revalidate, as before.

// watchedDir is one directory watch, shared by the entries that need it.
type watchedDir struct {
	wd   int32
	path string // relative to the root; "" for the root itself
	refs int    // entries holding it
	dead bool   // the watch was lost, or names another directory now
}

// watcher watches the directories a tree's entries depend on. Its methods
// are safe on a nil *watcher, which watches nothing.
type watcher struct {
	sys   watchSys     // the kernel's side
	cache *cache       // the entries events are about
	log   *slog.Logger // warnings, once each

	mu      sync.Mutex
	dirs    map[string]*watchedDir // live watches by path
	byWD    map[int32]*watchedDir  // live watches by descriptor
	looked  map[string]int         // how many watched entries looked each path up
	limited bool                   // a watch was refused for lack of watches (logged once)
	closed  bool
	done    chan struct{} // closed when the event loop has returned
}

// watchSys is what a watcher asks of the kernel.
type watchSys interface {
	add(dir string) (wd int32, err error) // watch dir (relative to the root)
	remove(wd int32)
	// read blocks until events come and returns them, or an error once
	// the descriptor is closed.
	read() ([]watchEvent, error)
	close() error
}

// watchEvent is what the kernel said about one directory, or about all of
// them (overflow: events were lost).
type watchEvent struct {
	wd       int32
	name     string // the entry of the directory it names; "" for the directory itself
	lost     bool   // the directory watch is gone, or the directory moved or was deleted
	overflow bool   // events were dropped: anything may have changed
}

// newWatcher starts watching for c's entries through sys.
func newWatcher(sys watchSys, c *cache, log *slog.Logger) *watcher {
	w := &watcher{sys: sys, cache: c, log: log,
		dirs: map[string]*watchedDir{}, byWD: map[int32]*watchedDir{}, looked: map[string]int{},
		done: make(chan struct{})}
	go w.loop()
	return w
}

// add watches every directory e depends on and reports whether all are
// watched; when not, e holds none and is re-checked every Revalidate. Call
// it with c.mu held, before e is published.
func (w *watcher) add(e *entry) bool {
	if w == nil || len(e.looked) == 0 {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return false
	}
	dirs := make([]*watchedDir, 0, len(e.looked))
	for _, p := range e.looked {
		dir := dirOf(p)
		d := w.dirs[dir]
		if d == nil {
			var err error
			if d, err = w.watchLocked(dir); err != nil {
				w.releaseLocked(dirs)
				return false
			}
		}
		d.refs++
		dirs = append(dirs, d)
	}
	for _, p := range e.looked {
		w.looked[p]++
	}
	e.dirs = dirs
	return true
}

// watchLocked adds the watch of dir.
func (w *watcher) watchLocked(dir string) (*watchedDir, error) {
	wd, err := w.sys.add(dir)
	if err != nil {
		if errWatchLimit(err) && !w.limited {
			w.limited = true
			w.log.Warn("asset files beyond the inotify watch limit are re-checked every Revalidate; raise fs.inotify.max_user_watches",
				"dir", dir, "watched", len(w.dirs), "error", err)
		}
		return nil, err
	}
	if other := w.byWD[wd]; other != nil { // the same directory under another path: a bind mount, or a rename seen late
		return nil, errSharedWatch
	}
	d := &watchedDir{wd: wd, path: dir}
	w.dirs[dir], w.byWD[wd] = d, d
	return d, nil
}

// forget releases what add gave e. Call it with c.mu held.
func (w *watcher) forget(e *entry) {
	if w == nil || e.dirs == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range e.looked {
		if w.looked[p]--; w.looked[p] <= 0 {
			delete(w.looked, p)
		}
	}
	w.releaseLocked(e.dirs)
	e.dirs = nil
}

// releaseLocked drops one reference to each of dirs, removing a watch no
// entry holds any more.
func (w *watcher) releaseLocked(dirs []*watchedDir) {
	for _, d := range dirs {
		if d.refs--; d.refs > 0 {
			continue
		}
		if !d.dead {
			delete(w.dirs, d.path)
			delete(w.byWD, d.wd)
		}
		// A lost watch may live on (its directory moved): removed unless
		// the directory came back under a watch of its own.
		if !w.closed && w.byWD[d.wd] == nil {
			w.sys.remove(d.wd)
		}
	}
}

// errSharedWatch refuses a second path to a directory already watched: one
// watch cannot say which of the two paths an event is about.
var errSharedWatch = errors.New("directory already watched under another path")

// dirOf is the directory of a path relative to the root; "" for the root.
func dirOf(p string) string {
	if d := path.Dir(p); d != "." {
		return d
	}
	return ""
}

// close stops the event loop and releases every watch.
func (w *watcher) close() error {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	err := w.sys.close()
	<-w.done
	return err
}

// loop reads events until the descriptor is closed.
func (w *watcher) loop() {
	defer close(w.done)
	for {
		evs, err := w.sys.read()
		if err != nil {
			return
		}
		w.handle(evs)
	}
}

// handle sends the entries a batch of events is about to a re-check, and
// drops those whose directory watch was lost: read again, they watch the
// directory the path names now.
func (w *watcher) handle(evs []watchEvent) {
	var changed map[string]bool // paths named by events
	var lost map[*watchedDir]bool
	all := false
	w.mu.Lock()
	for _, ev := range evs {
		if ev.overflow {
			all = true
			continue
		}
		d := w.byWD[ev.wd]
		if d == nil {
			continue // a watch removed since, or its own removal's notice
		}
		if ev.lost {
			if lost == nil {
				lost = map[*watchedDir]bool{}
			}
			lost[d] = true
			d.dead = true
			delete(w.dirs, d.path)
			delete(w.byWD, d.wd)
			continue
		}
		p := ev.name
		if d.path != "" {
			p = d.path + "/" + ev.name
		}
		if ev.name == "" { // the directory's own attributes: its files may have become unreadable
			p = d.path
			all = all || p == ""
		}
		if w.looked[p] > 0 || ev.name == "" {
			if changed == nil {
				changed = map[string]bool{}
			}
			changed[p] = true
		}
	}
	w.mu.Unlock()
	if !all && changed == nil && lost == nil {
		return // events about files no entry depends on: most of them
	}
	drop := w.cache.recheckIf(func(e *entry) (recheck, drop bool) {
		if all {
			return true, false
		}
		for _, d := range e.dirs {
			if lost[d] {
				return false, true
			}
		}
		for _, p := range e.looked {
			if changed[p] || changed[dirOf(p)] {
				return true, false
			}
		}
		return false, false
	})
	for _, e := range drop {
		w.cache.drop(e)
	}
}
