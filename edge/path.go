package edge

import "github.com/valyala/fasthttp"

// CleanPath returns the path the server matches and serves for raw, a
// request target as sent (percent-encoded, maybe with a query): fasthttp's
// own normalisation, the code that yields ctx.Path(), so that explain and
// the server can never disagree. It decodes escapes (%2f included; a bad one
// such as %zz stays as written), drops the query and fragment, collapses
// "//" and removes dot segments (RFC 3986 §5.2.4).
func CleanPath(raw string) string {
	var u fasthttp.URI
	// With a Host, as every HTTP/1.1 request has (RFC 9112 §3.2), a target
	// starting "//" is a path; without one fasthttp reads it as an authority.
	u.Parse(placeholderHost, []byte(raw))
	return string(u.Path())
}

var placeholderHost = []byte("cdn.invalid")
