package rules

import (
	"hash/maphash"
	"math/bits"
	"slices"
	"sort"
	"strings"
)

// prefixSet finds the longest of a set of path prefixes that a path starts
// with, touching few cache lines whatever the number of prefixes.
//
// When the prefixes have few distinct lengths (a site per prefix, as
// "/s/N/" or "/fonts/customer/", gives a handful), the set is a hash table
// probed with the path's leading bytes at each length, longest first: the
// first hit is the longest match, and a probe reads one line of slots and,
// on a hash match, the key's bytes beside the others'. A binary search over
// 10,000 sorted strings instead reads a string header and a separate
// allocation at each of its lower levels, most of them cold.
//
// With many distinct lengths the probes would outnumber a search's
// comparisons, so the set falls back to the search: the prefixes are
// sorted, and the longest prefix q of a path p is a prefix of the greatest
// prefix s <= p (anything between q and p in byte order starts with q), so
// the search takes s and walks up its chain of enclosing prefixes, which is
// as long as prefixes nest, not as long as the set.
type prefixSet struct {
	sorted []string
	parent []int32 // parent[i]: index of the longest proper prefix of sorted[i] in the set, or -1

	// The hash table; slots is nil when the set uses the search.
	lengths []int        // the prefixes' distinct lengths, longest first
	ends    []byteSet    // ends[k]: the last bytes of the prefixes of lengths[k]
	slots   []prefixSlot // open addressing, linear probing; len is a power of two
	keys    string       // every prefix's bytes, in sorted order, for the slots' offsets
	seed    maphash.Seed
}

// A prefixSlot is one prefix in the hash table: 16 bytes, four a cache line.
type prefixSlot struct {
	tag uint32 // the hash's top bits, so that a probe rarely reads keys
	at  uint32 // 1 + the prefix's index in sorted; 0: an empty slot
	off uint32 // where the prefix's bytes start in keys
	n   uint32 // the prefix's length
}

// maxHashedLengths is the most distinct prefix lengths the hash table
// serves: a path is probed at each length up to its own, and past about
// this many probes (a hash and a line each) a binary search over thousands
// of prefixes costs less.
const maxHashedLengths = 24

// maxHashedBytes keeps slot offsets within uint32.
const maxHashedBytes = 1 << 31

func newPrefixSet(prefixes []string) prefixSet {
	s := prefixSet{sorted: append([]string(nil), prefixes...)}
	sort.Strings(s.sorted)
	s.parent = make([]int32, len(s.sorted))
	var stack []int32 // enclosing prefixes of the current one, innermost last
	for i, p := range s.sorted {
		for len(stack) > 0 && !hasPrefix(p, s.sorted[stack[len(stack)-1]]) {
			stack = stack[:len(stack)-1]
		}
		s.parent[i] = -1
		if len(stack) > 0 {
			s.parent[i] = stack[len(stack)-1]
		}
		stack = append(stack, int32(i))
	}
	s.hashIfFewLengths()
	return s
}

// hashIfFewLengths builds the hash table when the prefixes' lengths allow.
func (s *prefixSet) hashIfFewLengths() {
	seen := map[int]bool{}
	total := 0
	for _, p := range s.sorted {
		if !seen[len(p)] {
			seen[len(p)] = true
			s.lengths = append(s.lengths, len(p))
		}
		total += len(p)
	}
	if len(s.lengths) > maxHashedLengths || total > maxHashedBytes || len(s.sorted) == 0 {
		s.lengths = nil
		return
	}
	sort.Sort(sort.Reverse(sort.IntSlice(s.lengths)))
	s.ends = make([]byteSet, len(s.lengths))
	for _, p := range s.sorted {
		if p != "" { // the empty prefix has no last byte: it is always probed
			s.ends[slices.Index(s.lengths, len(p))].add(p[len(p)-1])
		}
	}
	// At most half full: a probe at a length no prefix of the path has
	// (most probes of a nested table) ends within a line or two.
	s.slots = make([]prefixSlot, 1<<bits.Len(uint(2*len(s.sorted)-1)))
	s.seed = maphash.MakeSeed()
	var keys strings.Builder
	keys.Grow(total)
	mask := uint64(len(s.slots) - 1)
	for i, p := range s.sorted {
		h := maphash.String(s.seed, p)
		for j := h; ; j++ {
			if slot := &s.slots[j&mask]; slot.at == 0 {
				*slot = prefixSlot{tag: uint32(h >> 32), at: uint32(i + 1), off: uint32(keys.Len()), n: uint32(len(p))}
				break
			}
		}
		keys.WriteString(p)
	}
	s.keys = keys.String()
}

// longest returns the index in sorted of the longest prefix of p, or -1.
// It does not allocate.
func (s *prefixSet) longest(p []byte) int {
	if s.slots != nil {
		return s.probe(p)
	}
	return s.search(p)
}

// probe is longest by the hash table.
func (s *prefixSet) probe(p []byte) int {
	mask := uint64(len(s.slots) - 1)
	for k, n := range s.lengths {
		// Most lengths end the path where no prefix of that length ends
		// (a site's "/s/N/" ends in "/", "/s/123/font.woff2" has one "/"
		// among its last bytes): no hash, no slot read.
		if n > len(p) || n > 0 && !s.ends[k].has(p[n-1]) {
			continue
		}
		key := p[:n]
		h := maphash.Bytes(s.seed, key)
		tag := uint32(h >> 32)
		for j := h; ; j++ {
			slot := &s.slots[j&mask]
			if slot.at == 0 {
				break
			}
			if slot.tag == tag && slot.n == uint32(n) && s.keys[slot.off:slot.off+slot.n] == string(key) {
				return int(slot.at - 1)
			}
		}
	}
	return -1
}

// search is longest by binary search.
func (s *prefixSet) search(p []byte) int {
	lo, hi := 0, len(s.sorted) // find the first prefix > p
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if s.sorted[mid] <= string(p) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	for i := lo - 1; i >= 0; i = int(s.parent[i]) {
		if len(p) >= len(s.sorted[i]) && string(p[:len(s.sorted[i])]) == s.sorted[i] {
			return i
		}
	}
	return -1
}

func hasPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && s[:len(prefix)] == prefix
}

// A byteSet is a set of bytes, one bit each.
type byteSet [4]uint64

func (b *byteSet) add(c byte)      { b[c>>6] |= 1 << (c & 63) }
func (b *byteSet) has(c byte) bool { return b[c>>6]&(1<<(c&63)) != 0 }
