package edge

import (
	"github.com/valyala/fasthttp"

	"corsedge/rules"
)

// corsRequest is what a request's header says about CORS, collected in one
// pass over the header lines. Its slices point into the request and are
// valid only until the handler returns.
type corsRequest struct {
	origin      []byte                           // nil without Origin; invalidOrigin with several
	method      []byte                           // Access-Control-Request-Method
	hasMethod   bool                             // the header is present, even empty
	headers     [rules.MaxHeaderLines + 1][]byte // one more than allowed, so rules sees the overflow
	headerLines int                              // Access-Control-Request-Headers lines kept in headers
	privateNet  bool                             // Access-Control-Request-Private-Network: true
}

// readCORSRequest collects the CORS request headers. One walk over the
// parsed header lines costs less than a Peek per name, each of which
// normalises its key and scans the lines again.
func readCORSRequest(h *fasthttp.RequestHeader, r *corsRequest) {
	*r = corsRequest{}
	origins := 0
	for k, v := range h.All() {
		switch string(k) {
		case "Origin":
			if origins++; origins == 1 {
				r.origin = v
			} else {
				r.origin = invalidOrigin // RFC 6454 §7.2 allows one Origin
			}
		case "Access-Control-Request-Method":
			r.method, r.hasMethod = v, true
		case "Access-Control-Request-Headers":
			if r.headerLines < len(r.headers) {
				r.headers[r.headerLines] = v
				r.headerLines++
			}
		case "Access-Control-Request-Private-Network":
			r.privateNet = string(v) == "true"
		}
	}
	if len(r.origin) == 0 {
		r.origin = nil // an empty Origin is no Origin
	}
}
