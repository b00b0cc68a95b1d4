package rules

import "corsedge/rules/internal/origin"

// A Decision is what the table decides for one Origin and path prefix: the
// rule that allows the origin, or none. It is a small value, safe to cache
// and to share between goroutines: it holds no request bytes.
type Decision struct {
	prefix *Prefix // nil: no prefix covers the path, no CORS at all
	rule   *Rule   // nil: the origin is not allowed
}

// Response header names, in the canonical case fasthttp and browsers use.
const (
	HeaderAllowOrigin         = "Access-Control-Allow-Origin"
	HeaderAllowCredentials    = "Access-Control-Allow-Credentials"
	HeaderAllowMethods        = "Access-Control-Allow-Methods"
	HeaderAllowHeaders        = "Access-Control-Allow-Headers"
	HeaderMaxAge              = "Access-Control-Max-Age"
	HeaderExposeHeaders       = "Access-Control-Expose-Headers"
	HeaderAllowPrivateNetwork = "Access-Control-Allow-Private-Network"
	HeaderTimingAllowOrigin   = "Timing-Allow-Origin"
	HeaderCORP                = "Cross-Origin-Resource-Policy"
)

// PreflightVary is the Vary value of every preflight answer, allowed or
// refused: each of these request headers changes it.
const PreflightVary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"

// HeaderSetter is the part of a response header a Decision writes;
// *fasthttp.ResponseHeader implements it. Keys come in canonical case, so
// the setter need not normalise them, and values are shared, read-only
// bytes: a setter copies them and never writes to them.
type HeaderSetter interface {
	SetCanonical(key, value []byte)
}

// The header names and fixed values as bytes, made once.
var (
	keyAllowOrigin         = []byte(HeaderAllowOrigin)
	keyAllowCredentials    = []byte(HeaderAllowCredentials)
	keyAllowMethods        = []byte(HeaderAllowMethods)
	keyAllowHeaders        = []byte(HeaderAllowHeaders)
	keyMaxAge              = []byte(HeaderMaxAge)
	keyExposeHeaders       = []byte(HeaderExposeHeaders)
	keyAllowPrivateNetwork = []byte(HeaderAllowPrivateNetwork)
	keyTimingAllowOrigin   = []byte(HeaderTimingAllowOrigin)
	keyCORP                = []byte(HeaderCORP)
	valueTrue              = []byte("true")
	valueAny               = []byte("*")
)

// Refusal says why a preflight is refused, or Accepted.
type Refusal uint8

const (
	Accepted           Refusal = iota
	RefusedPath                // no rule covers the path
	RefusedOrigin              // no candidate rule lists the origin
	RefusedMethod              // Access-Control-Request-Method is not allowed
	RefusedHeaders             // a name in Access-Control-Request-Headers is not allowed
	RefusedHeaderLines         // more than MaxHeaderLines Access-Control-Request-Headers lines
)

// MaxOriginLen is the longest Origin a pattern other than "*" can match:
// longer ones are decided without a lookup, as if only "*" were listed, so
// a cache of decisions by origin need not keep them.
const MaxOriginLen = origin.MaxLen

// MaxHeaderLines is the most Access-Control-Request-Headers field lines a
// preflight may send. Browsers send one; more is a hand-made request, and
// refusing it bounds the work per preflight whatever the header block holds.
const MaxHeaderLines = 8

var refusalText = [...]string{
	Accepted:           "accepted",
	RefusedPath:        "no rule covers this path",
	RefusedOrigin:      "origin not allowed",
	RefusedMethod:      "method not allowed",
	RefusedHeaders:     "request header not allowed",
	RefusedHeaderLines: "too many Access-Control-Request-Headers lines",
}

func (r Refusal) String() string { return refusalText[r] }

// Allowed reports whether a rule allows the origin.
func (d Decision) Allowed() bool { return d.rule != nil }

// Rule returns the deciding rule, or nil.
func (d Decision) Rule() *Rule { return d.rule }

// Prefix returns the selected path prefix, or nil when no rule covers the path.
func (d Decision) Prefix() *Prefix { return d.prefix }

// Vary returns "Origin" when the answer for this path depends on the
// request's Origin, or "". Every response for such a path needs it, with or
// without an Origin, or a shared cache serves one origin's answer to another.
func (d Decision) Vary() string {
	if d.prefix != nil && d.prefix.varyOrigin {
		return "Origin"
	}
	return ""
}

// Preflight checks a preflight's Access-Control-Request-Method and every
// Access-Control-Request-Headers field line, combined as RFC 9110 §5.3 says;
// more than MaxHeaderLines lines are refused unread, and each line's list is
// refused after a bounded scan. Private network access never refuses: Chrome
// replaced those preflights with a permission prompt, so WritePreflight just
// omits the answer to them. Preflight does not allocate.
func (d Decision) Preflight(method []byte, headerLines [][]byte) Refusal {
	switch {
	case d.prefix == nil:
		return RefusedPath
	case d.rule == nil:
		return RefusedOrigin
	case !d.rule.allowsMethod(method):
		return RefusedMethod
	case len(headerLines) > MaxHeaderLines:
		return RefusedHeaderLines
	}
	for _, line := range headerLines {
		if !d.rule.headerSet.Allows(line) {
			return RefusedHeaders
		}
	}
	return Accepted
}

// WriteActual sets the CORS headers of a response to an actual (non-preflight)
// request with this Origin (nil when absent), whatever its status. It sets
// no Vary: the caller merges Vary() with its own values into one header.
func (d Decision) WriteActual(h HeaderSetter, origin []byte) {
	if d.prefix == nil {
		return
	}
	if corp := d.corp(); len(corp) > 0 {
		h.SetCanonical(keyCORP, corp)
	}
	r := d.rule
	if r == nil {
		return
	}
	d.writeAllowOrigin(h, origin)
	if len(r.exposeHeaders) > 0 {
		h.SetCanonical(keyExposeHeaders, r.exposeHeaders)
	}
}

// WritePreflight sets the headers of an accepted preflight (see Preflight);
// privateNetwork says whether it sent Access-Control-Request-Private-Network:
// true, answered only where the rule sets private_network (a legacy of
// Chrome's Private Network Access, which no browser enforces).
func (d Decision) WritePreflight(h HeaderSetter, origin []byte, privateNetwork bool) {
	r := d.rule
	if r == nil {
		return
	}
	d.writeAllowOrigin(h, origin)
	h.SetCanonical(keyAllowMethods, r.allowMethods)
	if len(r.allowHeaders) > 0 {
		h.SetCanonical(keyAllowHeaders, r.allowHeaders)
	}
	h.SetCanonical(keyMaxAge, r.maxAgeValue)
	if privateNetwork && r.privateNetwork {
		h.SetCanonical(keyAllowPrivateNetwork, valueTrue)
	}
}

// writeAllowOrigin sets ACAO, with ACAC and Timing-Allow-Origin as the rule
// says: "*" for a rule listing "*" (never one with credentials), else the
// request's own origin.
func (d Decision) writeAllowOrigin(h HeaderSetter, origin []byte) {
	r := d.rule
	if r.anyOrigin {
		origin = valueAny
	}
	h.SetCanonical(keyAllowOrigin, origin)
	if r.credentials {
		h.SetCanonical(keyAllowCredentials, valueTrue)
	}
	if r.timing {
		h.SetCanonical(keyTimingAllowOrigin, origin)
	}
}

// corp returns the Cross-Origin-Resource-Policy for this response: the
// deciding rule's, else the prefix's, so that it goes out whatever the origin.
func (d Decision) corp() []byte {
	if d.rule != nil && len(d.rule.corpValue) > 0 {
		return d.rule.corpValue
	}
	return d.prefix.corp
}
