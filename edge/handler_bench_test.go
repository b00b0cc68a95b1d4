package edge

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// BenchmarkHandler drives the whole fasthttp handler with a reused
// RequestCtx: what a preflight costs corsedge, without the network.
func BenchmarkHandler(b *testing.B) {
	for _, bc := range []struct {
		name   string
		origin string
		acrh   string
		rotate int // > 0: cycle through this many distinct allowed origins
	}{
		{name: "preflight=cache-hit", origin: "https://a.example", acrh: "content-type,x-request-id"},
		{name: "preflight=cache-miss", rotate: 1 << 20},
		{name: "preflight=refused", origin: "https://evil.example"},
		{name: "preflight=hostile-acrh", origin: "https://a.example", acrh: strings.Repeat(",", 10000)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := newInternalServer(b)
			ctx := preflightCtx(bc.origin, bc.acrh)
			var origins [][]byte
			for i := range bc.rotate {
				origins = append(origins, []byte("https://o"+strconv.Itoa(i)+".example.org"))
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if origins != nil { // every origin is new to the cache: a miss each time
					ctx.Request.Header.SetBytesV("Origin", origins[i%len(origins)])
					i++
				}
				ctx.Response.Reset()
				s.handle(ctx)
			}
		})
	}
}

// BenchmarkInstrumentation is what the per-request metrics cost: the
// handler as before them (respond and the requests counter) against the
// whole handler (status and bytes counters, the drain check, two clock
// reads and the duration histogram). Run with -count N
// and take the median of the pairs' ratios (see the README's Metrics).
func BenchmarkInstrumentation(b *testing.B) {
	s := newInternalServer(b)
	for _, bc := range []struct {
		name string
		ctx  *fasthttp.RequestCtx
	}{
		{"request=preflight-cache-hit", preflightCtx("https://a.example", "content-type,x-request-id")},
		{"request=asset-from-memory", assetCtx("/js/demo.js")},
	} {
		s.handle(bc.ctx) // fills the caches
		b.Run(bc.name+"/metrics=before", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bc.ctx.Response.Reset()
				var e exit
				s.respond(bc.ctx, &e)
				s.metrics.countRequest(e.kind, e.decision)
			}
		})
		b.Run(bc.name+"/metrics=all", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bc.ctx.Response.Reset()
				s.handle(bc.ctx)
			}
		})
	}
}

func assetCtx(path string) *fasthttp.RequestCtx {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod("GET")
	ctx.Request.SetRequestURI(path)
	ctx.Request.Header.Set("Origin", "https://a.example")
	return &ctx
}

// BenchmarkHandlerSites is the sites suite's preflight in process: over
// sites=10000 one rule per site ("/s/N/", the site and its subdomains),
// requests spread over every site, one in ten from another site's origin
// and refused; sites=1 is the same requests on one site's rule, the
// baseline the sites target is a ratio to. Every decision is cached
// before the timing, so what differs is the memory the lookups read.
func BenchmarkHandlerSites(b *testing.B) {
	for _, n := range []int{1, 10000} {
		b.Run("sites="+strconv.Itoa(n), func(b *testing.B) {
			var src strings.Builder
			src.WriteString("version = 1\n[defaults]\nmethods = [\"GET\", \"POST\"]\nheaders = [\"content-type\"]\n")
			for i := range n {
				fmt.Fprintf(&src, "[[rule]]\npaths = [\"/s/%d/\"]\norigins = [\"https://site%d.example\", \"https://*.site%d.example\"]\n", i, i, i)
			}
			s := newInternalServerOn(b, src.String())
			ctx := preflightCtx("", "content-type")
			type req struct{ uri, origin []byte }
			reqs := make([]req, 50000) // five pairs a site: the sites suite's decision cache
			for i := range reqs {
				site := (i * 7919) % n
				origin := fmt.Sprintf("https://site%d.example", site)
				switch {
				case i%10 == 9:
					origin = fmt.Sprintf("https://site%d.example", (site+1)%n+n) // no site's: refused
				case i%2 == 1:
					origin = fmt.Sprintf("https://w%d.site%d.example", i%4, site)
				}
				reqs[i] = req{[]byte(fmt.Sprintf("/s/%d/font.woff2", site)), []byte(origin)}
			}
			serve := func(r req) int {
				ctx.Request.SetRequestURIBytes(r.uri)
				ctx.Request.Header.SetBytesV("Origin", r.origin)
				ctx.Response.Reset()
				s.handle(ctx)
				return ctx.Response.StatusCode()
			}
			for i, r := range reqs { // fill the decision cache
				if status, want := serve(r), map[bool]int{true: 403, false: 204}[i%10 == 9]; status != want {
					b.Fatalf("%s from %s: %d, want %d", r.uri, r.origin, status, want)
				}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				measured(func() { serve(reqs[i]) })
				if i++; i == len(reqs) {
					i = 0
				}
			}
		})
	}
}

// measured runs f: a benchmark's timed requests go through it, so that a
// profiler can count them alone (valgrind --tool=callgrind
// --toggle-collect='*edge.measured').
//
//go:noinline
func measured(f func()) { f() }
