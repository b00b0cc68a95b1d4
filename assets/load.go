package assets

import (
	"io/fs"
	"slices"
)

// Filling and checking the in-memory set: a file is read in with its
// sidecars, then stat'ed again at most every Revalidate.

// cached returns the in-memory entry for name while the files behind it are
// unchanged. When it is due (every Revalidate; every RevalidateWatched for a
// watched entry, and at once after an event about it), one request stats
// them again; a change drops the entry, and the request goes on to read the
// file afresh.
func (s *Server) cached(r *release, name []byte) *entry {
	e := r.cache.lookup(name)
	if e == nil {
		return nil
	}
	now, due := s.clock.read(), e.due.Load()
	if now < due || !e.due.CompareAndSwap(due, now+s.revalidate) {
		return e // fresh enough, or another request is checking it
	}
	if s.unchanged(r.tree, e) && !(e.deferred && s.compression.ready(len(e.variants[encIdentity].body))) {
		if e.watched && !e.deferred {
			// Events report its changes: the next re-check is the safety
			// net's, unless an event asked for one since the CAS above.
			e.due.CompareAndSwap(now+s.revalidate, now+s.revalidateWatch)
		}
		return e
	}
	r.cache.drop(e) // changed, or its codings can be made now: read it in again
	return nil
}

// unchanged reports whether e's file and sidecars still are as e read them.
func (s *Server) unchanged(t *tree, e *entry) bool {
	s.rechecks.Add(1)
	if t.recheck(e.name, "") != e.seen[encIdentity] {
		return false
	}
	if e.media.compressible {
		for enc := range encIdentity {
			if t.recheck(e.name, sidecarSuffix[enc]) != e.seen[enc] {
				return false
			}
		}
	}
	return true
}

// load reads the file f (version v) and its sidecars into a new entry, and
// closes f. A sidecar bigger than MaxFileInMemory, or stale, is left out; a
// compressible file then gets br and gzip made in memory (see generate).
//
// looked holds the paths opening f looked up; the sidecars' are added, and
// the entry keeps them all, once each, for its directory watches.
func (s *Server) load(t *tree, name string, media *mediaType, f fs.File, v version, looked []string) (*entry, error) {
	body, err := t.readWhole(f, v)
	f.Close()
	if err != nil {
		return nil, err
	}
	e := newEntry(name, media, v, body)
	e.looked = looked
	e.seen = [numEncodings]version{absent, absent, absent, v}
	if !media.compressible {
		return e, nil
	}
	identity := body
	for enc := range encIdentity {
		sf, sv, err := t.open(name+sidecarSuffix[enc], &e.looked)
		if err != nil {
			continue // a sidecar that cannot be read is absent; identity serves
		}
		e.seen[enc] = sv // a stale sidecar made fresh reloads the entry
		if sv.size > s.maxFileInMemory || s.staleSidecar(name, enc, v, sv) {
			sf.Close()
			continue
		}
		body, err := t.readWhole(sf, sv)
		sf.Close()
		if err != nil {
			return nil, err
		}
		e.hold(memoryVariant(enc, sv, body))
		e.cost += sv.size + variantOverhead
	}
	e.looked = slices.Compact(slices.Sorted(slices.Values(e.looked))) // the sidecars' directories are the file's
	s.generate(e, v, identity)
	return e, nil
}

// loadShared reads name (open as f, version v) into memory once however
// many requests miss it at the same moment, and keeps the entry: a load
// hashes and compresses the file (up to about 0.15 s of CPU for the largest
// held in memory), and after a deploy every client asks for the same
// bundle at once. A request that joins a load closes its own f and gets
// the entry being read, as a cache hit a moment later would.
//
// checked is the clock's reading before f was opened, looked the paths
// opening it looked up. An entry whose directories are watched is
// re-checked at its first hit, as its watches may have come after a change;
// one not watched, Revalidate after checked.
func (s *Server) loadShared(r *release, name string, media *mediaType, f fs.File, v version, checked int64, looked []string) (*entry, error) {
	led := false
	res, err, _ := r.loads.Do(name, func() (any, error) {
		led = true
		e, err := s.load(r.tree, name, media, f, v, looked)
		if err != nil {
			return nil, err
		}
		s.loaded.Add(1)
		e.due.Store(checked + s.revalidate)
		r.cache.store(e)
		if e.watched {
			e.due.Store(0)
		}
		return e, nil
	})
	if !led {
		f.Close()
	}
	e, _ := res.(*entry)
	return e, err
}
