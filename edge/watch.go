package edge

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"time"

	"github.com/fsnotify/fsnotify"
)

const (
	// maxDebounce bounds how long a stream of events can postpone a reload.
	maxDebounce = 500 * time.Millisecond
	// rewatchEvery is how often a lost directory watch is re-added.
	rewatchEvery = 250 * time.Millisecond
	// configMapData is the symlink a Kubernetes ConfigMap volume swaps on
	// update; no event names the rules file itself then.
	configMapData = "..data"
)

// rulesWatch is the fsnotify watch on the rules file's directory.
type rulesWatch struct {
	w         *fsnotify.Watcher // nil when inotify is unavailable: polling only
	dir, base string
	watching  bool // the directory watch is in place
}

// newRulesWatch starts watching the rules file's directory. Run calls it
// before serving, so no edit made once the server is up goes unseen.
func (s *Server) newRulesWatch() *rulesWatch {
	file, err := filepath.Abs(s.cfg.RulesFile)
	if err != nil {
		file = s.cfg.RulesFile
	}
	rw := &rulesWatch{dir: filepath.Dir(file), base: filepath.Base(file)}
	if rw.w, err = fsnotify.NewWatcher(); err != nil {
		s.log.Error("file watching unavailable; polling only", "error", err)
		return rw
	}
	rw.watching = rw.w.Add(rw.dir) == nil
	return rw
}

// watch reloads the rules after file events in the rules file's directory
// (debounced), on every poll tick, and whenever a lost watch comes back,
// until ctx is done. Reloads run off the event loop, one at a time, so the
// loop always drains fsnotify's unbuffered channels.
func (s *Server) watch(ctx context.Context, rw *rulesWatch) {
	w, dir, base := rw.w, rw.dir, rw.base
	var events <-chan fsnotify.Event // stay nil without a watcher: select skips them
	var errs <-chan error
	if w != nil {
		defer w.Close()
		events, errs = w.Events, w.Errors
	}
	watching := rw.watching

	var poll <-chan time.Time
	if s.cfg.Poll > 0 {
		t := time.NewTicker(s.cfg.Poll)
		defer t.Stop()
		poll = t.C
	}
	rewatch := time.NewTicker(rewatchEvery)
	defer rewatch.Stop()
	d := newDebouncer(s.cfg.Debounce, maxDebounce, func() { s.Reload(TriggerFSNotify) })
	defer d.stop()

	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			switch name := filepath.Base(ev.Name); {
			case ev.Name == dir && ev.Has(fsnotify.Remove|fsnotify.Rename):
				// The directory itself went away: its watch is gone (or
				// follows the renamed directory); re-add it by path.
				w.Remove(dir)
				watching = false
			case name == base || name == configMapData:
				d.event()
			}
		case err, ok := <-errs:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				d.event() // events were lost: the file may have changed
				continue
			}
			s.log.Warn("file watch error", "dir", dir, "error", err)
		case <-rewatch.C:
			// inotify drops the watch of a deleted or unmounted directory,
			// sometimes with no event at all: check the watch list too.
			if w != nil && watching && !slices.Contains(w.WatchList(), dir) {
				watching = false
			}
			if w != nil && !watching && w.Add(dir) == nil {
				watching = true
				s.log.Info("rules directory is back; watching it again", "dir", dir)
				d.event()
			}
		case <-poll:
			go s.Reload(TriggerPoll)
		}
	}
}
