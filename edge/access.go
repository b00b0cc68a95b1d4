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
// took is the handler's time, 0 when it was not read (handleError: fasthttp
// read the request before any handler ran); body is bodyBytes, as finish
// counted it.
func (s *Server) logAccess(ctx *fasthttp.RequestCtx, e *exit, took time.Duration, body int64) {
	al := s.cfg.AccessLog
	status := ctx.Response.StatusCode()
	if e.decision != decisionRefused && status < 500 && !al.Sampled() {
		return
	}
	h := &ctx.Request.Header
	entry := accesslog.Entry{
		Time:      time.Now().Add(-took),
		Duration:  took,
		Client:    clientAddr(ctx),
		Method:    h.Method(),
		Path:      ctx.Path(),
		Proto:     h.Protocol(),
		Status:    status,
		Bytes:     body,
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

// bodyBytes is how many body bytes the response sends: none for HEAD
// (RFC 9110 §9.3.2) and 304, the Content-Length of a streamed file (reading
// Body would drain the stream), else the body held.
func bodyBytes(ctx *fasthttp.RequestCtx) int64 {
	r := &ctx.Response
	switch {
	case ctx.Request.Header.IsHead(), r.StatusCode() == fasthttp.StatusNotModified:
		return 0
	case r.IsBodyStream():
		return int64(max(r.Header.ContentLength(), 0))
	}
	return int64(len(r.Body()))
}
