package assets

import (
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// variant is one stored coding of a file with its header values formatted
// once. It never changes after it is built. Its header values live in
// fields, inside the variant, so that a hit reads them from the cache lines
// it reads the variant from: with 10,000 files held, every separate
// allocation a hit touches is another miss of the CPU's caches.
type variant struct {
	enc          encoding
	size         int64
	modSeconds   int64  // Last-Modified in Unix seconds
	etag         []byte // quoted strong entity tag; nil: none is sent
	lastModified []byte // HTTP-date; nil: none is sent
	body         []byte // the content, when held in memory
	fields       [72]byte
}

// setMemory prepares va as a coding held in memory: its entity tag comes
// from body, so a rewrite that keeps size and modification time still
// changes it.
func (va *variant) setMemory(enc encoding, v version, body []byte) {
	va.setDated(enc, v)
	va.etag = appendContentTag(va.fields[len(va.lastModified):len(va.lastModified)], body, enc)
	va.body = body
}

// memoryVariant is a new variant, setMemory.
func memoryVariant(enc encoding, v version, body []byte) *variant {
	va := new(variant)
	va.setMemory(enc, v, body)
	return va
}

// streamVariant prepares a coding streamed from disk, whose entity tag can
// only come from its size and time: without a useful time it gets none, so
// no 304 and no If-Range match rest on a time that means nothing.
func streamVariant(enc encoding, v version) *variant {
	va := new(variant)
	va.setDated(enc, v)
	if va.lastModified != nil {
		va.etag = appendStatTag(va.fields[len(va.lastModified):len(va.lastModified)], v, enc)
	}
	return va
}

// setDated sets va's coding and size, and Last-Modified only when the
// modification time is useful (see usefulModTime); no entity tag, no body.
func (va *variant) setDated(enc encoding, v version) {
	*va = variant{enc: enc, size: v.size}
	if usefulModTime(v.modTime) {
		va.modSeconds = time.Unix(0, v.modTime).Unix()
		lm := appendLastModified(va.fields[:0], v)
		va.lastModified = lm[:len(lm):len(lm)] // the entity tag follows it in fields
	}
}

// entry is a file held in memory with its sidecars. Its content never changes:
// a newer state of the file on disk is a new entry. What a hit reads comes
// first, then the name's bytes (the map compares them) and the identity
// coding: consecutive cache lines of one allocation.
type entry struct {
	name     string
	media    *mediaType
	variants [numEncodings]*variant // identity is always set (&identity); nil: no sidecar
	due      atomic.Int64           // clock reading from which the next request re-checks seen; 0: now
	used     atomic.Bool            // set by each hit, cleared by the eviction hand
	nameBuf  [inlineName]byte       // name's bytes, when it fits
	identity variant

	seen     [numEncodings]version // each name's state when read: absent, or its version
	cost     int64                 // bytes charged against the cache bound
	deferred bool                  // generated codings were left out for lack of compression budget

	// looked lists the paths resolving the file and its sidecars looked
	// up (see watch.go); watched says that every directory they are in
	// was watched when the entry was stored, dirs those watches (nil once
	// the entry has left the cache). Only dirs changes, under cache.mu.
	looked  []string
	watched bool
	dirs    []*watchedDir

	slot int // index in cache.ring; guarded by cache.mu
}

// inlineName is the longest name held inside its entry ("s/10000/font.woff2"
// is 18 bytes); a longer one is a string of its own.
const inlineName = 64

// newEntry is an entry for name with its identity coding held in memory.
func newEntry(name string, media *mediaType, v version, body []byte) *entry {
	e := &entry{name: name, media: media, cost: entryOverhead + v.size}
	if len(name) <= inlineName {
		n := copy(e.nameBuf[:], name)
		e.name = unsafe.String(&e.nameBuf[0], n) // never written again: the entry is its own
	}
	e.identity.setMemory(encIdentity, v, body)
	e.variants[encIdentity] = &e.identity
	return e
}

// entryOverhead is charged per entry on top of its content, so that many
// tiny files still count against the bound: the entry with its name and
// identity coding (576 bytes), its map and ring slots, and its share of the
// directory watches (about 950 bytes in all for a site's font:
// TestCachedBytesBoundTheHeap). Each other coding held adds variantOverhead.
const (
	entryOverhead   = 1024
	variantOverhead = int64(unsafe.Sizeof(variant{}))
)

// choose returns the variant best matching the client's Accept-Encoding.
func (e *entry) choose(a *acceptance) *variant {
	list, n := a.ranked()
	for _, enc := range list[:n-1] { // the last is identity, always held
		if v := e.variants[enc]; v != nil {
			return v
		}
	}
	return e.variants[encIdentity]
}

// cache is the in-memory set: entries by name, bounded in bytes. Eviction is
// CLOCK, a cheap LRU approximation: hits only set an atomic flag, so the read
// path takes the lock shared; the hand evicts the first entry whose flag is
// clear, clearing flags as it passes.
type cache struct {
	max   int64    // bound on bytes
	watch *watcher // the entries' directory watches; nil: none

	mu    sync.RWMutex // guards m, ring, hand, bytes
	m     map[string]*entry
	ring  []*entry
	hand  int
	bytes int64
}

func newCache(max int64) *cache {
	return &cache{max: max, m: make(map[string]*entry)}
}

// lookup returns the entry for name, or nil; it does not allocate.
func (c *cache) lookup(name []byte) *entry {
	c.mu.RLock()
	e := c.m[string(name)]
	c.mu.RUnlock()
	if e != nil && !e.used.Load() {
		e.used.Store(true)
	}
	return e
}

// store adds e, replacing any entry of the same name and evicting others to
// stay within the bound. An entry bigger than the bound is not kept.
func (c *cache) store(e *entry) {
	if e.cost > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[e.name]; old != nil {
		c.removeLocked(old)
	}
	for c.bytes+e.cost > c.max {
		c.evictLocked()
	}
	e.watched = c.watch.add(e)
	e.slot = len(c.ring)
	c.ring = append(c.ring, e)
	c.m[e.name] = e
	c.bytes += e.cost
}

// drop removes e unless another entry has replaced it already.
func (c *cache) drop(e *entry) {
	c.mu.Lock()
	if c.m[e.name] == e {
		c.removeLocked(e)
	}
	c.mu.Unlock()
}

// evictLocked removes one entry not used since the hand last passed it.
func (c *cache) evictLocked() {
	for {
		if c.hand >= len(c.ring) {
			c.hand = 0
		}
		e := c.ring[c.hand]
		if !e.used.Swap(false) {
			c.removeLocked(e)
			return
		}
		c.hand++
	}
}

// removeLocked takes e out of the map and the ring, moving the ring's last
// entry into its slot.
func (c *cache) removeLocked(e *entry) {
	last := c.ring[len(c.ring)-1]
	c.ring[e.slot] = last
	last.slot = e.slot
	c.ring[len(c.ring)-1] = nil
	c.ring = c.ring[:len(c.ring)-1]
	delete(c.m, e.name)
	c.bytes -= e.cost
	c.watch.forget(e)
}

// recheckIf asks f about every entry: one to re-check gets it on its next
// request; those to drop are returned, for the caller to drop without the
// lock held.
func (c *cache) recheckIf(f func(*entry) (recheck, drop bool)) []*entry {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []*entry
	for _, e := range c.ring {
		switch recheck, drop := f(e); {
		case drop:
			out = append(out, e)
		case recheck:
			e.due.Store(0)
		}
	}
	return out
}
