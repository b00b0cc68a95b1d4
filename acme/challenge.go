package acme

import (
	"net/http"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
)

// ChallengePrefix is where HTTP-01 validations ask (RFC 8555 §8.3).
const ChallengePrefix = "/.well-known/acme-challenge/"

// ServeHTTPChallenge answers an HTTP-01 validation request, from the
// challenges this process or a replica sharing Dir started; anything else
// under ChallengePrefix is a 404. Such requests are rare: the adaptor's
// allocations do not matter.
func (m *Manager) ServeHTTPChallenge(ctx *fasthttp.RequestCtx) {
	m.httpChallenge(ctx)
}

// newHTTPChallenge adapts certmagic's net/http challenge handler once.
func (m *Manager) newHTTPChallenge() fasthttp.RequestHandler {
	return fasthttpadaptor.NewFastHTTPHandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !m.issuer.HandleHTTPChallenge(w, r) {
			http.NotFound(w, r)
		}
	})
}
