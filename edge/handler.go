package edge

import (
	"time"

	"github.com/valyala/fasthttp"

	"corsedge/assets"
	"corsedge/rules"
)

const maxRequestBody = 1 << 10 // assets take no bodies; fasthttp answers 413 past this

// Header names and values written on every response, as bytes made once so
// fasthttp can take them without normalising (SetCanonical).
var (
	keyAllow       = []byte("Allow")
	keyVary        = []byte("Vary")
	allowedMethods = []byte("GET, HEAD, OPTIONS")
	preflightVary  = []byte(rules.PreflightVary)
	varyOrigin     = []byte("Origin")
)

// invalidOrigin stands for an Origin no browser sends: several Origin lines.
// Only a "*" pattern matches it, and "*" answers never echo it.
var invalidOrigin = []byte("\x00several origins")

// handle answers one request. Per DESIGN.md "Responses": a preflight is an
// OPTIONS with Origin and Access-Control-Request-Method; GET and HEAD are
// actual requests for assets; any other OPTIONS gets 204 and Allow; any
// other method 405 and Allow. All but preflights carry the CORS headers of
// their origin. It allocates nothing when the decision is cached.
func (s *Server) handle(ctx *fasthttp.RequestCtx) {
	var e exit
	if s.timed {
		e.start = monotime()
	}
	s.respond(ctx, &e)
	s.finish(ctx, &e)
}

// exit is what a request was, for finish.
type exit struct {
	kind     requestKind
	decision decisionLabel
	rule     *rules.Rule   // the deciding rule; nil when none
	origin   []byte        // the request's Origin, as the decision read it
	start    time.Duration // monotime when handle began; 0 when not read (see Server.timed)
	err      error         // what kept an asset from being served, if anything
}

// respond writes the response to one request and records in e what it was.
func (s *Server) respond(ctx *fasthttp.RequestCtx, e *exit) {
	if s.acmeChallenge(ctx) {
		e.kind, e.decision = kindActual, decisionNone
		return
	}
	st := s.state.Load()
	var req corsRequest
	readCORSRequest(&ctx.Request.Header, &req)
	path := ctx.Path()
	origin := req.origin
	var d rules.Decision
	if p := st.table.Select(path); p != nil {
		d = st.cache.decide(p, origin)
	}
	e.origin, e.rule = origin, d.Rule()
	e.kind = kindMethodNotAllowed
	switch string(ctx.Request.Header.Method()) {
	case fasthttp.MethodGet, fasthttp.MethodHead:
		d.WriteActual(&ctx.Response.Header, origin)
		cacheControl, _ := st.table.CacheControl(path)
		e.kind, e.decision = kindActual, decisionOf(d, origin)
		e.err = s.cfg.Assets.Serve(ctx, path, assets.Hints{Vary: d.Vary(), CacheControl: cacheControl})
		return
	case fasthttp.MethodOptions:
		if origin != nil && req.hasMethod {
			e.kind, e.decision = kindPreflight, s.preflight(ctx, d, &req)
			return
		}
		e.kind = kindOptions
		ctx.SetStatusCode(fasthttp.StatusNoContent)
	default:
		ctx.SetStatusCode(fasthttp.StatusMethodNotAllowed)
	}
	ctx.Response.Header.SetCanonical(keyAllow, allowedMethods)
	writeCORS(&ctx.Response.Header, d, origin)
	e.decision = decisionOf(d, origin)
}

// writeCORS sets the CORS headers of an answer that carries no asset (so no
// Vary: Accept-Encoding to merge with).
func writeCORS(h *fasthttp.ResponseHeader, d rules.Decision, origin []byte) {
	d.WriteActual(h, origin)
	if d.Vary() != "" {
		h.SetCanonical(keyVary, varyOrigin)
	}
}

// finish is where every request ends, whether handle or handleError
// answered it: the response's status and body are final. It counts the
// request, its status, bytes and time, logs and counts what kept an asset
// from being served, and writes the access log line.
func (s *Server) finish(ctx *fasthttp.RequestCtx, e *exit) {
	if s.draining.Load() {
		// The load balancer is taking this server out: a client that kept
		// its connection comes back on a new one, to another server.
		ctx.SetConnectionClose()
	}
	s.metrics.countRequest(e.kind, e.decision)
	n := int64(0)
	if e.kind == kindActual || e.kind == kindBadRequest { // the others never carry a body
		n = bodyBytes(ctx)
	}
	var took time.Duration // one clock read serves the histogram and the access log
	if e.start != 0 {
		took = monotime() - e.start
	}
	s.metrics.countResponse(e.kind, ctx.Response.StatusCode(), n, took, e.start != 0)
	if e.err != nil && e.kind != kindBadRequest { // fasthttp logs its own read errors
		s.metrics.assetErrors.Inc()
		s.assetLog.Warn("asset not served", "path", string(ctx.Path()),
			"status", ctx.Response.StatusCode(), "error", e.err)
	}
	if s.cfg.AccessLog != nil {
		s.logAccess(ctx, e, took, n)
	}
}

// preflight answers a CORS preflight: 204 with the rule's headers when the
// origin, method and every requested header are allowed, else 403 with no
// CORS header at all (the browser then reports a CORS failure; 403 tells a
// person reading the network log why).
func (s *Server) preflight(ctx *fasthttp.RequestCtx, d rules.Decision, req *corsRequest) decisionLabel {
	ok := d.Preflight(req.method, req.headers[:req.headerLines]) == rules.Accepted
	ctx.Response.Header.SetCanonical(keyVary, preflightVary)
	if !ok {
		ctx.SetStatusCode(fasthttp.StatusForbidden)
		return decisionRefused
	}
	ctx.SetStatusCode(fasthttp.StatusNoContent)
	d.WritePreflight(&ctx.Response.Header, req.origin, req.privateNet)
	return decisionAllowed
}

// decisionOf labels an actual request's decision for the metrics.
func decisionOf(d rules.Decision, origin []byte) decisionLabel {
	switch {
	case len(origin) == 0:
		return decisionNone
	case d.Allowed():
		return decisionAllowed
	}
	return decisionRefused
}
