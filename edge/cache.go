package edge

import (
	"hash/maphash"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"corsedge/rules"
)

// DefaultCacheSize is the decision cache's default bound, in entries.
const DefaultCacheSize = 65536

// maxCachedOrigin is the longest Origin the cache keeps a decision for:
// anything longer than rules.MaxOriginLen can only match "*", so its
// decision is as cheap to make as to look up, and caching it would let each
// request pin up to a whole request head (8 KiB) in memory.
const maxCachedOrigin = rules.MaxOriginLen

// decisionCache remembers decisions per (origin, prefix). It is built with
// one rule table and swapped with it, so no decision made under an old table
// is ever served under a new one; the prefix pointers of its keys belong to
// that table.
//
// A hit takes no lock and writes nothing but its entry's request count: it
// finds the entry in an index, an open-addressing table read with one
// atomic load a slot. A golang-lru list per shard, touched only by misses
// under the shard's lock, orders the entries and picks what to evict: the
// oldest, unless it answered requests since it was last looked at, when it
// goes to the front once more instead (CLOCK's second chance on the LRU's
// list). Moving every hit to the front of a list under a lock, as a plain
// LRU does, cost 0.7 µs a hit over 50,000 pairs on this machine's memory
// (BenchmarkDecisionCache). Shards, split by the key's hash, keep cores
// from meeting on a lock under churn.
type decisionCache struct {
	shards []cacheShard // len is a power of two
	bits   uint         // log2(len(shards))
	seed   maphash.Seed
	stats  *cacheStats // shared by every table's cache, so counters survive reloads
}

// cacheStats count what all decision caches did since start.
type cacheStats struct {
	hits, misses, evictions atomic.Uint64
}

// A cacheShard holds the entries whose hash falls to it.
type cacheShard struct {
	index atomic.Pointer[cacheIndex] // replaced whole when tombstones fill it

	mu    sync.Mutex                            // guards what follows, and every write to index
	order *simplelru.LRU[*cacheEntry, struct{}] // eviction order; holds at most bound entries
	bound int                                   // this shard's share of the cache size
	used  int                                   // index slots not nil: entries and tombstones
	_     [24]byte                              // to 64 bytes: shards side by side share no cache line
}

// A cacheEntry is a cached decision and how many requests it answered, the
// traffic record's count for its (origin, prefix) pair. Only requests and
// seen change once it is in the index.
type cacheEntry struct {
	hash     uint64         // of the key, so that a probe rarely reads origin's bytes
	origin   string         // the key's Origin: a copy of the request's, in inline when it fits
	decision rules.Decision // its Prefix is the key's
	requests atomic.Uint64
	seen     uint64 // requests when eviction last looked at it; guarded by the shard's mu
	// inline holds an Origin of up to its size (most are), so that the
	// comparison of a hit reads the entry's own memory, not a second
	// allocation: one cache miss less a hit. 40 bytes make the entry 96.
	inline [40]byte
}

func newCacheEntry(h uint64, origin []byte, d rules.Decision) *cacheEntry {
	e := &cacheEntry{hash: h, decision: d, seen: 1}
	if len(origin) <= len(e.inline) {
		e.origin = unsafe.String(&e.inline[0], copy(e.inline[:], origin))
	} else {
		e.origin = string(origin)
	}
	e.requests.Store(1)
	return e
}

// tombstone marks an index slot whose entry was evicted: probes go on past it.
var tombstone = new(cacheEntry)

// maxSecondChances bounds how many recently used entries one eviction moves
// to the front before it evicts the oldest anyway: a miss under churn stays
// cheap, every entry there being used once.
const maxSecondChances = 4

func newDecisionCache(size int, stats *cacheStats) *decisionCache {
	if size <= 0 {
		size = DefaultCacheSize
	}
	// About four shards a core, fewer for small caches: each shard keeps at
	// least 256 entries so that eviction stays close to a global LRU's.
	n, bits := 1, uint(0)
	for n < 4*runtime.GOMAXPROCS(0) && n < 64 && size/(2*n) >= 256 {
		n, bits = 2*n, bits+1
	}
	c := &decisionCache{shards: make([]cacheShard, n), bits: bits, seed: maphash.MakeSeed(), stats: stats}
	for i := range c.shards {
		s := &c.shards[i]
		s.bound = size / n
		if i < size%n {
			s.bound++
		}
		order, err := simplelru.NewLRU[*cacheEntry, struct{}](s.bound, nil)
		if err != nil { // only for a bound <= 0, excluded above
			panic(err)
		}
		s.order = order
		s.index.Store(newCacheIndex(s.bound))
	}
	return c
}

// decide returns p's decision for origin, from the cache when it holds one.
// origin is request memory, valid only during the request: the lookup reads
// it in place, and only a copy is ever stored. Only origins of at most
// maxCachedOrigin bytes on prefixes whose answer varies by origin are
// cached, so an entry never costs more than maxCacheEntryBytes.
func (c *decisionCache) decide(p *rules.Prefix, origin []byte) rules.Decision {
	switch {
	case len(origin) == 0, !p.VariesByOrigin():
		return p.Decide(nil) // the same answer for every origin: one pointer read
	case len(origin) > maxCachedOrigin:
		return p.Decide(origin) // only "*" can match: a bounded lookup, never stored
	}
	h := c.hash(p, origin)
	s := c.shard(h)
	if e := s.index.Load().find(h, p, origin); e != nil {
		c.stats.hits.Add(1)
		e.requests.Add(1) // the traffic record (traffic.go): one atomic add, no lock or allocation
		return e.decision
	}
	return c.miss(s, h, p, origin)
}

// miss decides, then stores the decision unless another request did first.
func (c *decisionCache) miss(s *cacheShard, h uint64, p *rules.Prefix, origin []byte) rules.Decision {
	d := p.Decide(origin) // the origin match, outside the lock
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.index.Load().find(h, p, origin); e != nil {
		c.stats.hits.Add(1)
		e.requests.Add(1)
		return e.decision
	}
	c.stats.misses.Add(1)
	if s.order.Len() >= s.bound {
		s.evict()
		c.stats.evictions.Add(1)
	}
	e := newCacheEntry(h, origin, d)
	s.insert(e) // first: a rebuild indexes what order holds, and would index e twice
	s.order.Add(e, struct{}{})
	return d
}

// hash mixes origin's bytes and the prefix's address: one hash picks the
// shard (top bits) and the first index slot (low bits).
func (c *decisionCache) hash(p *rules.Prefix, origin []byte) uint64 {
	h := maphash.Bytes(c.seed, origin) ^ uint64(uintptr(unsafe.Pointer(p)))
	return h * 0x9e3779b97f4a7c15 // Fibonacci hashing: the address's bits reach the top
}

func (c *decisionCache) shard(h uint64) *cacheShard {
	if c.bits == 0 {
		return &c.shards[0]
	}
	return &c.shards[h>>(64-c.bits)]
}

// evict removes one entry: the oldest that answered no request since it
// was last looked at, within maxSecondChances. Called with mu held.
func (s *cacheShard) evict() {
	for range maxSecondChances {
		e, _, _ := s.order.GetOldest()
		n := e.requests.Load()
		if n == e.seen {
			break
		}
		e.seen = n
		s.order.Get(e) // to the front: it is in use
	}
	e, _, _ := s.order.RemoveOldest()
	s.remove(e)
}

// len returns the number of cached decisions.
func (c *decisionCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += s.order.Len()
		s.mu.Unlock()
	}
	return n
}

// each calls f for every cached decision, one shard's lock at a time.
func (c *decisionCache) each(f func(*cacheEntry)) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		entries := s.order.Keys()
		s.mu.Unlock()
		for _, e := range entries {
			f(e)
		}
	}
}

// A cacheIndex finds entries by key with linear probing. Readers load
// slots without a lock; the shard's writers (under its mu) fill an empty
// slot or replace an evicted entry with tombstone, so a reader never misses
// an entry that was there when it started. It has at least twice as many
// slots as the shard's bound and is rebuilt when tombstones and entries
// fill three quarters, so a probe always ends at an empty slot.
type cacheIndex struct {
	slots []atomic.Pointer[cacheEntry]
	mask  uint64
}

func newCacheIndex(bound int) *cacheIndex {
	n := 16
	for n < 2*bound {
		n *= 2
	}
	return &cacheIndex{slots: make([]atomic.Pointer[cacheEntry], n), mask: uint64(n - 1)}
}

// find returns the entry of (p, origin), hashed to h, or nil.
func (x *cacheIndex) find(h uint64, p *rules.Prefix, origin []byte) *cacheEntry {
	for i := h; ; i++ {
		switch e := x.slots[i&x.mask].Load(); {
		case e == nil:
			return nil
		case e.hash == h && e != tombstone && e.decision.Prefix() == p && e.origin == string(origin):
			return e
		}
	}
}

// insert puts e, whose key the index does not hold, in the first free or
// evicted slot of its probe. Called with mu held.
func (s *cacheShard) insert(e *cacheEntry) {
	x := s.index.Load()
	if 4*(s.used+1) > 3*len(x.slots) {
		x = s.rebuild()
	}
	for i := e.hash; ; i++ {
		slot := &x.slots[i&x.mask]
		switch old := slot.Load(); old {
		case nil:
			s.used++
			fallthrough
		case tombstone:
			slot.Store(e)
			return
		}
	}
}

// remove replaces e's slot with a tombstone. Called with mu held.
func (s *cacheShard) remove(e *cacheEntry) {
	x := s.index.Load()
	for i := e.hash; ; i++ {
		slot := &x.slots[i&x.mask]
		switch slot.Load() {
		case e:
			slot.Store(tombstone)
			return
		case nil:
			return // not indexed: cannot happen, as every entry in order is
		}
	}
}

// rebuild replaces the index by one with the entries alone, no tombstones.
// Readers still probing the old one find what it held. Called with mu held.
func (s *cacheShard) rebuild() *cacheIndex {
	x := newCacheIndex(s.bound)
	for _, e := range s.order.Keys() {
		for i := e.hash; ; i++ {
			if slot := &x.slots[i&x.mask]; slot.Load() == nil {
				slot.Store(e)
				break
			}
		}
	}
	s.used = s.order.Len()
	s.index.Store(x)
	return x
}

// maxCacheEntryBytes bounds what one cached decision costs on the heap: the
// Origin's copy (at most maxCachedOrigin bytes), the entry with its request
// count, the LRU's list element and map slot, and two to four index slots.
// A full cache of maxCachedOrigin-byte origins measures about 700 bytes an
// entry with runtime.MemStats (TestDecisionCacheMemoryBound), so the
// default cache stays under 65,536 × 768 B = 48 MiB.
const maxCacheEntryBytes = 768
