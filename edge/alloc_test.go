package edge

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/valyala/fasthttp"

	"corsedge/assets"
)

const allocRules = `version = 1
[[rule]]
paths   = ["/js/"]
origins = ["https://a.example", "https://*.example.org"]
methods = ["GET", "POST"]
headers = ["content-type", "x-request-id"]
credentials = true
`

func newInternalServer(t testing.TB) *Server {
	t.Helper()
	return newInternalServerOn(t, allocRules)
}

// newInternalServerOn is newInternalServer on the rules file src.
func newInternalServerOn(t testing.TB, src string) *Server {
	t.Helper()
	file := filepath.Join(t.TempDir(), "rules.toml")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	files, err := assets.New(assets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	s, err := New(Config{RulesFile: file, Assets: files, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func preflightCtx(origin, acrh string) *fasthttp.RequestCtx {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod("OPTIONS")
	ctx.Request.SetRequestURI("/js/app.js")
	ctx.Request.Header.Set("Origin", origin)
	ctx.Request.Header.Set("Access-Control-Request-Method", "POST")
	if acrh != "" {
		ctx.Request.Header.Set("Access-Control-Request-Headers", acrh)
	}
	return &ctx
}

// The cache-hit preflight path through the whole handler allocates nothing.
func TestHandlerPreflightAllocatesNothing(t *testing.T) {
	s := newInternalServer(t)
	for _, tc := range []struct {
		desc, origin, acrh string
		wantStatus         int
	}{
		{"accepted, exact origin", "https://a.example", "content-type,x-request-id", 204},
		{"accepted, wildcard origin", "https://app.example.org", "content-type", 204},
		{"refused origin", "https://evil.example", "", 403},
		{"refused header", "https://a.example", "x-other", 403},
	} {
		ctx := preflightCtx(tc.origin, tc.acrh)
		s.handle(ctx) // fills the cache
		if got := ctx.Response.StatusCode(); got != tc.wantStatus {
			t.Fatalf("%s: status %d, want %d", tc.desc, got, tc.wantStatus)
		}
		allocs := testing.AllocsPerRun(1000, func() {
			ctx.Response.Reset()
			s.handle(ctx)
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per cache-hit preflight, want 0", tc.desc, allocs)
		}
	}
}

// The decision cache keeps its own copy of the Origin: the request's bytes
// are reused by fasthttp for the next request on the connection.
func TestCacheDoesNotRetainRequestBytes(t *testing.T) {
	s := newInternalServer(t)
	ctx := preflightCtx("https://a.example", "")
	s.handle(ctx)
	origin := ctx.Request.Header.Peek("Origin")
	copy(origin, "https://z.example") // same length: overwrites the request buffer in place
	var keys []string
	s.state.Load().cache.each(func(e *cacheEntry) { keys = append(keys, e.origin) })
	if len(keys) != 1 || keys[0] != "https://a.example" {
		t.Errorf("cache keys after the request buffer changed: %q", keys)
	}
}

// However the cache is split, it holds at most its bound: a flood of
// distinct origins evicts, never grows it.
func TestDecisionCacheBound(t *testing.T) {
	s := newInternalServer(t)
	p := s.state.Load().table.Select([]byte("/js/"))
	for _, size := range []int{1, 100, 1000, 10000, 65536} {
		var stats cacheStats
		c := newDecisionCache(size, &stats)
		for i := range 3 * size {
			c.decide(p, []byte("https://o"+strconv.Itoa(i)+".example.org"))
		}
		if got := c.len(); got > size || got < size*9/10 {
			t.Errorf("size %d (%d shards): holds %d after %d origins", size, len(c.shards), got, 3*size)
		}
		if ev := stats.evictions.Load(); ev+uint64(c.len()) != uint64(3*size) {
			t.Errorf("size %d: %d evictions + %d entries != %d origins", size, ev, c.len(), 3*size)
		}
	}
}
