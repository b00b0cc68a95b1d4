package rules

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// referenceLongest is longest as DESIGN.md "Matching" says it: of the
// prefixes p starts with, the longest, by looking at every one.
func referenceLongest(prefixes []string, p string) string {
	best, found := "", false
	for _, q := range prefixes {
		if strings.HasPrefix(p, q) && (!found || len(q) > len(best)) {
			best, found = q, true
		}
	}
	if !found {
		return "<none>"
	}
	return best
}

// got is what s.longest answers for p, as a prefix.
func got(s *prefixSet, i int) string {
	if i < 0 {
		return "<none>"
	}
	return s.sorted[i]
}

// randomPrefixes draws n distinct prefixes over a small alphabet, so that
// they nest and share leading bytes, of lengths up to maxLen (zero allowed).
func randomPrefixes(r *rand.Rand, n, maxLen int) []string {
	const alphabet = "/ab"
	possible := 0 // strings of length up to maxLen over the alphabet
	for k, c := 0, 1; k <= maxLen && possible < n; k, c = k+1, c*len(alphabet) {
		possible += c
	}
	seen := map[string]bool{}
	var out []string
	for len(out) < min(n, possible) {
		var b strings.Builder
		for range r.IntN(maxLen + 1) {
			b.WriteByte(alphabet[r.IntN(len(alphabet))])
		}
		if p := b.String(); !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// TestPrefixSetMatchesReference compares both lookups, the hash table's and
// the sorted search's, with the reference over random prefix sets: nested,
// with and without the empty prefix, with few lengths and with more than
// maxHashedLengths, and paths that are prefixes, extend them, or stop short.
func TestPrefixSetMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 1))
	for round := range 400 {
		maxLen := 1 + r.IntN(12)
		if round%8 == 7 {
			maxLen = maxHashedLengths + 10 // more distinct lengths than the table serves
		}
		prefixes := randomPrefixes(r, 1+r.IntN(60), maxLen)
		s := newPrefixSet(prefixes)
		lengths := map[int]bool{}
		for _, p := range prefixes {
			lengths[len(p)] = true
		}
		if hashed := s.slots != nil; hashed != (len(lengths) <= maxHashedLengths) {
			t.Fatalf("%d distinct lengths: hashed = %v", len(lengths), hashed)
		}
		paths := randomPrefixes(r, 40, maxLen+3)
		for _, q := range prefixes { // each prefix, and it extended or cut
			paths = append(paths, q, q+"a", q+"/x")
			if q != "" {
				paths = append(paths, q[:len(q)-1])
			}
		}
		for _, path := range paths {
			want := referenceLongest(prefixes, path)
			if g := got(&s, s.longest([]byte(path))); g != want {
				t.Fatalf("prefixes %q: longest(%q) = %q, want %q", prefixes, path, g, want)
			}
			if g := got(&s, s.search([]byte(path))); g != want {
				t.Fatalf("prefixes %q: search(%q) = %q, want %q", prefixes, path, g, want)
			}
			if s.slots != nil {
				if g := got(&s, s.probe([]byte(path))); g != want {
					t.Fatalf("prefixes %q: probe(%q) = %q, want %q", prefixes, path, g, want)
				}
			}
		}
	}
}

// TestPrefixSetShapes covers the edges the random sets rarely draw.
func TestPrefixSetShapes(t *testing.T) {
	sites := make([]string, 10000)
	for i := range sites {
		sites[i] = fmt.Sprintf("/s/%d/", i)
	}
	manyLengths := make([]string, 3000) // 3,000 distinct lengths: the search
	for i := range manyLengths {
		manyLengths[i] = "/" + strings.Repeat("a", i)
	}
	for _, c := range []struct {
		desc     string
		prefixes []string
		hashed   bool
		paths    []string
	}{
		{"empty set", nil, false, []string{"", "/", "/a"}},
		{"the empty prefix alone", []string{""}, true, []string{"", "/", "/a"}},
		{"10,000 sites", sites, true, []string{"/s/1/x", "/s/12/x", "/s/123/", "/s/9999/f.woff2", "/s/10000/x", "/s/", "/s/1", "/t/1/x"}},
		{"10,000 sites under / and /s/", append([]string{"/", "/s/"}, sites...), true, []string{"/s/1/x", "/s/99999/", "/s/", "/x", ""}},
		{"a prefix not ending in /", []string{"/a", "/ab", "/abc/"}, true, []string{"/a", "/abx", "/abc", "/abc/d", "/b"}},
		{"bytes past ASCII and NUL", []string{"/\x00", "/\xff", "/\xff\xff"}, true, []string{"/\x00\x00", "/\xff\xfe", "/\xff\xff\xff", "/"}},
		{"3,000 distinct lengths", manyLengths, false, []string{"/", "/" + strings.Repeat("a", 1500), "/" + strings.Repeat("a", 5000), "/b"}},
	} {
		t.Run(c.desc, func(t *testing.T) {
			s := newPrefixSet(c.prefixes)
			if hashed := s.slots != nil; hashed != c.hashed {
				t.Errorf("hashed = %v, want %v", hashed, c.hashed)
			}
			for _, path := range c.paths {
				if g, want := got(&s, s.longest([]byte(path))), referenceLongest(c.prefixes, path); g != want {
					t.Errorf("longest(%q) = %q, want %q", path, g, want)
				}
			}
		})
	}
}
