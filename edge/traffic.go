package edge

import (
	"cmp"
	"slices"
	"sync"

	"corsedge/internal/impact"
)

// trafficRecord is what the server recently answered: (Origin, prefix)
// pairs with request counts, for the impact preview and the reload guard.
// The live part is the decision cache itself, whose entries count their
// hits (one atomic add: no lock or allocation on a hit); when a reload
// retires a cache its counts are carried here, so an edit right after a
// reload is still weighed against the traffic before it. Both parts are
// bounded by the cache size: an LRU keeps what is recent, and the carried
// pairs keep the busiest. Requests that take no cache entry are not
// recorded: those without Origin, those on a prefix whose first candidate
// lists "*" (every origin gets the same answer, so there is nothing per
// origin to keep), and origins longer than maxCachedOrigin.
type trafficRecord struct {
	mu      sync.Mutex         // guards carried
	carried map[pairKey]uint64 // from retired caches; at most bound entries
	bound   int
}

// pairKey is a pair by value: the prefix by its path, since a retired
// cache's *rules.Prefix belongs to a table no longer in service.
type pairKey struct{ origin, path string }

// retire carries a cache's counts over before it is dropped: called by
// install, after the new table is in service, so it delays no request.
func (t *trafficRecord) retire(c *decisionCache) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.carried == nil {
		t.carried = map[pairKey]uint64{}
	}
	c.each(func(e *cacheEntry) {
		t.carried[pairKey{e.origin, e.decision.Prefix().Path()}] += e.requests.Load()
	})
	if len(t.carried) > t.bound {
		kept := busiest(t.carried, t.bound)
		clear(t.carried)
		for _, p := range kept {
			t.carried[pairKey{p.Origin, p.Path}] = p.Count
		}
	}
}

// pairs returns the recorded pairs, the live cache's and the carried ones
// together, at most bound of them, busiest first.
func (t *trafficRecord) pairs(live *decisionCache) []impact.Pair {
	t.mu.Lock()
	all := make(map[pairKey]uint64, len(t.carried)+live.len())
	for k, n := range t.carried {
		all[k] = n
	}
	t.mu.Unlock()
	live.each(func(e *cacheEntry) {
		all[pairKey{e.origin, e.decision.Prefix().Path()}] += e.requests.Load()
	})
	return busiest(all, t.bound)
}

// busiest returns at most n of the pairs, by count, largest first, then by
// origin and path so that equal counts list in a stable order.
func busiest(m map[pairKey]uint64, n int) []impact.Pair {
	out := make([]impact.Pair, 0, len(m))
	for k, c := range m {
		out = append(out, impact.Pair{Origin: k.origin, Path: k.path, Count: c})
	}
	slices.SortFunc(out, func(a, b impact.Pair) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Origin, b.Origin), cmp.Compare(a.Path, b.Path))
	})
	return out[:min(n, len(out))]
}

// Traffic returns the recorded (Origin, prefix) pairs, busiest first: at
// most Config.CacheSize of them (see trafficRecord).
func (s *Server) Traffic() []impact.Pair { return s.traffic.pairs(s.state.Load().cache) }
