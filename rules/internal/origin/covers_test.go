package origin

import "strings"

// Covers reports whether every origin q matches is also matched by p; it
// answers false when unsure. The tests use it as an oracle for Lookup.
func (p Pattern) Covers(q Pattern) bool {
	switch p.kind {
	case Any:
		return true
	case Null:
		return q.kind == Null
	}
	if q.kind != Exact && q.kind != Wildcard || p.scheme == "" || p.scheme != q.scheme {
		return false
	}
	if !p.anyPort && (q.anyPort || p.port != q.port) {
		return false
	}
	switch p.kind {
	case Exact:
		return q.kind == Exact && p.host == q.host
	case Wildcard:
		// q's hosts must lie strictly under p's suffix: p never matches
		// its apex, and a wildcard q with the same suffix matches the same.
		return q.kind == Wildcard && q.host == p.host || strings.HasSuffix(q.host, "."+p.host)
	}
	return false
}
