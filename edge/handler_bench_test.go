package edge

import (
	"strconv"
	"strings"
	"testing"
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
