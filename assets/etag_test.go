package assets_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"corsedge/assets"
)

// zipEpoch is 1980-01-01T00:00:00Z, to which builds and image layers pin mtimes.
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// setMtime pins the modification time of name under dir.
func setMtime(t *testing.T, dir, name string, mtime time.Time) {
	t.Helper()
	if err := os.Chtimes(filepath.Join(dir, name), mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

// TestUselessMtimes serves files whose mtime tells nothing (as Caddy's file
// server judges it): held in memory they keep an entity tag from their bytes,
// streamed they get none, and no Last-Modified in either case, so neither a
// date condition nor a streamed 304 ever rests on such a time.
func TestUselessMtimes(t *testing.T) {
	tests := []struct {
		desc   string
		mtime  time.Time
		useful bool
	}{
		{"unix 0", time.Unix(0, 0), false},
		{"unix 1", time.Unix(1, 0), false},
		{"before 1970", time.Unix(-86400, 0), false},
		{"zip epoch", zipEpoch, false},
		{"a real time", time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC), true},
	}
	for _, mode := range modes {
		for _, tc := range tests {
			t.Run("mode="+mode.desc+"/"+tc.desc, func(t *testing.T) {
				root := t.TempDir()
				writeTree(t, root, map[string]string{"c.css": cssBody})
				setMtime(t, root, "c.css", tc.mtime)
				opts := mode.opts
				opts.Root = root
				h := newHarness(t, opts, assets.Hints{})
				r := h.get(t, "GET", "/c.css")
				etag, lm := r.header.Get("ETag"), r.header.Get("Last-Modified")
				if wantTag := tc.useful || mode.desc != "stream"; (etag != "") != wantTag {
					t.Errorf("ETag %q, want one: %v", etag, wantTag)
				}
				if (lm != "") != tc.useful {
					t.Errorf("Last-Modified %q, want one: %v", lm, tc.useful)
				}
				dated := []struct {
					desc    string
					headers []string
					useful  int // the status when the time is useful; 200 otherwise
				}{
					{"If-Modified-Since", []string{"If-Modified-Since: " + future}, 304},
					{"If-Unmodified-Since", []string{"If-Unmodified-Since: " + past}, 412},
					{"If-Range date", []string{"Range: bytes=0-3", "If-Range: " + tc.mtime.UTC().Format(http.TimeFormat)}, 206},
				}
				for _, d := range dated {
					want := 200
					if tc.useful {
						want = d.useful
					}
					if r := h.get(t, "GET", "/c.css", d.headers...); r.status != want {
						t.Errorf("%s: status %d, want %d", d.desc, r.status, want)
					}
				}
			})
		}
	}
}

// TestContentETag checks that a file held in memory has a tag from its bytes:
// equal on hosts with other mtimes, different for other bytes of the same size
// and time.
func TestContentETag(t *testing.T) {
	pinned, fresh := t.TempDir(), t.TempDir()
	files := map[string]string{"a.js": "var a = 1;\n", "b.js": "var b = 2;\n", "a.js.gz": "gz"}
	writeTree(t, pinned, files)
	writeTree(t, fresh, files)
	for name := range files {
		setMtime(t, pinned, name, zipEpoch)
	}
	hp := newHarness(t, assets.Options{Root: pinned}, assets.Hints{})
	hf := newHarness(t, assets.Options{Root: fresh}, assets.Hints{})
	tag := func(h *harness, path string, headers ...string) string {
		t.Helper()
		r := h.get(t, "GET", path, headers...)
		if tag := r.header.Get("ETag"); r.status == 200 && strings.HasPrefix(tag, `"`) && strings.HasSuffix(tag, `"`) {
			return tag
		}
		t.Fatalf("%s: status %d, ETag %q", path, r.status, r.header.Get("ETag"))
		return ""
	}
	a, b, gz := tag(hp, "/a.js"), tag(hp, "/b.js"), tag(hp, "/a.js", "Accept-Encoding: gzip")
	if a == b {
		t.Errorf("files with other bytes, same size and mtime share ETag %s", a)
	}
	if !strings.HasSuffix(gz, `-gzip"`) || gz == a {
		t.Errorf("gzip sidecar ETag %s, want its own with the coding suffix (identity %s)", gz, a)
	}
	if other := tag(hf, "/a.js"); other != a {
		t.Errorf("same bytes with other mtimes: ETag %s and %s, want equal", a, other)
	}
}

// TestPinnedRewrite rewrites a file in place with other bytes of the same size
// and puts its mtime back (cp, touch -d, tar): the change must show within
// about Revalidate, and the old ETag must never get a 304 for the new bytes.
func TestPinnedRewrite(t *testing.T) {
	const before, after = "version one\n", "version two\n"
	for _, mode := range modes {
		t.Run("mode="+mode.desc, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, map[string]string{"c.js": before})
			setMtime(t, root, "c.js", zipEpoch)
			opts := mode.opts
			opts.Root, opts.Revalidate = root, 20*time.Millisecond
			h := newHarness(t, opts, assets.Hints{})
			first := h.get(t, "GET", "/c.js")
			if first.status != 200 || first.body != before {
				t.Fatalf("before: %d %q", first.status, first.body)
			}
			old := first.header.Get("ETag")
			// Past the kernel's timestamp tick (a jiffy, at most 10 ms), so
			// that the change time the rewrite sets differs from the first.
			time.Sleep(20 * time.Millisecond)
			rewrite(t, root, "c.js", after)
			setMtime(t, root, "c.js", zipEpoch)
			changed := time.Now()
			for {
				r := h.get(t, "GET", "/c.js")
				if r.body == after {
					break
				}
				if time.Since(changed) > 2*time.Second {
					t.Fatalf("still %q after %v", r.body, time.Since(changed))
				}
				time.Sleep(10 * time.Millisecond)
			}
			if old == "" {
				return // streamed with a useless mtime: no tag to revalidate
			}
			r := h.get(t, "GET", "/c.js", "If-None-Match: "+old)
			if r.status != 200 || r.body != after || r.header.Get("ETag") == old {
				t.Errorf("old ETag %s: status %d, body %q, ETag %s; want 200 with the new bytes and a new tag", old, r.status, r.body, r.header.Get("ETag"))
			}
		})
	}
}
