package assets_test

import (
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"corsedge/assets"
)

// inProcess serves requests on one reused RequestCtx, as a fasthttp worker
// does, without a socket: what is left is Serve's own cost.
type inProcess struct {
	srv   *assets.Server
	ctx   fasthttp.RequestCtx
	hints assets.Hints
}

func newInProcess(tb testing.TB, files map[string]string, opts assets.Options) *inProcess {
	tb.Helper()
	opts.Root = tb.TempDir()
	writeTree(tb, opts.Root, files)
	opts.Revalidate = time.Hour // no re-stat inside a measurement
	srv, err := assets.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	return &inProcess{srv: srv, hints: assets.Hints{Vary: hintsVary, CacheControl: hintCacheControl}}
}

// request sets up the next request: path and "Name: value" header lines.
func (p *inProcess) request(path string, headers ...string) {
	p.ctx.Request.Reset()
	p.ctx.Request.SetRequestURI(path)
	for _, l := range headers {
		name, value, _ := strings.Cut(l, ": ")
		p.ctx.Request.Header.Add(name, value) // Add: a name given twice is two field lines
	}
}

// serve answers the request set up, as the edge would: a CORS header, then Serve.
func (p *inProcess) serve() {
	p.ctx.Response.Reset()
	p.ctx.Response.Header.Set("Access-Control-Allow-Origin", fakeCORS)
	p.srv.Serve(&p.ctx, p.ctx.Path(), p.hints)
}

// TestServeAllocs proves that a file held in memory is served without a
// single allocation, for each kind of answer it can get.
func TestServeAllocs(t *testing.T) {
	p := newInProcess(t, fixture, assets.Options{})
	p.request("/css/a.css")
	p.serve()
	etag := string(p.ctx.Response.Header.Peek("ETag"))
	tests := []struct {
		desc    string
		path    string
		headers []string
		status  int
	}{
		{"200", "/css/a.css", nil, 200},
		{"200 br", "/css/a.css", []string{"Accept-Encoding: gzip, deflate, br, zstd"}, 200},
		{"200 font", "/fonts/f.woff2", []string{"Accept-Encoding: gzip, deflate, br, zstd"}, 200},
		{"304", "/css/a.css", []string{"If-None-Match: " + etag}, 304},
		{"304 by date", "/css/a.css", []string{"If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT"}, 304},
		{"206", "/css/a.css", []string{"Range: bytes=0-3", "If-Range: " + etag}, 206},
		{"416", "/css/a.css", []string{"Range: bytes=9999-"}, 416},
		{"200 If-Match", "/css/a.css", []string{"If-Match: " + etag, "If-Unmodified-Since: Mon, 01 Jan 2001 00:00:00 GMT"}, 200},
		{"412 If-Match", "/css/a.css", []string{`If-Match: "old"`}, 412},
		{"412 If-Unmodified-Since", "/css/a.css", []string{"If-Unmodified-Since: Mon, 01 Jan 2001 00:00:00 GMT"}, 412},
		{"200 If-Modified-Since on two lines", "/css/a.css", []string{"If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT", "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT"}, 200},
		{"404 refused path", "/.env", nil, 404},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			p.request(tc.path, tc.headers...)
			p.serve() // the first serve may load the file
			if got := p.ctx.Response.StatusCode(); got != tc.status {
				t.Fatalf("status %d, want %d", got, tc.status)
			}
			if allocs := testing.AllocsPerRun(200, p.serve); allocs != 0 {
				t.Errorf("%v allocations per request, want 0", allocs)
			}
		})
	}
}

// BenchmarkServe measures Serve alone on a reused RequestCtx.
func BenchmarkServe(b *testing.B) {
	font := make([]byte, 20<<10)
	rand.Read(font)
	css := strings.Repeat("a{color:red}\n", 80)[:1024]
	big := strings.Repeat("x", 1<<20)
	files := map[string]string{
		"fonts/f.woff2": string(font),
		"css/a.css":     css, "css/a.css.br": css[:200], "css/a.css.gz": css[:300],
		"js/big.js": big,
		// 10 KiB of CSS without sidecars (br and gzip made at load) and the
		// same with the sidecars a build makes (brotli -q 11, gzip -9).
		"css/gen.css":  css10k,
		"css/side.css": css10k, "css/side.css.br": string(fasthttp.AppendBrotliBytesLevel(nil, []byte(css10k), 11)),
		"css/side.css.gz": string(fasthttp.AppendGzipBytesLevel(nil, []byte(css10k), 9)),
	}
	p := newInProcess(b, files, assets.Options{})
	p.request("/css/a.css")
	p.serve()
	etag := string(p.ctx.Response.Header.Peek("ETag"))
	browser := "Accept-Encoding: gzip, deflate, br, zstd"
	tests := []struct {
		name    string
		path    string
		headers []string
	}{
		{"file=woff2-20k", "/fonts/f.woff2", []string{browser}},
		{"file=css-1k/enc=identity", "/css/a.css", nil},
		{"file=css-1k/enc=br", "/css/a.css", []string{browser}},
		{"cond=304", "/css/a.css", []string{"If-None-Match: " + etag}},
		{"range=first-last", "/css/a.css", []string{"Range: bytes=100-199"}},
		{"file=css-10k/sidecar=none/enc=br", "/css/gen.css", []string{"Accept-Encoding: br, gzip"}},
		{"file=css-10k/sidecar=br11/enc=br", "/css/side.css", []string{"Accept-Encoding: br, gzip"}},
		{"file=js-1m/stream", "/js/big.js", []string{browser}},
		{"miss=404", "/css/missing.css", nil},
		{"hostile=path-2000", "/" + strings.Repeat("a/", 1000), nil},
		{"hostile=accept-encoding", "/css/a.css", []string{"Accept-Encoding: " + strings.Repeat("gzip;q=0.5, ", 80)}},
		{"hostile=if-none-match", "/css/a.css", []string{"If-None-Match: " + strings.Repeat(`W/"x", `, 500)}},
	}
	for _, tc := range tests {
		b.Run(tc.name, func(b *testing.B) {
			p.request(tc.path, tc.headers...)
			p.serve()
			b.ReportAllocs()
			for b.Loop() {
				p.serve()
			}
			b.ReportMetric(float64(len(p.ctx.Response.Body())), "body-B")
		})
	}
}

// BenchmarkServeManyFiles serves 1 KiB fonts held in memory, one file or
// each of 10,000 site directories' in a shuffled rotation (the sites
// bench's GET): the difference is what holding many files costs a hit, the
// CPU caches' misses on the entries included. Revalidate is left at its
// default, so re-checks count as they do in production. Under callgrind,
// --toggle-collect='*rotation*next' counts the timed requests alone.
func BenchmarkServeManyFiles(b *testing.B) {
	font := make([]byte, 1<<10)
	rand.Read(font)
	for _, n := range []int{1, 10000} {
		for _, noWatch := range []bool{false, true} {
			b.Run(fmt.Sprintf("files=%d/nowatch=%v", n, noWatch), func(b *testing.B) {
				files := map[string]string{}
				r := &rotation{paths: make([]string, n)}
				for i := range n {
					r.paths[i] = fmt.Sprintf("/s/%d/font.woff2", i+1)
					files[r.paths[i][1:]] = string(font)
				}
				mrand.Shuffle(n, func(i, j int) { r.paths[i], r.paths[j] = r.paths[j], r.paths[i] })
				root := b.TempDir()
				writeTree(b, root, files)
				var err error
				if r.srv, err = assets.New(assets.Options{Root: root, NoWatch: noWatch}); err != nil {
					b.Fatal(err)
				}
				defer r.srv.Close()
				for range 2 * n { // read in, then the first hit
					r.serve()
				}
				b.ReportAllocs()
				for b.Loop() {
					r.next()
				}
				b.ReportMetric(float64(r.srv.Stats().Rechecks)/float64(b.N), "rechecks/op")
			})
		}
	}
}

// rotation serves paths in turn on 64 reused contexts, as wrk's connections
// would (one a path would be 10,000 contexts).
type rotation struct {
	srv   *assets.Server
	paths []string
	reqs  [64]fasthttp.RequestCtx
	i     int
}

// next serves the next path: the timed request (not inlined, for callgrind).
//
//go:noinline
func (r *rotation) next() { r.serve() }

func (r *rotation) serve() {
	ctx := &r.reqs[r.i%len(r.reqs)]
	ctx.Request.SetRequestURI(r.paths[r.i%len(r.paths)])
	ctx.Response.Reset()
	r.srv.Serve(ctx, ctx.Path(), assets.Hints{Vary: hintsVary, CacheControl: hintCacheControl})
	r.i++
}
