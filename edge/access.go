package edge

import (
	"net"
	"net/netip"
	"time"

	"github.com/valyala/fasthttp"

	"corsedge/internal/accesslog"
)

// logAccess writes the access log line of a finished request: always for a
// refused CORS decision and a 5xx (what an operator must see), else when
// the sample draws it.
func (s *Server) logAccess(ctx *fasthttp.RequestCtx, e *exit) {
	al := s.cfg.AccessLog
	status := ctx.Response.StatusCode()
	if e.decision != decisionRefused && status < 500 && !al.Sampled() {
		return
	}
	now := time.Now()
	start := e.start
	if start.IsZero() { // handleError: fasthttp read the request before any handler ran
		start = now
	}
	h := &ctx.Request.Header
	entry := accesslog.Entry{
		Time:      start,
		Duration:  now.Sub(start),
		Client:    clientAddr(ctx),
		Method:    h.Method(),
		Path:      ctx.Path(),
		Proto:     h.Protocol(),
		Status:    status,
		Bytes:     bodyBytes(ctx),
		Origin:    e.origin,
		Decision:  decisionNames[e.decision],
		Referer:   h.Referer(),
		UserAgent: h.UserAgent(),
	}
	if e.rule != nil {
		entry.RuleName, entry.RuleNumber = e.rule.Name(), e.rule.Index()+1
	}
	al.Record(&entry)
}

// clientAddr is the peer's IP address (IPv4 unmapped), or the zero Addr.
func clientAddr(ctx *fasthttp.RequestCtx) netip.Addr {
	if a, ok := ctx.RemoteAddr().(*net.TCPAddr); ok {
		return a.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// bodyBytes is how many body bytes the response sends: none for HEAD, the
// Content-Length of a streamed file (reading Body would drain the stream).
func bodyBytes(ctx *fasthttp.RequestCtx) int64 {
	if ctx.Request.Header.IsHead() {
		return 0
	}
	r := &ctx.Response
	if r.IsBodyStream() {
		return int64(max(r.Header.ContentLength(), 0))
	}
	return int64(len(r.Body()))
}
