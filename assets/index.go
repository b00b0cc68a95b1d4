package assets

import (
	"hash/maphash"
	"sync/atomic"
)

// index finds entries by name for the in-memory set. A hit reads one cache
// line of it and then the entry: open addressing with linear probing in a
// flat array of slots, each a hash tag and its entry, so that a probe skips
// other names without reading their entries, and the name's bytes are
// compared in the entry's first line (entry.named). A Go map read the
// group's control word, the slot's key header and the key's bytes: one or
// two cache lines more a hit, which with 10,000 files held all miss.
//
// Reads take no lock: the table is an atomic pointer, its slots atomic
// words. Writes (put, remove) are made under cache.mu. A removed entry
// leaves a tombstone (its tag, no entry), so that no probe stops short of a
// live entry; a table whose tombstones and entries pass 3/4 of its slots
// is rebuilt with room for twice the entries and published whole. A reader
// still on the old table may find an entry removed a moment before, as a
// request that looked it up a moment earlier would have.
type index struct {
	seed   maphash.Seed
	table  atomic.Pointer[indexTable]
	live   int // slots holding an entry; guarded by cache.mu
	filled int // slots holding an entry or a tombstone; guarded by cache.mu
}

type indexTable struct {
	mask  uint64 // len(slots) - 1; len(slots) is a power of two
	slots []indexSlot
}

// indexSlot is one name's place: 16 bytes, four to a cache line. tag 0 is
// an empty slot, which ends a probe; a tag with no entry is a tombstone.
type indexSlot struct {
	tag atomic.Uint64 // the name's hash with its lowest bit set
	e   atomic.Pointer[entry]
}

const minIndexSlots = 8

func newIndex() *index {
	x := &index{seed: maphash.MakeSeed()}
	x.clear()
	return x
}

// hash returns where a probe for name starts and the tag it looks for.
func (x *index) hash(name []byte) (start, tag uint64) {
	h := maphash.Bytes(x.seed, name)
	return h, h | 1
}

// get returns the entry named name, or nil. It takes no lock and does not
// allocate.
func (x *index) get(name []byte) *entry {
	t := x.table.Load()
	i, tag := x.hash(name)
	for ; ; i++ {
		s := &t.slots[i&t.mask]
		switch got := s.tag.Load(); {
		case got == 0:
			return nil
		case got == tag:
			if e := s.e.Load(); e != nil && e.named(name) {
				return e
			}
		}
	}
}

// put adds e, whose name is not in x. Call it with cache.mu held.
func (x *index) put(e *entry) {
	t := x.table.Load()
	if uint64(x.filled+1)*4 > (t.mask+1)*3 {
		t = x.rebuild(x.live + 1)
	}
	if x.insert(t, e) {
		x.filled++
	}
	x.live++
}

// insert puts e in the first empty slot or tombstone of its probe and
// reports whether the slot was empty. The entry is stored before the tag,
// so that a reader who sees the tag sees the entry; one who sees the tag of
// the tombstone's old name with e compares names and goes on.
func (x *index) insert(t *indexTable, e *entry) (wasEmpty bool) {
	i, tag := x.hash(viewBytes(e.name))
	for ; ; i++ {
		s := &t.slots[i&t.mask]
		got := s.tag.Load()
		if got == 0 || s.e.Load() == nil {
			s.e.Store(e)
			s.tag.Store(tag)
			return got == 0
		}
	}
}

// remove takes e out, leaving a tombstone. Call it with cache.mu held.
func (x *index) remove(e *entry) {
	t := x.table.Load()
	i, _ := x.hash(viewBytes(e.name))
	for ; ; i++ {
		s := &t.slots[i&t.mask]
		if s.tag.Load() == 0 {
			return // not held
		}
		if s.e.Load() == e {
			s.e.Store(nil)
			x.live--
			return
		}
	}
}

// rebuild publishes a table with the live entries and no tombstones, at
// most half full with room for n entries, and returns it.
func (x *index) rebuild(n int) *indexTable {
	size := uint64(minIndexSlots)
	for size < uint64(2*n) {
		size *= 2
	}
	old := x.table.Load()
	t := &indexTable{mask: size - 1, slots: make([]indexSlot, size)}
	for i := range old.slots {
		if e := old.slots[i].e.Load(); e != nil {
			x.insert(t, e)
		}
	}
	x.filled = x.live
	x.table.Store(t)
	return t
}

// clear removes every entry. Call it with cache.mu held.
func (x *index) clear() {
	x.live, x.filled = 0, 0
	x.table.Store(&indexTable{mask: minIndexSlots - 1, slots: make([]indexSlot, minIndexSlots)})
}
