package edge

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// BenchmarkDecisionCache is a cache hit: one origin over and over, and
// 50,000 (origin, prefix) pairs in a shuffled order (the sites suite's
// steady state, where memory latency decides), in a cache that holds all.
// Each origin is written into one buffer before its lookup, as a request's
// lies in fasthttp's: only the cache's own memory is cold.
func BenchmarkDecisionCache(b *testing.B) {
	s := newInternalServer(b)
	p := s.state.Load().table.Select([]byte("/js/"))
	for _, keys := range []int{1, 50_000} {
		b.Run("keys="+strconv.Itoa(keys), func(b *testing.B) {
			var stats cacheStats
			c := newDecisionCache(DefaultCacheSize, &stats)
			buf := make([]byte, 0, 64)
			origin := func(i int) []byte {
				return append(strconv.AppendInt(append(buf[:0], "https://www.site"...), int64(i), 10), ".example.org"...)
			}
			// Filled in one order, asked in another: entries lie in memory
			// as their misses came, which a request's key does not follow.
			fill := rand.New(rand.NewPCG(1, 2)).Perm(keys)
			for _, i := range fill {
				c.decide(p, origin(i))
			}
			order := rand.New(rand.NewPCG(3, 4)).Perm(keys)
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if !c.decide(p, origin(order[n])).Allowed() {
					b.Fatal("refused")
				}
				if n++; n == keys {
					n = 0
				}
			}
			if m := stats.misses.Load(); m != uint64(keys) {
				b.Fatalf("%d misses, want only the %d of the fill", m, keys)
			}
		})
	}
}
