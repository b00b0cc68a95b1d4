package assets_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"corsedge/assets"
	"corsedge/internal/testlog"
)

// release writes one release's files: a small file held in memory, one in a
// subdirectory, and one too big to hold, which is streamed; each says which
// release it is.
func release(t *testing.T, dir, tag string) map[string]string {
	t.Helper()
	files := map[string]string{
		"css/a.css":   "/* " + tag + " */ body { color: #123456 }\n",
		"js/lib/b.js": "console.log('" + tag + "')\n",
		"js/big.js":   "// " + tag + "\n" + strings.Repeat("x", 4<<10),
	}
	writeTree(t, dir, files)
	return files
}

// flipLink points link at target as `ln -sfn` does: a new symlink under a
// temporary name, renamed over the old one, so the path never dangles.
func flipLink(t *testing.T, target, link string) {
	t.Helper()
	tmp := link + ".tmp"
	os.Remove(tmp)
	symlink(t, target, tmp)
	if err := os.Rename(tmp, link); err != nil {
		t.Fatal(err)
	}
}

// waitFor requests target until its body is want, for at most 5 s.
func waitFor(t *testing.T, h *harness, target, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := h.get(t, "GET", target)
		if r.status == 200 && r.body == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %d %.40q after 5 s, want %.40q", target, r.status, r.body, want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestReleaseFlipUnderLoad flips the root symlink between two releases 21
// times while clients request files, then deletes the old release: every
// answer is a 200 with one release's file, and once the last flip is seen,
// only the new release's.
func TestReleaseFlipUnderLoad(t *testing.T) {
	base := t.TempDir()
	v1 := release(t, filepath.Join(base, "releases/v1"), "v1")
	v2 := release(t, filepath.Join(base, "releases/v2"), "v2")
	current := filepath.Join(base, "current")
	symlink(t, "releases/v1", current)
	logger, logs := testlog.New()
	h := newHarness(t, assets.Options{Root: current, RootCheck: 5 * time.Millisecond, MaxFileInMemory: 1 << 10, Logger: logger},
		assets.Hints{Vary: hintsVary})

	var onlyV2 atomic.Bool // set once the last flip has been seen
	var requests, failures atomic.Int64
	var failed sync.Map // first failures, for the message
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := range 4 {
		wg.Go(func() {
			for i := c; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := []string{"css/a.css", "js/lib/b.js", "js/big.js"}[i%3]
				strict := onlyV2.Load() // read before the request is sent
				r, err := h.send("GET", "GET /"+name+" HTTP/1.1\r\nHost: assets.test\r\nConnection: close\r\n\r\n")
				requests.Add(1)
				ok := err == nil && r.status == 200 && (r.body == v2[name] || !strict && r.body == v1[name])
				if !ok {
					failures.Add(1)
					if err == nil {
						err = fmt.Errorf("%d %.30q (only v2: %v)", r.status, r.body, strict)
					}
					failed.LoadOrStore(name, err)
				}
			}
		})
	}
	for i := range 21 { // v2, v1, ..., v2
		flipLink(t, []string{"releases/v2", "releases/v1"}[i%2], current)
		time.Sleep(15 * time.Millisecond)
	}
	for name, body := range v2 { // the last flip was to v2
		waitFor(t, h, "/"+name, body)
	}
	onlyV2.Store(true)
	if err := os.RemoveAll(filepath.Join(base, "releases/v1")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()

	if n := failures.Load(); n > 0 {
		failed.Range(func(name, err any) bool {
			t.Errorf("%s: %v", name, err)
			return true
		})
		t.Fatalf("%d of %d requests failed", n, requests.Load())
	}
	if errs := h.served(); len(errs) > 0 {
		t.Errorf("Serve returned %v", errs)
	}
	switched := logs.Lines("asset root switched")
	if len(switched) == 0 || !strings.Contains(switched[len(switched)-1], "to="+filepath.Join(base, "releases/v2")) {
		t.Errorf("switch log lines %q; want the last to name releases/v2", switched)
	}
	t.Logf("%d requests, %d switches logged", requests.Load(), len(switched))
}

// TestRootRenamed replaces the root directory itself by renames: the new
// directory is served once the old one is moved away, and a root path that
// names nothing keeps the old release serving, logged once.
func TestRootRenamed(t *testing.T) {
	base := t.TempDir()
	site := filepath.Join(base, "site")
	old := release(t, site, "old")
	logger, logs := testlog.New()
	h := newHarness(t, assets.Options{Root: site, RootCheck: 5 * time.Millisecond, Logger: logger}, assets.Hints{Vary: hintsVary})
	waitFor(t, h, "/css/a.css", old["css/a.css"])

	// The root path names nothing: files still come from the release open,
	// and a file it lacks is a 503, since the 404 may be the move's.
	if err := os.Rename(site, site+".old"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // several checks
	if r := h.get(t, "GET", "/css/a.css"); r.status != 200 || r.body != old["css/a.css"] {
		t.Errorf("held file with the root path gone: %d %q, want 200 with the old file", r.status, r.body)
	}
	if r := h.get(t, "GET", "/js/lib/b.js"); r.status != 200 || r.body != old["js/lib/b.js"] {
		t.Errorf("file read with the root path gone: %d %q, want 200 with the old file", r.status, r.body)
	}
	if r := h.get(t, "GET", "/css/missing.css"); r.status != 503 || r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("missing file with the root path gone: %d %q, want 503 no-store", r.status, r.header.Get("Cache-Control"))
	}
	if errs := h.served(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "asset root is gone") {
		t.Errorf("Serve returned %v, want one error saying the root is gone", errs)
	}
	if lost := logs.Lines("asset root no longer resolves"); len(lost) != 1 {
		t.Errorf("logged %d times that the root is gone, want once: %q", len(lost), lost)
	}

	// A new directory renamed into place is served, the old one deleted.
	next := release(t, site+".new", "new")
	if err := os.Rename(site+".new", site); err != nil {
		t.Fatal(err)
	}
	for name, body := range next {
		waitFor(t, h, "/"+name, body)
	}
	if err := os.RemoveAll(site + ".old"); err != nil {
		t.Fatal(err)
	}
	for name, body := range next {
		if r := h.get(t, "GET", "/"+name); r.status != 200 || r.body != body {
			t.Errorf("%s after the old root was deleted: %d %.30q", name, r.status, r.body)
		}
	}
	if r := h.get(t, "GET", "/css/missing.css"); r.status != 404 {
		t.Errorf("missing file in the new root: %d, want 404", r.status)
	}
	if len(logs.Lines("asset root resolves again")) != 1 || len(logs.Lines("asset root switched")) != 1 {
		t.Errorf("log:\n%s", strings.Join(logs.Lines("asset root"), "\n"))
	}
}

// TestRootDeleted deletes the directory served with nothing in its place:
// files are a 503 that no cache keeps, never a cacheable 404, and Serve says why.
func TestRootDeleted(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "releases/v1")
	files := release(t, root, "v1")
	current := filepath.Join(base, "current")
	symlink(t, "releases/v1", current)
	logger, _ := testlog.New()
	h := newHarness(t, assets.Options{Root: current, Revalidate: time.Millisecond, Logger: logger}, assets.Hints{Vary: hintsVary})
	waitFor(t, h, "/css/a.css", files["css/a.css"])
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // past Revalidate: the held file is checked
	for _, target := range []string{"/css/a.css", "/js/big.js", "/css/missing.css"} {
		r := h.get(t, "GET", target)
		if r.status != 503 || r.header.Get("Cache-Control") != "no-store" || r.header.Get("Retry-After") != "1" {
			t.Errorf("%s: %d, Cache-Control %q, Retry-After %q; want 503, no-store, 1",
				target, r.status, r.header.Get("Cache-Control"), r.header.Get("Retry-After"))
		}
		if strings.Contains(r.body, base) {
			t.Errorf("%s: body names a path: %q", target, r.body)
		}
	}
	for _, err := range h.served() {
		if !strings.Contains(err.Error(), "asset root is gone") || !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Serve returned %v, want the root gone, as not found", err)
		}
	}
}

// TestFlipThenDeleteAtOnce flips the release link and deletes the old
// release before any periodic check: the request that finds its file gone
// checks the root path itself and is answered from the new release.
func TestFlipThenDeleteAtOnce(t *testing.T) {
	base := t.TempDir()
	v1 := release(t, filepath.Join(base, "releases/v1"), "v1")
	v2 := release(t, filepath.Join(base, "releases/v2"), "v2")
	current := filepath.Join(base, "current")
	symlink(t, "releases/v1", current)
	logger, logs := testlog.New()
	h := newHarness(t, assets.Options{Root: current, RootCheck: time.Hour, Revalidate: time.Millisecond, Logger: logger},
		assets.Hints{Vary: hintsVary})
	for name, body := range v1 {
		waitFor(t, h, "/"+name, body)
	}
	flipLink(t, "releases/v2", current)
	if err := os.RemoveAll(filepath.Join(base, "releases/v1")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // past Revalidate
	for name, body := range v2 {
		if r := h.get(t, "GET", "/"+name); r.status != 200 || r.body != body {
			t.Errorf("%s: %d %.30q, want 200 with v2's file", name, r.status, r.body)
		}
	}
	if n := len(logs.Lines("asset root switched")); n != 1 {
		t.Errorf("%d switches logged, want 1", n)
	}
}
