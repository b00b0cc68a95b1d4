package rules

import "sort"

// prefixSet finds the longest of a set of path prefixes that a path starts
// with, in O(log n) comparisons whatever the number of prefixes.
//
// The prefixes are sorted. The longest prefix q of a path p is a prefix of
// the greatest prefix s <= p (anything between q and p in byte order starts
// with q), so the search takes s and walks up its chain of enclosing prefixes,
// which is as long as prefixes nest, not as long as the set.
type prefixSet struct {
	sorted []string
	parent []int // parent[i]: index of the longest proper prefix of sorted[i] in the set, or -1
}

func newPrefixSet(prefixes []string) prefixSet {
	s := prefixSet{sorted: append([]string(nil), prefixes...)}
	sort.Strings(s.sorted)
	s.parent = make([]int, len(s.sorted))
	var stack []int // enclosing prefixes of the current one, innermost last
	for i, p := range s.sorted {
		for len(stack) > 0 && !hasPrefix(p, s.sorted[stack[len(stack)-1]]) {
			stack = stack[:len(stack)-1]
		}
		s.parent[i] = -1
		if len(stack) > 0 {
			s.parent[i] = stack[len(stack)-1]
		}
		stack = append(stack, i)
	}
	return s
}

// longest returns the index in sorted of the longest prefix of p, or -1.
// It does not allocate.
func (s *prefixSet) longest(p []byte) int {
	lo, hi := 0, len(s.sorted) // find the first prefix > p
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if s.sorted[mid] <= string(p) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	for i := lo - 1; i >= 0; i = s.parent[i] {
		if len(p) >= len(s.sorted[i]) && string(p[:len(s.sorted[i])]) == s.sorted[i] {
			return i
		}
	}
	return -1
}

func hasPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && s[:len(prefix)] == prefix
}
