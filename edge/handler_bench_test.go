package edge

import (
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
