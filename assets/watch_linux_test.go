package assets_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"corsedge/assets"
)

// manySites is the sites bench's tree in small: one font in each of n site
// directories, s/1 … s/n.
func manySites(t *testing.T, n int) (string, map[string]string) {
	t.Helper()
	files := map[string]string{}
	for i := 1; i <= n; i++ {
		files[fmt.Sprintf("s/%d/font.woff2", i)] = fmt.Sprintf("font of site %d\n", i)
	}
	root := t.TempDir()
	writeTree(t, root, files)
	return root, files
}

// noStat leaves the directory watches alone to report changes: no file is
// stat'ed again within a test.
var noStat = assets.Options{Revalidate: time.Hour, RevalidateWatched: time.Hour}

// TestWatchedChangeAmongThousands changes sites' files among 1,000 held in
// memory, one site at a time in each way a deploy does, with the stat
// re-checks off (an hour): only the directory watches can have the new state
// served, and they must within the 1 s the stat re-checks promised, while
// the other sites' files are neither read in again nor stat'ed.
func TestWatchedChangeAmongThousands(t *testing.T) {
	root, files := manySites(t, 1000)
	opts := noStat
	opts.Root = root
	h := newHarness(t, opts, assets.Hints{})
	for name, body := range files { // read in, then the first hit's re-check
		for range 2 {
			if r := h.get(t, "GET", "/"+name); r.status != 200 || r.body != body {
				t.Fatalf("/%s: %d %q", name, r.status, r.body)
			}
		}
	}
	site := func(n int) string { return filepath.Join(root, "s", fmt.Sprint(n)) }
	tests := []struct {
		desc   string
		site   int
		change func(t *testing.T, dir string) // dir: the site's directory
		want   string                         // "" means 404
		others bool                           // every other site is re-checked, and read in again once asked for
	}{
		{"replaced by rename", 101, func(t *testing.T, dir string) { replace(t, dir, "font.woff2", newBody) }, newBody, false},
		{"rewritten in place", 202, func(t *testing.T, dir string) { rewrite(t, dir, "font.woff2", newBody) }, newBody, false},
		{"deleted", 303, func(t *testing.T, dir string) { remove(t, dir, "font.woff2") }, "", false},
		{"site directory replaced by rename", 404, func(t *testing.T, dir string) {
			writeTree(t, root, map[string]string{"new/font.woff2": newBody})
			rename(t, dir, filepath.Join(root, "old"))
			rename(t, filepath.Join(root, "new"), dir)
		}, newBody, false},
		{"sites directory replaced by rename", 505, func(t *testing.T, dir string) {
			writeTree(t, root, map[string]string{"s2/505/font.woff2": newBody, "s2/506/font.woff2": files["s/506/font.woff2"]})
			rename(t, filepath.Join(root, "s"), filepath.Join(root, "s-old"))
			rename(t, filepath.Join(root, "s2"), filepath.Join(root, "s"))
		}, newBody, true},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			target, other := fmt.Sprintf("/s/%d/font.woff2", tc.site), fmt.Sprintf("s/%d/font.woff2", tc.site+1)
			before := h.srv.Stats()
			tc.change(t, site(tc.site))
			changed := time.Now()
			for {
				r := h.get(t, "GET", target)
				elapsed := time.Since(changed)
				if r.status == 200 && r.body == tc.want || r.status == 404 && tc.want == "" {
					if elapsed > time.Second {
						t.Errorf("fresh after %v, want within 1s", elapsed)
					}
					break
				}
				if elapsed > 3*time.Second {
					t.Fatalf("still %d %q after %v", r.status, r.body, elapsed)
				}
				time.Sleep(5 * time.Millisecond)
			}
			if r := h.get(t, "GET", "/"+other); r.status != 200 || r.body != files[other] {
				t.Errorf("the next site: %d %q", r.status, r.body)
			}
			// The target may have been fresh before the events were handled
			// (not held, it was read from disk): the next site's file,
			// replaced with the same bytes, is read in again within 1 s too.
			for deadline := changed.Add(time.Second); tc.others && h.srv.Stats().Loads-before.Loads < 2 && time.Now().Before(deadline); {
				time.Sleep(5 * time.Millisecond)
				h.get(t, "GET", "/"+other)
			}
			after := h.srv.Stats()
			loads, rechecks := after.Loads-before.Loads, after.Rechecks-before.Rechecks
			if !tc.others && (loads > 1 || rechecks > 2) {
				t.Errorf("%d files read in again and %d re-checked, want the changed site's alone", loads, rechecks)
			}
			if tc.others && loads != 2 {
				t.Errorf("%d files read in again, want the two sites asked for from the new directory", loads)
			}
		})
	}
}

// TestWatchedSymlinkSwitch switches a site's release link (ln -sfn: a new
// link renamed over the old one): the link's directory is watched, so the
// other release's file is served without a stat re-check.
func TestWatchedSymlinkSwitch(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"releases/a/app.js": oldBody, "releases/b/app.js": newBody})
	symlink(t, "releases/a", filepath.Join(root, "current"))
	opts := noStat
	opts.Root = root
	h := newHarness(t, opts, assets.Hints{})
	for range 2 {
		if r := h.get(t, "GET", "/current/app.js"); r.body != oldBody {
			t.Fatalf("before: %d %q", r.status, r.body)
		}
	}
	symlink(t, "releases/b", filepath.Join(root, "next"))
	rename(t, filepath.Join(root, "next"), filepath.Join(root, "current"))
	deadline := time.Now().Add(3 * time.Second)
	for {
		r := h.get(t, "GET", "/current/app.js")
		if r.body == newBody {
			break
		}
		if r.body != oldBody || time.Now().After(deadline) {
			t.Fatalf("%d %q, want release b's file", r.status, r.body)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestWatchesSpareRechecks serves 500 files held in memory round after round
// with a 1 ms Revalidate: watched, a round stats none of them; with NoWatch,
// each file is stat'ed again (the contrast shows the counter counts).
func TestWatchesSpareRechecks(t *testing.T) {
	root, files := manySites(t, 500)
	for _, noWatch := range []bool{false, true} {
		t.Run(fmt.Sprintf("NoWatch=%v", noWatch), func(t *testing.T) {
			h := newHarness(t, assets.Options{Root: root, Revalidate: time.Millisecond, NoWatch: noWatch}, assets.Hints{})
			round := func() {
				for name := range files {
					if r := h.get(t, "GET", "/"+name); r.status != 200 {
						t.Fatalf("/%s: %d", name, r.status)
					}
				}
			}
			round()
			round() // the first hit's re-check, after the watches are in place
			time.Sleep(20 * time.Millisecond)
			before := h.srv.Stats().Rechecks
			round()
			rechecks := h.srv.Stats().Rechecks - before
			if noWatch && rechecks < uint64(len(files)) {
				t.Errorf("NoWatch: %d re-checks in a round of %d files, want one each", rechecks, len(files))
			}
			if !noWatch && rechecks != 0 {
				t.Errorf("%d re-checks in a round of %d watched files, want 0", rechecks, len(files))
			}
		})
	}
}

func rename(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}
