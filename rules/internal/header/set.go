package header

import (
	"strings"

	"corsedge/internal/httpsyntax"
)

// Bounds on one Access-Control-Request-Headers value. Browsers send the
// unsafe request headers of one request, lowercased and comma-joined; a value
// past these bounds is refused before any parsing, so a hostile list of
// thousands of commas costs microseconds (rs/cors CVE-2025-47908).
const (
	MaxListLen    = 4096            // bytes in one field value
	MaxElements   = 64              // list elements, empty ones included
	MaxNameLen    = 128             // bytes in one header name
	authorization = "authorization" // never covered by "*" (Fetch standard, CORS-preflight fetch)
)

// Set is an immutable set of allowed request header names, matched
// case-insensitively. The zero Set allows no header.
type Set struct {
	names map[string]struct{} // lowercase names
	any   bool                // "*": every name but authorization
	auth  bool                // authorization listed explicitly
}

// NewSet compiles a list of header names, each already checked to be a token
// or "*". Names are case-insensitive (RFC 9110 §5.1).
func NewSet(names []string) Set {
	s := Set{names: make(map[string]struct{}, len(names))}
	for _, n := range names {
		if n == "*" {
			s.any = true
			continue
		}
		n = strings.ToLower(n)
		s.names[n] = struct{}{}
		if n == authorization {
			s.auth = true
		}
	}
	return s
}

// Allows reports whether every name in one Access-Control-Request-Headers
// field value is allowed. The list syntax is RFC 9110 §5.6.1: elements are
// separated by commas with optional spaces or tabs, and empty elements are
// ignored. A name that is not a token, or a value past the bounds, is refused.
// Per the Fetch standard, "*" never covers Authorization.
func (s Set) Allows(list []byte) bool {
	if len(list) > MaxListLen {
		return false
	}
	elements := 0
	for len(list) > 0 {
		if elements++; elements > MaxElements {
			return false
		}
		var name []byte
		name, list = nextElement(list)
		if len(name) == 0 {
			continue
		}
		if !s.allowsName(name) {
			return false
		}
	}
	return true
}

// allowsName reports whether the single header name is in the set.
func (s Set) allowsName(name []byte) bool {
	if len(name) > MaxNameLen || !httpsyntax.IsToken(name) {
		return false
	}
	if httpsyntax.EqualFold(name, authorization) {
		return s.auth
	}
	if s.any {
		return true
	}
	if _, ok := s.names[string(name)]; ok { // browsers send lowercase names
		return true
	}
	var buf [MaxNameLen]byte
	for i, c := range name {
		buf[i] = httpsyntax.Lower(c)
	}
	_, ok := s.names[string(buf[:len(name)])]
	return ok
}

// nextElement splits off the first comma-separated element of list, with
// surrounding spaces and tabs removed.
func nextElement(list []byte) (elem, rest []byte) {
	elem, rest = httpsyntax.Cut(list, ',')
	return httpsyntax.TrimOWS(elem), rest
}
