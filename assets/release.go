package assets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sync/singleflight"
)

// Following the root path: a release switch (`ln -sfn releases/v2 current`,
// or a rename of a new directory over the root) is noticed by stat'ing the
// path on a ticker, and on a request that finds nothing, never on a hit.

// release is the tree opened at the root path at one time and the in-memory
// set read from it. A switch replaces both at once, so no entry read from one
// release is ever served from another.
type release struct {
	tree     *tree
	cache    *cache
	loads    singleflight.Group // one read-in per name at a time (see loadShared)
	resolved string             // the root path resolved through symlinks when opened, for the log
	id       dirID
}

// dirID tells directories apart: a switch is a root path that now names
// another one.
type dirID struct{ inode, device uint64 }

func idOf(fi fs.FileInfo) dirID {
	inode, device, _ := fileIdentity(fi)
	return dirID{inode, device}
}

// errRootGone reports a root path that no longer names a directory: the
// release was deleted or the path dangles. It is a 503, not a 404, since it
// says nothing about the file asked for.
var errRootGone = errors.New("asset root is gone")

// retireAfter is how long a release switched away from stays open: a request
// that read the old pointer just before the switch finishes on it. One that
// still finds it closed moves to the new release (see next).
const retireAfter = 10 * time.Second

// retiring is a release switched away from, closed at its time.
type retiring struct {
	r  *release
	at time.Time
}

// openRelease opens the directory the root path names now, watching the
// directories of the files it will hold unless Options.NoWatch.
func (s *Server) openRelease() (*release, error) {
	path := s.rootPath
	t, err := openDisk(path)
	if err != nil {
		return nil, err
	}
	fi, err := t.root.Stat(".")
	if err != nil {
		t.close()
		return nil, err
	}
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		resolved = path // moved on again already; the log line keeps the name
	}
	c := newCache(s.maxMemory)
	if s.watch {
		t.watch = startWatching(t, c, s.log)
		c.watch = t.watch
	}
	return &release{tree: t, cache: c, resolved: resolved, id: idOf(fi)}, nil
}

// watchRoot checks the root path every interval and closes retired releases
// when due, until Close.
func (s *Server) watchRoot(interval time.Duration) {
	defer close(s.watchDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			s.checkRoot(false) //nolint:errcheck // logged inside
			s.retire(now)
		case <-s.watchStop:
			return
		}
	}
}

// checkRoot switches to the directory the root path names when it is not
// the one served. A failure is logged once per state (path gone, new
// directory unreadable) and returned; the current release keeps serving. A
// request (onRequest) does not retry a directory that already failed to open.
func (s *Server) checkRoot(onRequest bool) error {
	s.switchMu.Lock()
	defer s.switchMu.Unlock()
	cur := s.cur.Load()
	fi, err := os.Stat(s.rootPath)
	if err != nil {
		err = fmt.Errorf("assets: Root %q: %w: %w", s.rootPath, errRootGone, err)
		if !s.rootLost {
			s.rootLost = true
			s.log.Error("asset root no longer resolves; serving the release opened before",
				"root", s.rootPath, "serving", cur.resolved, "error", err)
		}
		return err
	}
	if s.rootLost {
		s.rootLost = false
		s.log.Info("asset root resolves again", "root", s.rootPath)
	}
	id := idOf(fi)
	switch {
	case id == cur.id:
		return nil
	case onRequest && id == s.failed.id:
		return s.failed.err
	}
	next, err := s.openRelease()
	if err == nil && next.id == cur.id { // flipped back between the stat and the open
		next.tree.close()
		return nil
	}
	if err != nil {
		err = fmt.Errorf("assets: Root %q: new directory: %w", s.rootPath, err)
		if id != s.failed.id {
			s.log.Error("asset root switch failed; serving the release opened before",
				"root", s.rootPath, "serving", cur.resolved, "error", err)
		}
		s.failed.id, s.failed.err = id, err
		return err
	}
	s.failed.id, s.failed.err = dirID{}, nil
	s.cur.Store(next)
	cur.cache.empty() // MaxMemory bounds the releases together: requests finishing on cur miss
	s.retired = append(s.retired, retiring{cur, time.Now().Add(retireAfter)})
	s.log.Info("asset root switched", "root", s.rootPath, "from", cur.resolved, "to", next.resolved)
	return nil
}

// retire closes the releases whose grace period has ended by now.
func (s *Server) retire(now time.Time) {
	s.switchMu.Lock()
	defer s.switchMu.Unlock()
	keep := s.retired[:0]
	for _, old := range s.retired {
		if now.Before(old.at) {
			keep = append(keep, old)
			continue
		}
		if err := old.r.tree.close(); err != nil {
			s.log.Warn("closing a retired asset release", "dir", old.r.resolved, "error", err)
		}
	}
	clear(s.retired[len(keep):])
	s.retired = keep
}

// next decides what a failure to open a file on r means: a release to try
// instead (r was closed, or the root path has moved on), or the error to
// answer with. A file not found while the root path is gone is errRootGone.
func (s *Server) next(r *release, err error) (*release, error) {
	switch {
	case errors.Is(err, os.ErrClosed):
		if n := s.cur.Load(); n != r {
			return n, nil
		}
	case errors.Is(err, fs.ErrNotExist) && s.rootPath != "":
		fi, serr := os.Stat(s.rootPath)
		if serr != nil {
			return nil, fmt.Errorf("assets: Root %q: %w: %w", s.rootPath, errRootGone, serr)
		}
		if idOf(fi) == r.id {
			return nil, err // a file that is not there
		}
		if cerr := s.checkRoot(true); cerr != nil {
			return nil, cerr
		}
		if n := s.cur.Load(); n != r {
			return n, nil
		}
		// The path named another directory, then this one again: the file
		// is not there.
	}
	return nil, err
}

// empty drops every entry, so that a release switched away from holds no
// memory while the requests on it finish.
func (c *cache) empty() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.ring {
		c.watch.forget(e)
	}
	c.idx.clear()
	clear(c.ring)
	c.ring, c.hand, c.bytes = c.ring[:0], 0, 0
}
