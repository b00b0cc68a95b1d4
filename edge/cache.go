package edge

import (
	"sync/atomic"
	"unsafe"

	lru "github.com/hashicorp/golang-lru/v2"

	"corsedge/rules"
)

// DefaultCacheSize is the decision cache's default bound, in entries.
const DefaultCacheSize = 65536

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
type decisionCache struct {
	lru   *lru.Cache[decisionKey, rules.Decision]
	stats *cacheStats // shared by every table's cache, so counters survive reloads
}

// cacheStats count what all decision caches did since start.
type cacheStats struct {
	hits, misses, evictions atomic.Uint64
}

func newDecisionCache(size int, stats *cacheStats) *decisionCache {
	if size <= 0 {
		size = DefaultCacheSize
	}
	c, err := lru.New[decisionKey, rules.Decision](size)
	if err != nil { // only for size <= 0, excluded above
		panic(err)
	}
	return &decisionCache{lru: c, stats: stats}
}

// decide returns p's decision for origin, from the cache when it holds one.
// origin is request memory, valid only during the request: the lookup reads
// it in place, and only a copy is ever stored.
func (c *decisionCache) decide(p *rules.Prefix, origin []byte) rules.Decision {
	if len(origin) == 0 {
		return p.Decide(nil) // no Origin: one pointer read, nothing to cache
	}
	if d, ok := c.lru.Get(decisionKey{origin: borrowString(origin), prefix: p}); ok {
		c.stats.hits.Add(1)
		return d
	}
	c.stats.misses.Add(1)
	d := p.Decide(origin)
	if c.lru.Add(decisionKey{origin: string(origin), prefix: p}, d) {
		c.stats.evictions.Add(1)
	}
	return d
}

// len returns the number of cached decisions.
func (c *decisionCache) len() int { return c.lru.Len() }

// borrowString views b as a string without copying. The result must not be
// kept past b's lifetime: Get only hashes and compares its key.
func borrowString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
