package edge

import (
	"runtime"
	"strconv"
	"strings"
	"testing"
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
	before := heapAlloc()
	var stats cacheStats
	c := newDecisionCache(DefaultCacheSize, &stats)
	for _, o := range origins {
		c.decide(p, o)
	}
	after := heapAlloc()
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

// heapAlloc returns the live heap after a full collection.
func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC() // the second one frees what sync.Pool's victim cache held
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
