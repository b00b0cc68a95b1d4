package assets_test

import (
	"strings"
	"testing"

	"corsedge/assets"
)

// Stats count hits and misses of the in-memory set and what it holds.
func TestStats(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"fonts/a.woff2": "wOF2 small",
		"js/big.js":     strings.Repeat("x", 2048),
	})
	// NoWatch: a watched entry's first hit re-checks it (see
	// TestWatchesSpareRechecks); here no hit comes within Revalidate.
	h := newHarness(t, assets.Options{Root: root, MaxFileInMemory: 1024, MaxMemory: 1 << 20, NoWatch: true}, assets.Hints{})
	for _, step := range []struct {
		desc, path string
		want       assets.Stats // MaxMemory is checked once below
	}{
		{"first request reads the file in", "/fonts/a.woff2", assets.Stats{Misses: 1, Loads: 1, Entries: 1}},
		{"second request is a hit", "/fonts/a.woff2", assets.Stats{Hits: 1, Misses: 1, Loads: 1, Entries: 1}},
		{"a file over MaxFileInMemory is streamed: a miss, no load", "/js/big.js", assets.Stats{Hits: 1, Misses: 2, Loads: 1, Entries: 1}},
		{"an absent file is a miss", "/fonts/none.woff2", assets.Stats{Hits: 1, Misses: 3, Loads: 1, Entries: 1}},
	} {
		h.get(t, "GET", step.path)
		got := h.srv.Stats()
		if got.Bytes <= 0 || got.MaxMemory != 1<<20 {
			t.Errorf("%s: Bytes %d, MaxMemory %d", step.desc, got.Bytes, got.MaxMemory)
		}
		got.Bytes, got.MaxMemory = 0, 0
		if got != step.want {
			t.Errorf("%s: Stats() = %+v, want %+v", step.desc, got, step.want)
		}
	}
}
