package origin

import (
	"strconv"
	"strings"
)

// Kind says which form of origin pattern a Pattern is.
type Kind uint8

const (
	Exact    Kind = iota // https://a.com, https://a.com:8443, http://localhost:* (one host)
	Wildcard             // https://*.example.com: one or more labels before example.com, never the apex
	Any                  // *: every Origin, null and malformed ones included
	Null                 // null: the opaque origin, as an explicit entry only
)

// Pattern is one validated, normalised entry of a rule's origins list.
// Patterns are comparable: equal patterns match the same origins.
type Pattern struct {
	scheme  string // "http" or "https"; "" for Any and Null
	host    string // as browsers serialize it; for Wildcard the suffix after "*."
	port    uint16 // 0 when the scheme's default port (RFC 6454 §6.1 omits it)
	kind    Kind   // after the strings, so that a Pattern packs into 40 bytes
	anyPort bool   // ":*"; then port is 0
}

// PatternError says why a pattern is invalid.
type PatternError struct {
	Pattern string // as written
	Reason  string
}

func (e *PatternError) Error() string {
	return "origin " + strconv.Quote(e.Pattern) + ": " + e.Reason
}

// ParsePattern validates s and returns it in normalised form: `*`, `null`,
// `scheme://host[:port]`, `scheme://*.suffix[:port]`, with `:*` for any port.
func ParsePattern(s string) (Pattern, error) {
	var p Pattern
	reason := ""
	switch {
	case s == "":
		reason = "empty pattern"
	case s == "*":
		p.kind = Any
	case s == "null":
		p.kind = Null
	case strings.EqualFold(s, "null"):
		reason = `"null" must be lowercase`
	default:
		p, reason = parseSchemeHostPort(s)
	}
	if reason != "" {
		return Pattern{}, &PatternError{Pattern: s, Reason: reason}
	}
	return p, nil
}

// parseSchemeHostPort parses the tuple form of a serialized origin (RFC 6454
// §6.1; Fetch "serialization of an origin"), which has no path, query,
// fragment or userinfo, so any of those is an error rather than ignored.
func parseSchemeHostPort(s string) (Pattern, string) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return Pattern{}, `want "*", "null" or scheme://host[:port]`
	}
	if reason := checkScheme(scheme); reason != "" {
		return Pattern{}, reason
	}
	p := Pattern{kind: Exact, scheme: scheme}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		return Pattern{}, authorityEndReason(rest, i)
	}
	if strings.Contains(rest, "@") {
		return Pattern{}, "userinfo (@) not allowed in an origin"
	}
	host, port, hasPort := splitHostPort(rest)
	if reason := p.parseHost(host); reason != "" {
		return Pattern{}, reason
	}
	if hasPort {
		if reason := p.parsePort(port); reason != "" {
			return Pattern{}, reason
		}
	}
	return p, ""
}

func checkScheme(scheme string) string {
	switch {
	case scheme == "http" || scheme == "https":
		return ""
	case strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https"):
		return "scheme must be lowercase"
	case scheme == "":
		return "empty scheme"
	}
	return "unknown scheme " + strconv.Quote(scheme) + " (want http or https)"
}

// authorityEndReason explains the character at rest[i] that ends the
// authority: origins never carry anything after host[:port].
func authorityEndReason(rest string, i int) string {
	switch {
	case rest[i] == '?':
		return "query not allowed in an origin"
	case rest[i] == '#':
		return "fragment not allowed in an origin"
	case i == len(rest)-1:
		return "trailing slash not allowed (an origin has no path)"
	}
	return "path not allowed in an origin"
}

// parseHost validates host (ASCII, lowercase, as browsers serialize it) and
// stores it, recording a leading "*." label as a Wildcard.
func (p *Pattern) parseHost(host string) string {
	if host == "" {
		return "empty host"
	}
	if len(host) > maxHostLen {
		return "host longer than 253 bytes"
	}
	for i := range len(host) {
		if host[i] >= 0x80 {
			return "host must be ASCII (punycode)"
		}
	}
	if strings.ContainsFunc(host, func(r rune) bool { return 'A' <= r && r <= 'Z' }) {
		return "host must be lowercase"
	}
	p.host = host
	if host[0] == '[' {
		return checkIPv6(host)
	}
	if suffix, ok := strings.CutPrefix(host, "*."); ok {
		p.kind, p.host = Wildcard, suffix
	}
	if strings.Contains(p.host, "*") {
		return `"*" is allowed only as the whole first label, as in *.example.com`
	}
	if reason := checkHostname(p.host); reason != "" {
		return reason
	}
	if !endsInNumber(p.host) {
		return ""
	}
	if p.kind == Wildcard {
		return "wildcard over an IP address"
	}
	return checkIPv4(p.host)
}

// parsePort stores a port given as ":port", normalising the scheme's
// default port away, since browsers never send it (RFC 6454 §6.1).
func (p *Pattern) parsePort(port string) string {
	if port == "*" {
		p.anyPort = true
		return ""
	}
	n, reason := parsePort(port)
	if reason != "" {
		return reason
	}
	if id, _ := schemeID(p.scheme); n != defaultPorts[id] {
		p.port = n
	}
	return ""
}

// String returns the pattern in normalised form (default port dropped).
func (p Pattern) String() string {
	switch p.kind {
	case Any:
		return "*"
	case Null:
		return "null"
	}
	s := p.scheme + "://"
	if p.kind == Wildcard {
		s += "*."
	}
	s += p.hostPort()
	if p.anyPort {
		s += ":*"
	}
	return s
}

// hostPort is the host (or wildcard suffix) and explicit port as serialized.
func (p Pattern) hostPort() string {
	if p.port == 0 {
		return p.host
	}
	return p.host + ":" + strconv.Itoa(int(p.port))
}

// Kind returns the form of the pattern.
func (p Pattern) Kind() Kind { return p.kind }

// Scheme returns "http" or "https", or "" for Any and Null.
func (p Pattern) Scheme() string { return p.scheme }

// Suffix returns what a Wildcard pattern's "*." stands before, such as
// "example.com" for "https://*.example.com:*", or "" for other kinds.
func (p Pattern) Suffix() string {
	if p.kind != Wildcard {
		return ""
	}
	return p.host
}

// AnyPort reports whether the pattern ends in ":*".
func (p Pattern) AnyPort() bool { return p.anyPort }

// Loopback reports whether p is an Exact pattern for localhost, an address
// in 127.0.0.0/8, or [::1]: hosts that only the client's own machine serves,
// so that http:// is no weaker than https:// for them.
func (p Pattern) Loopback() bool {
	if p.kind != Exact {
		return false
	}
	return p.host == "localhost" || p.host == "[::1]" ||
		strings.HasPrefix(p.host, "127.") && endsInNumber(p.host)
}
