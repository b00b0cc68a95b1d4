package edge

import (
	"bytes"
	"fmt"
	"io"

	"github.com/valyala/fasthttp"

	"corsedge/acme"
)

var acmeChallengePrefix = []byte(acme.ChallengePrefix)

// acmeChallenge answers an HTTP-01 validation on the plain listener, before
// any rule or asset is looked at (RFC 8555 §8.3: the CA fetches
// http://NAME/.well-known/acme-challenge/TOKEN on port 80). It reports
// whether the request was one; over HTTPS the path is an ordinary one.
func (s *Server) acmeChallenge(ctx *fasthttp.RequestCtx) bool {
	if s.cfg.ACME == nil || ctx.IsTLS() || !bytes.HasPrefix(ctx.Path(), acmeChallengePrefix) {
		return false
	}
	s.cfg.ACME.ServeHTTPChallenge(ctx)
	return true
}

// writeACMEMetrics writes the ACME order counters, when ACME is on. The
// certificates' expiry is in corsedge_tls_certificate_expiry_timestamp_seconds.
func (s *Server) writeACMEMetrics(w io.Writer) {
	if s.cfg.ACME == nil {
		return
	}
	fmt.Fprintln(w, "# HELP corsedge_acme_orders_total ACME certificate orders, by operation (obtain: a name's first certificate; renew) and result. A failed renewal keeps the current certificate and is retried with back-off.")
	fmt.Fprintln(w, "# TYPE corsedge_acme_orders_total counter")
	for op := range acme.Operation(len(acme.OperationNames)) {
		ok, failed := s.cfg.ACME.Orders(op)
		fmt.Fprintf(w, "corsedge_acme_orders_total{operation=%q,result=\"success\"} %d\n", acme.OperationNames[op], ok)
		fmt.Fprintf(w, "corsedge_acme_orders_total{operation=%q,result=\"failure\"} %d\n", acme.OperationNames[op], failed)
	}
}
