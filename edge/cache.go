package edge

import (
	"hash/maphash"
	"runtime"
	"sync/atomic"
	"unsafe"

	lru "github.com/hashicorp/golang-lru/v2"

	"corsedge/rules"
)

// DefaultCacheSize is the decision cache's default bound, in entries.
const DefaultCacheSize = 65536

// maxCachedOrigin is the longest Origin the cache keeps a decision for:
// anything longer than rules.MaxOriginLen can only match "*", so its
// decision is as cheap to make as to look up, and caching it would let each
// request pin up to a whole request head (8 KiB) in memory.
const maxCachedOrigin = rules.MaxOriginLen

// decisionKey identifies a cached decision: the request's Origin and the path
// prefix the table selected. The prefix pointer belongs to the cache's own
// table, so keys never outlive the table they were decided under.
type decisionKey struct {
	origin string
	prefix *rules.Prefix
}

// decisionCache remembers decisions per (origin, prefix). It is built with
// one rule table and swapped with it, so no decision made under an old table
// is ever served under a new one.
//
// Every hit moves an entry to the front of its LRU list under that list's
// lock, so one list would serialise all cores on every request. The cache is
// split into shards by a hash of the origin, each an LRU of its share of the
// bound: the bound holds, and cores rarely meet on a lock.
type decisionCache struct {
	shards []*lru.Cache[decisionKey, *cacheEntry] // len is a power of two
	seed   maphash.Seed
	stats  *cacheStats // shared by every table's cache, so counters survive reloads
}

// cacheStats count what all decision caches did since start.
type cacheStats struct {
	hits, misses, evictions atomic.Uint64
}

func newDecisionCache(size int, stats *cacheStats) *decisionCache {
	if size <= 0 {
		size = DefaultCacheSize
	}
	// About four shards a core, fewer for small caches: each shard keeps at
	// least 256 entries so that eviction stays close to a global LRU's.
	n := 1
	for n < 4*runtime.GOMAXPROCS(0) && n < 64 && size/(2*n) >= 256 {
		n *= 2
	}
	c := &decisionCache{shards: make([]*lru.Cache[decisionKey, *cacheEntry], n), seed: maphash.MakeSeed(), stats: stats}
	for i := range c.shards {
		share := size / n
		if i < size%n {
			share++
		}
		shard, err := lru.New[decisionKey, *cacheEntry](share)
		if err != nil { // only for share <= 0, excluded above
			panic(err)
		}
		c.shards[i] = shard
	}
	return c
}

// shard returns the LRU that holds origin's decisions.
func (c *decisionCache) shard(origin []byte) *lru.Cache[decisionKey, *cacheEntry] {
	if len(c.shards) == 1 {
		return c.shards[0]
	}
	return c.shards[maphash.Bytes(c.seed, origin)&uint64(len(c.shards)-1)]
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
	shard := c.shard(origin)
	if e, ok := shard.Get(decisionKey{origin: borrowString(origin), prefix: p}); ok {
		c.stats.hits.Add(1)
		e.requests.Add(1) // the traffic record (traffic.go): one atomic add, no lock or allocation
		return e.decision
	}
	c.stats.misses.Add(1)
	key := decisionKey{origin: string(origin), prefix: p}
	e := &cacheEntry{decision: p.Decide(origin), origin: key.origin}
	e.requests.Store(1)
	if shard.Add(key, e) {
		c.stats.evictions.Add(1)
	}
	return e.decision
}

// A cacheEntry is a cached decision and how many requests it answered, the
// traffic record's count for its (origin, prefix) pair.
type cacheEntry struct {
	decision rules.Decision
	origin   string // the key's, shared: no second copy
	requests atomic.Uint64
}

// len returns the number of cached decisions.
func (c *decisionCache) len() int {
	n := 0
	for _, s := range c.shards {
		n += s.Len()
	}
	return n
}

// borrowString views b as a string without copying. The result must not be
// kept past b's lifetime: Get only hashes and compares its key.
func borrowString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// maxCacheEntryBytes bounds what one cached decision costs on the heap: the
// Origin's copy (at most maxCachedOrigin bytes), the LRU's list entry and
// its map slot, and the entry with its request count. A full cache of
// maxCachedOrigin-byte origins measures 736 bytes an entry with
// runtime.MemStats (TestDecisionCacheMemoryBound), so the default cache
// stays under 65,536 × 768 B = 48 MiB.
const maxCacheEntryBytes = 768
