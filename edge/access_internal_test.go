package edge

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"corsedge/internal/accesslog"
	"corsedge/internal/accesslog/logtest"
	"corsedge/internal/testlog"
)

// At sample 0 only what an operator must see is logged: refused CORS
// decisions and 5xx answers.
func TestAccessLogSampleZeroKeepsRefusalsAnd5xx(t *testing.T) {
	s := newInternalServer(t)
	var out testlog.Buffer
	al, err := accesslog.New(&out, accesslog.Options{Sample: 0})
	if err != nil {
		t.Fatal(err)
	}
	s.cfg.AccessLog = al
	for _, tc := range []struct {
		desc   string
		origin string
		logged bool
	}{
		{"allowed preflight", "https://a.example", false},
		{"refused preflight", "https://evil.example", true},
	} {
		for range 100 {
			s.handle(preflightCtx(tc.origin, ""))
		}
	}
	ctx := preflightCtx("https://a.example", "")
	ctx.Request.Header.SetMethod("GET")
	ctx.SetStatusCode(fasthttp.StatusServiceUnavailable) // as assets answers an I/O error
	s.finish(ctx, &exit{kind: kindActual, decision: decisionAllowed, err: errors.New("read: input/output error")})
	al.Close()
	lines, err := logtest.Lines(out.String())
	if err != nil {
		t.Fatal(err)
	}
	var refused, unavailable int
	for _, line := range lines {
		l, err := logtest.DecodeJSON(line)
		switch {
		case err != nil:
			t.Fatal(err)
		case l.Status == 403 && l.CORS == "refused":
			refused++
		case l.Status == 503 && l.CORS == "allowed":
			unavailable++
		default:
			t.Errorf("logged at sample 0: %s", line)
		}
	}
	if refused != 100 || unavailable != 1 {
		t.Errorf("%d refused preflights and %d 503s logged, want 100 and 1:\n%s", refused, unavailable, strings.Join(lines, "\n"))
	}
}

// The cache-hit preflight allocates nothing with the access log on either:
// the line is formatted into one of the log's own buffers.
func TestHandlerWithAccessLogAllocatesNothing(t *testing.T) {
	for _, format := range []accesslog.Format{accesslog.JSON, accesslog.Combined} {
		s := newInternalServer(t)
		al, err := accesslog.Open(filepath.Join(t.TempDir(), "access.log"), accesslog.Options{Format: format, Sample: 1})
		if err != nil {
			t.Fatal(err)
		}
		s.cfg.AccessLog = al
		ctx := preflightCtx("https://a.example", "content-type")
		ctx.Request.Header.SetUserAgent("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
		s.handle(ctx)
		allocs := testing.AllocsPerRun(1000, func() {
			ctx.Response.Reset()
			s.handle(ctx)
		})
		if allocs != 0 {
			t.Errorf("format %d: %v allocations per logged preflight, want 0", format, allocs)
		}
		al.Close()
	}
}

// BenchmarkHandlerAccessLog is BenchmarkHandler's cached preflight with the
// access log off, sampling 1% and logging every request to a file.
func BenchmarkHandlerAccessLog(b *testing.B) {
	for _, bc := range []struct {
		name   string
		on     bool
		sample float64
	}{
		{name: "log=off"},
		{name: "log=1%", on: true, sample: 0.01},
		{name: "log=100%", on: true, sample: 1},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := newInternalServer(b)
			if bc.on {
				al, err := accesslog.Open(filepath.Join(b.TempDir(), "access.log"), accesslog.Options{Sample: bc.sample})
				if err != nil {
					b.Fatal(err)
				}
				defer al.Close()
				s.cfg.AccessLog = al
			}
			ctx := preflightCtx("https://a.example", "content-type,x-request-id")
			ctx.Request.Header.SetUserAgent("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
			b.ReportAllocs()
			for b.Loop() {
				ctx.Response.Reset()
				s.handle(ctx)
			}
			b.ReportMetric(float64(s.cfg.AccessLog.Dropped())/float64(b.N), "dropped/op")
		})
	}
}
