package origin

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// maxHostLen bounds a DNS name in presentation form without the root dot
// (RFC 1035 §2.3.4 allows 255 octets on the wire, 253 characters here).
const maxHostLen = 253

// text is what the host and port helpers accept, so that patterns (strings)
// and request headers ([]byte) share one implementation without copying.
type text interface{ ~string | ~[]byte }

// splitHostPort splits an authority "host[:port]"; an IPv6 host keeps its
// brackets. Anything after "]" other than ":port" stays in host, so that
// host validation rejects it.
func splitHostPort[T text](a T) (host, port T, hasPort bool) {
	end := 0
	if len(a) > 0 && a[0] == '[' {
		for end < len(a) && a[end] != ']' {
			end++
		}
		if end < len(a) {
			end++ // keep the ']'
		}
	} else {
		for end < len(a) && a[end] != ':' {
			end++
		}
	}
	if end == len(a) || a[end] != ':' {
		return a, a[:0], false
	}
	return a[:end], a[end+1:], true
}

// parsePort reads a port as the URL standard serializes it: decimal digits,
// no leading zero, 1 to 65535. It returns why not otherwise.
func parsePort[T text](p T) (uint16, string) {
	if len(p) == 0 {
		return 0, "empty port"
	}
	n := 0
	for i := range len(p) {
		if p[i] < '0' || p[i] > '9' {
			return 0, "port must be decimal digits or *"
		}
		if n = n*10 + int(p[i]-'0'); n > 65535 {
			return 0, "port out of range 1-65535"
		}
	}
	switch {
	case n == 0:
		return 0, "port 0 is not allowed"
	case p[0] == '0':
		return 0, "port has a leading zero (browsers never send one)"
	}
	return uint16(n), ""
}

// checkHostname returns why h is not a DNS name in the form browsers
// serialize it, or "": lowercase letters, digits and hyphens in labels of 1
// to 63 bytes that neither start nor end with '-' (RFC 1123 §2.1, RFC 5890
// A-labels for IDNs), no empty label and no trailing dot. '_' is refused too:
// no host that a CA will certify for https contains one.
func checkHostname[T text](h T) string {
	if len(h) == 0 {
		return "empty host"
	}
	if len(h) > maxHostLen {
		return "host longer than 253 bytes"
	}
	if h[len(h)-1] == '.' {
		return "trailing dot in host (browsers keep it, so it would never match)"
	}
	start := 0
	for i := 0; i <= len(h); i++ {
		if i < len(h) && h[i] != '.' {
			if c := h[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return "host may contain only a-z, 0-9, '-' and '.'"
			}
			continue
		}
		switch label := h[start:i]; {
		case len(label) == 0:
			return "empty label in host"
		case len(label) > 63:
			return "label longer than 63 bytes"
		case label[0] == '-' || label[len(label)-1] == '-':
			return "label starts or ends with '-'"
		}
		start = i + 1
	}
	return ""
}

// endsInNumber is the URL standard's "ends in a number checker": a host
// whose last label is decimal or 0x-hex is parsed as IPv4, so browsers never
// send it as a DNS name. h has no trailing dot and no uppercase.
func endsInNumber(h string) bool {
	last := h[strings.LastIndexByte(h, '.')+1:]
	if hex, ok := strings.CutPrefix(last, "0x"); ok {
		return strings.Trim(hex, "0123456789abcdef") == ""
	}
	return last != "" && strings.Trim(last, "0123456789") == ""
}

// checkIPv4 accepts only the dotted-decimal form the URL standard's IPv4
// serializer produces (four parts 0-255, no leading zeros).
func checkIPv4(h string) string {
	const reason = "invalid IPv4 address (want dotted decimal a.b.c.d, 0-255, no leading zeros)"
	parts := strings.Split(h, ".")
	if len(parts) != 4 {
		return reason
	}
	for _, part := range parts {
		n, err := strconv.Atoi(part)
		if err != nil || n > 255 || part != strconv.Itoa(n) { // also refuses "+1", "01"
			return reason
		}
	}
	return ""
}

// checkIPv6 accepts a bracketed IPv6 address only in the form the URL
// standard's IPv6 serializer produces: lowercase hex without leading zeros,
// the first longest run of two or more zero pieces as "::", no zone.
func checkIPv6(h string) string {
	inner, opened := strings.CutPrefix(h, "[")
	inner, closed := strings.CutSuffix(inner, "]")
	if !opened || !closed {
		return "malformed IPv6 literal (want [address])"
	}
	a, err := netip.ParseAddr(inner)
	if err != nil || !a.Is6() || a.Zone() != "" {
		return "invalid IPv6 address"
	}
	want := a.String() // RFC 5952, which the URL standard agrees with...
	if a.Is4In6() {    // ...except that it never writes a dotted quad
		b := a.As16()
		want = fmt.Sprintf("::ffff:%x:%x", uint16(b[12])<<8|uint16(b[13]), uint16(b[14])<<8|uint16(b[15]))
	}
	if inner != want {
		return "IPv6 address not in the form browsers send (want [" + want + "])"
	}
	return ""
}
