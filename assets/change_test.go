package assets_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"corsedge/assets"
)

const (
	oldBody = "old contents\n"
	newBody = "new contents, longer than the old\n"
)

// TestChangesOnDisk changes a served file in each way an operator might and
// polls: the new state must show within 1 s, and every answer on the way must
// be whole, one state or the other, never a stale length or a mix.
func TestChangesOnDisk(t *testing.T) {
	tests := []struct {
		desc    string
		before  map[string]string
		accept  string                         // Accept-Encoding of the requests
		change  func(t *testing.T, dir string) // dir holds the files
		want    string                         // body of the new state; "" means 404
		passing []string                       // other bodies allowed on the way
	}{
		{
			desc: "replaced by rename", before: map[string]string{"c.css": oldBody},
			change: func(t *testing.T, dir string) { replace(t, dir, "c.css", newBody) },
			want:   newBody,
		},
		{
			desc: "rewritten in place, longer", before: map[string]string{"c.css": oldBody},
			change: func(t *testing.T, dir string) { rewrite(t, dir, "c.css", newBody) },
			want:   newBody, passing: prefixes(newBody),
		},
		{
			desc: "rewritten in place, shorter", before: map[string]string{"c.css": newBody},
			change: func(t *testing.T, dir string) { rewrite(t, dir, "c.css", oldBody) },
			want:   oldBody, passing: append(prefixes(oldBody), newBody),
		},
		{
			desc: "deleted", before: map[string]string{"c.css": oldBody},
			change: func(t *testing.T, dir string) { remove(t, dir, "c.css") },
		},
		{
			desc: "sidecar replaced", before: map[string]string{"c.css": cssBody, "c.css.br": oldBody}, accept: "br",
			change: func(t *testing.T, dir string) { replace(t, dir, "c.css.br", newBody) },
			want:   newBody,
		},
		{
			desc: "sidecar added", before: map[string]string{"c.css": oldBody}, accept: "br",
			change: func(t *testing.T, dir string) { replace(t, dir, "c.css.br", newBody) },
			want:   newBody,
		},
		{
			desc: "sidecar deleted", before: map[string]string{"c.css": newBody, "c.css.br": oldBody}, accept: "br",
			change: func(t *testing.T, dir string) { remove(t, dir, "c.css.br") },
			want:   newBody,
		},
	}
	for _, mode := range modes {
		for _, tc := range tests {
			t.Run("mode="+mode.desc+"/"+tc.desc, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				writeTree(t, dir, tc.before)
				opts := mode.opts
				opts.Root = dir
				h := newHarness(t, opts, assets.Hints{})
				var headers []string
				if tc.accept != "" {
					headers = append(headers, "Accept-Encoding: "+tc.accept)
				}
				first := h.get(t, "GET", "/c.css", headers...)
				if first.status != 200 {
					t.Fatalf("before the change: %d", first.status)
				}
				allowed := append([]string{first.body, tc.want}, tc.passing...)
				tc.change(t, dir)
				changed := time.Now()
				for {
					r := h.get(t, "GET", "/c.css", headers...)
					elapsed := time.Since(changed)
					switch {
					case r.status == 404 && tc.want == "":
						if elapsed > time.Second {
							t.Errorf("404 after %v, want within 1s", elapsed)
						}
						return
					case r.status != 200:
						t.Fatalf("status %d after %v", r.status, elapsed)
					case !slices.Contains(allowed, r.body):
						t.Fatalf("body %q after %v is neither state", r.body, elapsed)
					case r.body == tc.want:
						if elapsed > time.Second {
							t.Errorf("fresh after %v, want within 1s", elapsed)
						}
						return
					case elapsed > 2*time.Second:
						t.Fatalf("still %q after %v", r.body, elapsed)
					}
					time.Sleep(10 * time.Millisecond)
				}
			})
		}
	}
}

// TestChangesUnderLoad rewrites a file over and over while clients read it,
// with a short Revalidate so that reloads race with hits: every answer must
// be one whole version (run with -race).
func TestChangesUnderLoad(t *testing.T) {
	dir := t.TempDir()
	versions := make([]string, 20)
	for i := range versions {
		versions[i] = fmt.Sprintf("version %d %s\n", i, strings.Repeat("x", i*7))
	}
	writeTree(t, dir, map[string]string{"c.js": versions[0]})
	h := newHarness(t, assets.Options{Root: dir, Revalidate: time.Millisecond}, assets.Hints{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 40 {
				r, err := h.send("GET", "GET /c.js HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
				if err != nil {
					t.Error(err)
					return
				}
				if r.status != 200 || !slices.Contains(versions, r.body) {
					t.Errorf("%d %q is no version", r.status, r.body)
					return
				}
			}
		})
	}
	for _, v := range versions[1:] {
		replace(t, dir, "c.js", v)
		time.Sleep(2 * time.Millisecond)
	}
	wg.Wait()
}

// replace writes a new file beside name and renames it over name.
func replace(t *testing.T, dir, name, content string) {
	t.Helper()
	tmp := filepath.Join(dir, "tmp-"+name)
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

// rewrite truncates name and writes content into the same file.
func rewrite(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func remove(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

// prefixes lists the states a file passes through while s is written into it.
func prefixes(s string) []string {
	p := make([]string, len(s))
	for i := range p {
		p[i] = s[:i]
	}
	return p
}
