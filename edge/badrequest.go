package edge

import (
	"errors"
	"net"

	"github.com/valyala/fasthttp"

	"corsedge/rules"
)

// handleError answers a request fasthttp could not read (its ErrorHandler)
// with the status the error calls for and, where fasthttp read the request
// line and header, the CORS headers and Vary of any actual response for
// that path and Origin, so that a browser can show the status instead of
// an opaque CORS failure (Fetch standard §4.9, "CORS check").
func (s *Server) handleError(ctx *fasthttp.RequestCtx, err error) {
	status := errorStatus(err)
	ctx.Error(fasthttp.StatusMessage(status), status)
	d, origin := s.errorDecision(ctx)
	writeCORS(&ctx.Response.Header, d, origin)
	s.finish(ctx, kindBadRequest, decisionOf(d, origin), 0, err)
}

// errorStatus maps fasthttp's read errors to their RFC 9110 status.
func errorStatus(err error) int {
	var small *fasthttp.ErrSmallBuffer
	var netErr net.Error
	switch {
	case errors.As(err, &small): // the head is over ReadBufferSize
		return fasthttp.StatusRequestHeaderFieldsTooLarge // RFC 6585 §5
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return fasthttp.StatusRequestEntityTooLarge // RFC 9110 §15.5.14; fasthttp's default says 400
	case errors.As(err, &netErr) && netErr.Timeout():
		return fasthttp.StatusRequestTimeout
	}
	return fasthttp.StatusBadRequest
}

// errorDecision decides for a request fasthttp failed to read, when it kept
// enough for a decision. Only a Content-Length over MaxRequestBodySize is
// refused with the head intact (Request.ContinueReadBody checks it before
// reading). Every other read error leaves a reset request: a head error
// (431, bad request line or field, timeout) in RequestHeader.Read, a body
// error (chunked over the limit, broken chunks, short body) in
// Request.ReadBody. A reset header has Content-Length 0, and so has no
// path or Origin here: a zero Decision, no CORS. The URI must parse too, or
// fasthttp failed on the URI itself.
func (s *Server) errorDecision(ctx *fasthttp.RequestCtx) (rules.Decision, []byte) {
	h := &ctx.Request.Header
	if h.ContentLength() <= 0 {
		return rules.Decision{}, nil
	}
	u := fasthttp.AcquireURI()
	defer fasthttp.ReleaseURI(u)
	if u.Parse(h.Host(), h.RequestURI()) != nil {
		return rules.Decision{}, nil
	}
	var req corsRequest
	readCORSRequest(h, &req)
	st := s.state.Load()
	p := st.table.Select(u.Path())
	if p == nil {
		return rules.Decision{}, req.origin
	}
	return st.cache.decide(p, req.origin), req.origin
}
