package assets

import (
	"github.com/valyala/fasthttp"

	"corsedge/internal/httpsyntax"
)

var fieldVary = []byte(fasthttp.HeaderVary)

// setVary writes one Vary line (RFC 9110 §12.5.5) holding the field names
// already on the response, then the caller's, then Accept-Encoding when the
// response depends on it, each once: DESIGN.md promises at most one Vary line.
func setVary(resp *fasthttp.ResponseHeader, hint string, acceptEncoding bool) {
	var buf [128]byte
	v := appendVary(buf[:0], resp.Peek(fasthttp.HeaderVary))
	v = appendVary(v, hint)
	if acceptEncoding {
		v = appendVary(v, fasthttp.HeaderAcceptEncoding)
	}
	if len(v) > 0 {
		resp.SetCanonical(fieldVary, v)
	}
}

// appendVary appends to the comma-separated list dst each field name of list
// that dst does not hold yet; field names compare case-insensitively.
func appendVary[T string | []byte](dst []byte, list T) []byte {
	for len(list) > 0 {
		var name T
		name, list = httpsyntax.Cut(list, ',')
		if name = httpsyntax.TrimOWS(name); len(name) == 0 || hasFieldName(dst, name) {
			continue
		}
		if len(dst) > 0 {
			dst = append(dst, ", "...)
		}
		dst = append(dst, name...)
	}
	return dst
}

// hasFieldName reports whether the comma-separated list holds name.
func hasFieldName[T string | []byte](list []byte, name T) bool {
	for len(list) > 0 {
		var elem []byte
		elem, list = httpsyntax.Cut(list, ',')
		if httpsyntax.EqualFold(httpsyntax.TrimOWS(elem), name) {
			return true
		}
	}
	return false
}
