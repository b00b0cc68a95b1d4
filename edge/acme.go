package edge

import (
	"bytes"
	"fmt"
	"io"

	vm "github.com/VictoriaMetrics/metrics"
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
	for op := range acme.Operation(len(acme.OperationNames)) {
		ok, failed := s.cfg.ACME.Orders(op)
		name := fmt.Sprintf(`corsedge_acme_orders_total{operation=%q,result=`, acme.OperationNames[op])
		vm.WriteCounterUint64(w, name+`"success"}`, ok)
		vm.WriteCounterUint64(w, name+`"failure"}`, failed)
	}
}
