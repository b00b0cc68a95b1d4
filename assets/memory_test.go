package assets

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/valyala/fasthttp"

	"corsedge/internal/liveheap"
)

// TestCachedBytesBoundTheHeap holds 3,000 sites' 1 KiB fonts, each in a
// watched directory of its own, and compares the heap they take with the
// bytes charged against MaxMemory: the charge (size + entryOverhead) must
// cover the entry, its name and header values, its map and ring slots and
// its share of the watches, or MaxMemory would not bound the process.
func TestCachedBytesBoundTheHeap(t *testing.T) {
	const sites = 3000
	root := t.TempDir()
	font := make([]byte, 1<<10)
	for i := 1; i <= sites; i++ {
		dir := filepath.Join(root, "s", fmt.Sprint(i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "font.woff2"), font, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := New(Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	paths := make([][]byte, sites)
	for i := range paths {
		paths[i] = fmt.Appendf(nil, "/s/%d/font.woff2", i+1)
	}
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod("GET")
	serveAll := func() {
		for _, p := range paths {
			ctx.Response.Reset()
			if err := s.Serve(&ctx, p, Hints{}); err != nil || ctx.Response.StatusCode() != 200 {
				t.Fatalf("%s: %d %v", p, ctx.Response.StatusCode(), err)
			}
		}
	}
	before := liveheap.Bytes()
	serveAll()
	serveAll()
	after := liveheap.Bytes()
	st := s.Stats()
	if st.Entries != sites {
		t.Fatalf("%d entries, want %d", st.Entries, sites)
	}
	if !s.cur.Load().cache.idx.get([]byte("s/1/font.woff2")).watched {
		t.Fatal("entries are not watched: the watches' share is not measured")
	}
	real := int64(after - before)
	t.Logf("%d files of 1 KiB: %d bytes on the heap (%d an entry), %d charged (%d an entry)",
		sites, real, real/sites, st.Bytes, st.Bytes/sites)
	if real > st.Bytes {
		t.Errorf("the entries take %d bytes, over the %d charged: raise entryOverhead", real, st.Bytes)
	}
	runtime.KeepAlive(paths)
}
