package assets

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

func indexEntry(name string) *entry {
	return newEntry(name, mediaTypeOf(name), version{size: 1}, []byte("x"))
}

// TestIndexPutRemove adds and removes names through several rebuilds and
// tombstone reuses, and checks after each step that every name held is
// found as its own entry and every other is not; long names (held outside
// the entry) included.
func TestIndexPutRemove(t *testing.T) {
	x := newIndex()
	held := map[string]*entry{}
	check := func(step string) {
		t.Helper()
		for name, e := range held {
			if got := x.get([]byte(name)); got != e {
				t.Fatalf("%s: get(%q) = %p, want %p", step, name, got, e)
			}
		}
		for _, name := range []string{"", "s/0/font.woff2", "missing"} {
			if got := x.get([]byte(name)); got != nil {
				t.Fatalf("%s: get(%q) = %p, want nil", step, name, got)
			}
		}
		if x.live != len(held) {
			t.Fatalf("%s: live %d, want %d", step, x.live, len(held))
		}
	}
	name := func(i int) string {
		if i%7 == 0 {
			return fmt.Sprintf("long/%060d/font.woff2", i) // over inlineName
		}
		return fmt.Sprintf("s/%d/font.woff2", i)
	}
	for i := 1; i <= 1000; i++ {
		e := indexEntry(name(i))
		x.put(e)
		held[e.name] = e
	}
	check("after 1000 puts")
	for round := range 5 { // churn: tombstones, their reuse, rebuilds
		for i := 1; i <= 1000; i += 2 {
			n := name(i + round)
			if e := held[n]; e != nil {
				x.remove(e)
				delete(held, n)
			} else {
				e := indexEntry(n)
				x.put(e)
				held[n] = e
			}
		}
		check(fmt.Sprintf("round %d", round))
	}
	stale := indexEntry(name(3))
	x.remove(stale) // an entry not held: nothing changes
	check("removing an entry not held")
	x.clear()
	held = map[string]*entry{}
	check("after clear")
}

// TestIndexReadersDuringWrites looks up names that stay held from several
// goroutines while another adds and removes other names through rebuilds:
// a held name is never missed (run with -race: the reads take no lock).
func TestIndexReadersDuringWrites(t *testing.T) {
	x := newIndex()
	stable := make([]*entry, 100)
	for i := range stable {
		stable[i] = indexEntry(fmt.Sprintf("stable/%d", i))
		x.put(stable[i])
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	misses := make([]int, 4)
	for r := range misses {
		wg.Go(func() {
			for !stop.Load() {
				for _, e := range stable {
					if x.get([]byte(e.name)) != e {
						misses[r]++
					}
				}
			}
		})
	}
	first := x.table.Load()
	for round := range 50 { // one writer, as under cache.mu
		churn := make([]*entry, 200)
		for i := range churn {
			churn[i] = indexEntry(fmt.Sprintf("churn/%d/%d", round, i))
			x.put(churn[i])
		}
		for _, e := range churn {
			x.remove(e)
		}
	}
	stop.Store(true)
	wg.Wait()
	if x.table.Load() == first {
		t.Fatal("no rebuild while the readers ran")
	}
	for r, n := range misses {
		if n != 0 {
			t.Errorf("reader %d missed a held name %d times", r, n)
		}
	}
}
