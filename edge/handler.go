package edge

import (
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
	st := s.state.Load()
	var req corsRequest
	readCORSRequest(&ctx.Request.Header, &req)
	path := ctx.Path()
	origin := req.origin
	var d rules.Decision
	if p := st.table.Select(path); p != nil {
		d = st.cache.decide(p, origin)
	}
	switch string(ctx.Request.Header.Method()) {
	case fasthttp.MethodGet, fasthttp.MethodHead:
		s.metrics.countRequest(kindActual, decisionOf(d, origin))
		d.WriteActual(&ctx.Response.Header, origin)
		cacheControl, _ := st.table.CacheControl(path)
		_ = s.cfg.Assets.Serve(ctx, path, assets.Hints{Vary: d.Vary(), CacheControl: cacheControl})
		return
	case fasthttp.MethodOptions:
		if origin != nil && req.hasMethod {
			s.preflight(ctx, d, &req)
			return
		}
		s.metrics.countRequest(kindOptions, decisionOf(d, origin))
		ctx.SetStatusCode(fasthttp.StatusNoContent)
	default:
		s.metrics.countRequest(kindMethodNotAllowed, decisionOf(d, origin))
		ctx.SetStatusCode(fasthttp.StatusMethodNotAllowed)
	}
	ctx.Response.Header.SetCanonical(keyAllow, allowedMethods)
	d.WriteActual(&ctx.Response.Header, origin)
	if d.Vary() != "" {
		ctx.Response.Header.SetCanonical(keyVary, varyOrigin)
	}
}

// preflight answers a CORS preflight: 204 with the rule's headers when the
// origin, method and every requested header are allowed, else 403 with no
// CORS header at all (the browser then reports a CORS failure; 403 tells a
// person reading the network log why).
func (s *Server) preflight(ctx *fasthttp.RequestCtx, d rules.Decision, req *corsRequest) {
	ok := d.Preflight(req.method, req.headers[:req.headerLines]) == rules.Accepted
	ctx.Response.Header.SetCanonical(keyVary, preflightVary)
	if !ok {
		s.metrics.countRequest(kindPreflight, decisionRefused)
		ctx.SetStatusCode(fasthttp.StatusForbidden)
		return
	}
	s.metrics.countRequest(kindPreflight, decisionAllowed)
	ctx.SetStatusCode(fasthttp.StatusNoContent)
	d.WritePreflight(&ctx.Response.Header, req.origin, req.privateNet)
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
