package edge

import (
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"corsedge/internal/liveheap"
)

// longOrigin returns a distinct allowed origin (under *.example.org) of n bytes.
func longOrigin(i, n int) []byte {
	head := "https://o" + strconv.Itoa(i) + "."
	const tail = ".example.org"
	return []byte(head + strings.Repeat("a", n-len(head)-len(tail)) + tail)
}

// A full cache of the longest origins it keeps costs at most
// maxCacheEntryBytes an entry: the bound the README states.
func TestDecisionCacheMemoryBound(t *testing.T) {
	s := newInternalServer(t)
	p := s.state.Load().table.Select([]byte("/js/"))
	origins := make([][]byte, DefaultCacheSize)
	for i := range origins {
		origins[i] = longOrigin(i, maxCachedOrigin)
	}
	before := liveheap.Bytes()
	var stats cacheStats
	c := newDecisionCache(DefaultCacheSize, &stats)
	for _, o := range origins {
		c.decide(p, o)
	}
	after := liveheap.Bytes()
	if c.len() < DefaultCacheSize*9/10 {
		t.Fatalf("cache holds %d of %d origins", c.len(), DefaultCacheSize)
	}
	perEntry := float64(after-before) / float64(c.len())
	t.Logf("%d entries of %d-byte origins: %d bytes, %.0f bytes an entry", c.len(), maxCachedOrigin, after-before, perEntry)
	if perEntry > maxCacheEntryBytes {
		t.Errorf("%.0f bytes an entry, over maxCacheEntryBytes = %d", perEntry, maxCacheEntryBytes)
	}
	runtime.KeepAlive(c)
	runtime.KeepAlive(origins) // live at both measurements: only the cache differs
}

// Hits move nothing, yet an entry in use outlives a flood of origins seen
// once: eviction gives an entry that answered requests since it was last
// looked at a second chance, and takes the one-off origins instead.
func TestDecisionCacheKeepsWhatIsInUse(t *testing.T) {
	s := newInternalServer(t)
	p := s.state.Load().table.Select([]byte("/js/"))
	const size = 1000
	var stats cacheStats
	c := newDecisionCache(size, &stats)
	hot := []byte("https://hot.example.org")
	c.decide(p, hot)
	for i := range 20 * size {
		c.decide(p, []byte("https://o"+strconv.Itoa(i)+".example.org"))
		if i%100 == 0 {
			c.decide(p, hot)
		}
	}
	if ev := stats.evictions.Load(); ev < 19*size {
		t.Fatalf("%d evictions: the flood did not cycle the cache", ev)
	}
	misses := stats.misses.Load()
	c.decide(p, hot)
	var count uint64
	c.each(func(e *cacheEntry) {
		if e.origin == string(hot) {
			count = e.requests.Load()
		}
	})
	if stats.misses.Load() != misses || count != 20*size/100+2 {
		t.Errorf("the origin in use was evicted: a miss after the flood, or its count is %d, want %d", count, 20*size/100+2)
	}
}

// Lookups without a lock, next to misses that evict and rebuild the index
// on other goroutines, always return the decision of their own origin.
func TestDecisionCacheConcurrent(t *testing.T) {
	s := newInternalServer(t)
	p := s.state.Load().table.Select([]byte("/js/"))
	var stats cacheStats
	c := newDecisionCache(1000, &stats)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 20000 {
				n := (i*7 + g*1000) % 3000
				origin, allowed := "https://o"+strconv.Itoa(n)+".example.org", true
				if n%3 == 0 {
					origin, allowed = "https://o"+strconv.Itoa(n)+".evil.test", false
				}
				if got := c.decide(p, []byte(origin)).Allowed(); got != allowed {
					t.Errorf("%s: allowed = %v, want %v", origin, got, allowed)
					return
				}
				if i%5000 == 0 {
					c.each(func(*cacheEntry) {})
				}
			}
		})
	}
	wg.Wait()
	if got := c.len(); got > 1000 || stats.evictions.Load() == 0 {
		t.Errorf("%d entries, %d evictions: want at most 1000, and some", got, stats.evictions.Load())
	}
}
