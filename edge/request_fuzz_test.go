package edge

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/valyala/fasthttp"
)

// FuzzReadCORSRequest parses raw request heads as fasthttp does and checks
// readCORSRequest against fasthttp's own lookups, then answers the request:
// no head panics, and Origin is read as RFC 6454 §7.2 says (one line, or
// an invalid origin).
func FuzzReadCORSRequest(f *testing.F) {
	for _, seed := range []string{
		"OPTIONS /js/app.js HTTP/1.1\r\nHost: cdn.test\r\nOrigin: https://a.example\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n\r\n",
		"GET /js/app.js HTTP/1.1\r\nHost: cdn.test\r\nOrigin: https://a.example\r\nOrigin: https://b.example\r\n\r\n",
		"GET /fonts/a.woff2 HTTP/1.1\r\nHost: cdn.test\r\norigin: \r\n\r\n",
		"OPTIONS /js/ HTTP/1.1\r\nHost: x\r\nOrigin: null\r\naccess-control-request-method:\r\n" +
			"Access-Control-Request-Headers: a\r\nAccess-Control-Request-Headers: b,,c\r\nAccess-Control-Request-Private-Network: true\r\n\r\n",
		"GET /%2e%2e/js/app.js HTTP/1.0\r\nOrigin:https://a.example\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	s := newInternalServer(f)
	f.Fuzz(func(t *testing.T, head []byte) {
		var ctx fasthttp.RequestCtx
		h := &ctx.Request.Header
		if err := h.Read(bufio.NewReader(bytes.NewReader(head))); err != nil {
			return
		}
		var r corsRequest
		readCORSRequest(h, &r)
		switch origins := h.PeekAll("Origin"); {
		case len(origins) > 1:
			if !bytes.Equal(r.origin, invalidOrigin) {
				t.Errorf("%d Origin lines read as %q, want the invalid origin", len(origins), r.origin)
			}
		case len(origins) == 1 && len(origins[0]) > 0:
			if !bytes.Equal(r.origin, origins[0]) {
				t.Errorf("Origin %q read as %q", origins[0], r.origin)
			}
		default:
			if r.origin != nil {
				t.Errorf("no or an empty Origin read as %q, want nil", r.origin)
			}
		}
		methods := h.PeekAll("Access-Control-Request-Method")
		if r.hasMethod != (len(methods) > 0) {
			t.Errorf("hasMethod = %v with %d Access-Control-Request-Method lines", r.hasMethod, len(methods))
		}
		s.handle(&ctx)
		if ctx.Response.StatusCode() == 0 {
			t.Error("no status")
		}
	})
}
