package assets_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"corsedge/assets"
)

// TestSymlinkedDotfiles proves that "dotfiles are never served" holds for the
// path as resolved through symlinks, not only for the path requested.
func TestSymlinkedDotfiles(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		".git/config":      secret,
		".env":             secret,
		".well-known/x.js": secret,
		"css/a.css":        cssBody,
		"js/.old/app.js":   secret,
		"js/v1/app.js":     appBody,
	})
	symlink(t, "../.git", filepath.Join(root, "js/g")) // a dot-directory, relative
	symlink(t, filepath.Join("..", ".env"), filepath.Join(root, "css/env.css"))
	symlink(t, ".well-known", filepath.Join(root, "wk"))       // a dot-directory at the top
	symlink(t, "wk", filepath.Join(root, "wk2"))               // a chain ending in one
	symlink(t, "v1/../.old", filepath.Join(root, "js/sneaky")) // a dot segment after ".."
	symlink(t, "loop-b", filepath.Join(root, "loop-a"))        // a loop
	symlink(t, "loop-a", filepath.Join(root, "loop-b"))
	symlink(t, "v1", filepath.Join(root, "js/current"))           // the release link served below
	symlink(t, "a.css/..", filepath.Join(root, "css/notdir.css")) // through a file
	h := newHarness(t, assets.Options{Root: root, Revalidate: 10 * time.Millisecond}, assets.Hints{Vary: hintsVary})
	tests := []struct {
		desc   string
		target string
	}{
		{"symlinked dot-directory", "/js/g/config"},
		{"symlink to a dotfile", "/css/env.css"},
		{"top-level link to a dot-directory", "/wk/x.js"},
		{"chain of links to a dot-directory", "/wk2/x.js"},
		{"dot segment after dot-dot in a target", "/js/sneaky/app.js"},
		{"symlink loop", "/loop-a/x.js"},
		{"target through a file", "/css/notdir.css"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			r := h.get(t, "GET", tc.target)
			if r.status != 404 || strings.Contains(r.body, secret) {
				t.Errorf("status %d, body %q; want 404 without the secret", r.status, r.body)
			}
			checkHeaders(t, r.header, map[string]string{"Cache-Control": "public, max-age=60", "Access-Control-Allow-Origin": fakeCORS})
		})
	}

	// A file held in memory whose link is turned to a dot-directory is
	// dropped at its next revalidation, not served from the dotfile.
	t.Run("held file whose link now leads to a dot-directory", func(t *testing.T) {
		if r := h.get(t, "GET", "/js/current/app.js"); r.status != 200 || r.body != appBody {
			t.Fatalf("before: %d %q, want 200 with the file", r.status, r.body)
		}
		tmp := filepath.Join(root, "js/current.tmp")
		symlink(t, ".old", tmp)
		if err := os.Rename(tmp, filepath.Join(root, "js/current")); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			r := h.get(t, "GET", "/js/current/app.js")
			if strings.Contains(r.body, secret) {
				t.Fatalf("served the dot-directory's file: %d %q", r.status, r.body)
			}
			if r.status == 404 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("still %d %q after 5 s, want 404", r.status, r.body)
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

const appBody = "console.log('v1')\n"
