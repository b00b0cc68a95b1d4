package assets

import (
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// variant is one stored coding of a file with its header values formatted
// once. It never changes after it is built. Its header values live in
// fields, inside the variant, and what a response reads comes first, so that
// a hit reads them from the cache lines it reads the variant from: with
// 10,000 files held, every other line a hit touches is another miss of the
// CPU's caches.
type variant struct {
	size       int64
	modSeconds int64  // Last-Modified in Unix seconds
	body       []byte // the content, when held in memory
	enc        encoding
	datedLen   uint8    // Last-Modified's length in fields; 0: none is sent
	tagLen     uint8    // the entity tag's, after it; 0: none is sent
	fields     [72]byte // Last-Modified (an HTTP-date), then the quoted strong entity tag
}

// lastModified is the HTTP-date sent as Last-Modified; nil: none is sent.
func (va *variant) lastModified() []byte {
	if va.datedLen == 0 {
		return nil
	}
	return va.fields[:va.datedLen:va.datedLen]
}

// etag is the quoted strong entity tag; nil: none is sent.
func (va *variant) etag() []byte {
	if va.tagLen == 0 {
		return nil
	}
	end := va.datedLen + va.tagLen
	return va.fields[va.datedLen:end:end]
}

// setMemory prepares va as a coding held in memory: its entity tag comes
// from body, so a rewrite that keeps size and modification time still
// changes it.
func (va *variant) setMemory(enc encoding, v version, body []byte) {
	va.setDated(enc, v)
	va.setTag(appendContentTag(va.fields[va.datedLen:va.datedLen], body, enc))
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
	if va.datedLen != 0 {
		va.setTag(appendStatTag(va.fields[va.datedLen:va.datedLen], v, enc))
	}
	return va
}

// setDated sets va's coding and size, and Last-Modified only when the
// modification time is useful (see usefulModTime); no entity tag, no body.
func (va *variant) setDated(enc encoding, v version) {
	*va = variant{enc: enc, size: v.size}
	if usefulModTime(v.modTime) {
		va.modSeconds = time.Unix(0, v.modTime).Unix()
		va.datedLen = uint8(len(appendLastModified(va.fields[:0], v)))
	}
}

// setTag records the entity tag appended to fields after Last-Modified.
// Every tag fits (fields holds the longest date and stat tag, 29 + 40
// bytes): one that did not would have been appended elsewhere.
func (va *variant) setTag(tag []byte) {
	if len(tag) > 0 && &tag[0] != &va.fields[va.datedLen] {
		panic("assets: entity tag outgrew the variant's fields")
	}
	va.tagLen = uint8(len(tag))
}

// entry is a file held in memory with its sidecars. Its content never
// changes: a newer state of the file on disk is a new entry.
//
// What a hit reads comes first, in the entry's first three cache lines:
// the re-check's due time and the eviction flag, the name's bytes (the
// index compares them), the media type and the identity coding with its
// header values. An entry's size is a multiple of 64 bytes and one of the
// allocator's size classes (TestEntryLayout), so every entry starts on a
// cache line and a hit reads no line it does not need.
type entry struct {
	due      atomic.Int64 // clock reading from which the next request re-checks seen; 0: now
	used     atomic.Bool  // set by each hit, cleared by the eviction hand
	codings  uint8        // bit enc set: variants[enc] is held besides identity
	nameLen  uint8        // name's length when its bytes are in nameBuf; 0: they are not
	media    *mediaType
	nameBuf  [inlineName]byte // name's bytes, when it fits
	identity variant

	name     string                 // nameBuf, or a string of its own when longer
	variants [numEncodings]*variant // identity is always set (&identity); nil: no sidecar
	seen     [numEncodings]version  // each name's state when read: absent, or its version
	cost     int64                  // bytes charged against the cache bound
	deferred bool                   // generated codings were left out for lack of compression budget

	// looked lists the paths resolving the file and its sidecars looked
	// up (see watch.go); watched says that every directory they are in
	// was watched when the entry was stored, dirs those watches (nil once
	// the entry has left the cache). Only dirs changes, under cache.mu.
	looked  []string
	watched bool
	dirs    []*watchedDir

	slot int // index in cache.ring; guarded by cache.mu

	_ [entryPad]byte // to a size class that is a multiple of 64 bytes
}

// inlineName is the longest name held inside its entry, in its first cache
// line ("s/10000/font.woff2" is 18 bytes); a longer one is a string of its
// own, one more cache line for each hit to read.
const inlineName = 40

// entryPad rounds entry up to 512 bytes on 64-bit platforms.
const entryPad = 40

// newEntry is an entry for name with its identity coding held in memory.
func newEntry(name string, media *mediaType, v version, body []byte) *entry {
	e := &entry{name: name, media: media, cost: entryOverhead + v.size}
	if len(name) <= inlineName {
		e.nameLen = uint8(copy(e.nameBuf[:], name))
		e.name = unsafe.String(&e.nameBuf[0], e.nameLen) // never written again: the entry is its own
	}
	e.identity.setMemory(encIdentity, v, body)
	e.variants[encIdentity] = &e.identity
	return e
}

// hold adds va as e's coding enc. Call it before e is stored.
func (e *entry) hold(va *variant) {
	e.variants[va.enc] = va
	e.codings |= 1 << va.enc
}

// named reports whether name is e's; it reads the bytes in e's first cache
// line when they are there.
func (e *entry) named(name []byte) bool {
	if e.nameLen != 0 {
		return string(e.nameBuf[:e.nameLen]) == string(name)
	}
	return e.name == string(name)
}

// entryOverhead is charged per entry on top of its content, so that many
// tiny files still count against the bound: the entry with its name and
// identity coding (512 bytes), its index and ring slots, and its share of
// the directory watches (TestCachedBytesBoundTheHeap). Each other coding
// held adds variantOverhead.
const (
	entryOverhead   = 1024
	variantOverhead = int64(unsafe.Sizeof(variant{}))
)

// choose returns the variant best matching the client's Accept-Encoding.
func (e *entry) choose(a *acceptance) *variant {
	if e.codings == 0 {
		return &e.identity // most fonts and images: no need to rank the codings
	}
	list, n := a.ranked()
	for _, enc := range list[:n-1] { // the last is identity, always held
		if e.codings&(1<<enc) != 0 {
			return e.variants[enc]
		}
	}
	return &e.identity
}

// cache is the in-memory set: entries by name, bounded in bytes. Eviction is
// CLOCK, a cheap LRU approximation: hits only set an atomic flag, so the read
// path takes no lock (see index); the hand evicts the first entry whose flag
// is clear, clearing flags as it passes.
type cache struct {
	max   int64    // bound on bytes
	watch *watcher // the entries' directory watches; nil: none
	idx   *index   // the entries by name; written under mu

	mu    sync.RWMutex // guards idx's writes, ring, hand, bytes
	ring  []*entry
	hand  int
	bytes int64
}

func newCache(max int64) *cache {
	return &cache{max: max, idx: newIndex()}
}

// lookup returns the entry for name, or nil; it takes no lock and does not
// allocate.
func (c *cache) lookup(name []byte) *entry {
	e := c.idx.get(name)
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
	if old := c.idx.get(viewBytes(e.name)); old != nil {
		c.removeLocked(old)
	}
	for c.bytes+e.cost > c.max {
		c.evictLocked()
	}
	e.watched = c.watch.add(e)
	e.slot = len(c.ring)
	c.ring = append(c.ring, e)
	c.idx.put(e)
	c.bytes += e.cost
}

// drop removes e unless another entry has replaced it already.
func (c *cache) drop(e *entry) {
	c.mu.Lock()
	if e.slot < len(c.ring) && c.ring[e.slot] == e {
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
	c.idx.remove(e)
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
