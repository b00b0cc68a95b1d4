package origin_test

import (
	"errors"
	"strings"
	"testing"

	"corsedge/rules/internal/origin"
)

// validPatterns are accepted by ParsePattern; want is String() afterwards.
var validPatterns = []struct {
	desc     string
	in, want string
	kind     origin.Kind
	anyPort  bool
	loopback bool
}{
	{desc: "any", in: "*", want: "*", kind: origin.Any},
	{desc: "null", in: "null", want: "null", kind: origin.Null},
	{desc: "https host", in: "https://a.com", want: "https://a.com"},
	{desc: "http host", in: "http://a.com", want: "http://a.com"},
	{desc: "explicit port", in: "https://a.com:8443", want: "https://a.com:8443"},
	{desc: "https default port dropped", in: "https://a.com:443", want: "https://a.com"},
	{desc: "http default port dropped", in: "http://a.com:80", want: "http://a.com"},
	{desc: "other scheme's default port kept", in: "http://a.com:443", want: "http://a.com:443"},
	{desc: "max port", in: "https://a.com:65535", want: "https://a.com:65535"},
	{desc: "port 1", in: "https://a.com:1", want: "https://a.com:1"},
	{desc: "any port", in: "http://localhost:*", want: "http://localhost:*", anyPort: true, loopback: true},
	{desc: "localhost", in: "http://localhost", want: "http://localhost", loopback: true},
	{desc: "localhost port", in: "http://localhost:3000", want: "http://localhost:3000", loopback: true},
	{desc: "loopback ipv4", in: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080", loopback: true},
	{desc: "loopback ipv4 other", in: "http://127.1.2.3", want: "http://127.1.2.3", loopback: true},
	{desc: "ipv4", in: "https://10.0.0.1", want: "https://10.0.0.1"},
	{desc: "ipv4 zeros", in: "http://0.0.0.0", want: "http://0.0.0.0"},
	{desc: "ipv4 max", in: "http://255.255.255.255", want: "http://255.255.255.255"},
	{desc: "ipv6 loopback", in: "http://[::1]", want: "http://[::1]", loopback: true},
	{desc: "ipv6 loopback any port", in: "http://[::1]:*", want: "http://[::1]:*", anyPort: true, loopback: true},
	{desc: "ipv6 port", in: "https://[2001:db8::1]:8443", want: "https://[2001:db8::1]:8443"},
	{desc: "ipv6 default port dropped", in: "https://[2001:db8::1]:443", want: "https://[2001:db8::1]"},
	{desc: "ipv4-mapped ipv6 as browsers write it", in: "http://[::ffff:102:304]", want: "http://[::ffff:102:304]"},
	{desc: "punycode", in: "https://xn--bcher-kva.example", want: "https://xn--bcher-kva.example"},
	{desc: "digits and hyphens", in: "https://a-1.0day.example.com", want: "https://a-1.0day.example.com"},
	{desc: "numeric label not last", in: "https://123.example.com", want: "https://123.example.com"},
	{desc: "single label", in: "http://intranet", want: "http://intranet"},
	{desc: "63-byte label", in: "https://" + strings.Repeat("a", 63) + ".com", want: "https://" + strings.Repeat("a", 63) + ".com"},
	{desc: "253-byte host", in: "https://" + longHost(253), want: "https://" + longHost(253)},
	{desc: "wildcard", in: "https://*.example.com", want: "https://*.example.com", kind: origin.Wildcard},
	{desc: "wildcard port", in: "https://*.example.com:8443", want: "https://*.example.com:8443", kind: origin.Wildcard},
	{desc: "wildcard default port dropped", in: "https://*.example.com:443", want: "https://*.example.com", kind: origin.Wildcard},
	{desc: "wildcard any port", in: "https://*.example.com:*", want: "https://*.example.com:*", kind: origin.Wildcard, anyPort: true},
	{desc: "wildcard localhost, not loopback", in: "http://*.localhost", want: "http://*.localhost", kind: origin.Wildcard},
	{desc: "wildcard over a TLD", in: "https://*.com", want: "https://*.com", kind: origin.Wildcard},
}

// invalidPatterns are refused; reason is a substring of the error's Reason.
var invalidPatterns = []struct {
	desc, in, reason string
}{
	{desc: "empty", in: "", reason: "empty pattern"},
	{desc: "uppercase null", in: "NULL", reason: `"null" must be lowercase`},
	{desc: "mixed-case null", in: "Null", reason: `"null" must be lowercase`},
	{desc: "no scheme", in: "a.com", reason: "scheme://host"},
	{desc: "empty scheme", in: "://a.com", reason: "empty scheme"},
	{desc: "scheme-relative", in: "//a.com", reason: "scheme://host"},
	{desc: "unknown scheme", in: "ftp://a.com", reason: "unknown scheme"},
	{desc: "file scheme", in: "file://a.com", reason: "unknown scheme"},
	{desc: "uppercase scheme", in: "HTTPS://a.com", reason: "scheme must be lowercase"},
	{desc: "one slash", in: "https:/a.com", reason: "scheme://host"},
	{desc: "empty host", in: "https://", reason: "empty host"},
	{desc: "empty host with port", in: "https://:443", reason: "empty host"},
	{desc: "trailing slash", in: "https://a.com/", reason: "trailing slash"},
	{desc: "path", in: "https://a.com/x", reason: "path not allowed"},
	{desc: "path after port", in: "https://a.com:8443/x", reason: "path not allowed"},
	{desc: "query", in: "https://a.com?x", reason: "query not allowed"},
	{desc: "fragment", in: "https://a.com#x", reason: "fragment not allowed"},
	{desc: "userinfo", in: "https://user@a.com", reason: "userinfo"},
	{desc: "userinfo with password", in: "https://u:p@a.com", reason: "userinfo"},
	{desc: "uppercase host", in: "https://A.com", reason: "host must be lowercase"},
	{desc: "uppercase wildcard suffix", in: "https://*.Example.com", reason: "host must be lowercase"},
	{desc: "non-ascii host", in: "https://bücher.example", reason: "host must be ASCII (punycode)"},
	{desc: "empty label", in: "https://a..com", reason: "empty label"},
	{desc: "leading dot", in: "https://.a.com", reason: "empty label"},
	{desc: "trailing dot", in: "https://example.com.", reason: "trailing dot"},
	{desc: "trailing dot wildcard", in: "https://*.example.com.", reason: "trailing dot"},
	{desc: "underscore", in: "https://a_b.com", reason: "only a-z, 0-9"},
	{desc: "space", in: "https://a .com", reason: "only a-z, 0-9"},
	{desc: "percent", in: "https://a%41.com", reason: "only a-z, 0-9"},
	{desc: "backslash", in: `https://a.com\x`, reason: "only a-z, 0-9"},
	{desc: "leading hyphen", in: "https://-a.com", reason: "starts or ends with '-'"},
	{desc: "trailing hyphen", in: "https://a-.com", reason: "starts or ends with '-'"},
	{desc: "64-byte label", in: "https://" + strings.Repeat("a", 64) + ".com", reason: "longer than 63"},
	{desc: "254-byte host", in: "https://" + longHost(254), reason: "longer than 253"},
	{desc: "wildcard without dot", in: "https://*example.com", reason: `"*" is allowed only`},
	{desc: "wildcard in middle", in: "https://a.*.com", reason: `"*" is allowed only`},
	{desc: "wildcard alone", in: "https://*", reason: `"*" is allowed only`},
	{desc: "wildcard with port only", in: "https://*:443", reason: `"*" is allowed only`},
	{desc: "double wildcard", in: "https://*.*.com", reason: `"*" is allowed only`},
	{desc: "wildcard in label", in: "https://a*.example.com", reason: `"*" is allowed only`},
	{desc: "wildcard empty suffix", in: "https://*.", reason: "empty host"},
	{desc: "wildcard scheme", in: "*://a.com", reason: "unknown scheme"},
	{desc: "wildcard over ipv4", in: "https://*.1.2.3.4", reason: "wildcard over an IP address"},
	{desc: "wildcard over numeric tld", in: "https://*.example.123", reason: "wildcard over an IP address"},
	{desc: "wildcard over ipv6", in: "https://*.[::1]", reason: "only a-z, 0-9"},
	{desc: "empty port", in: "https://a.com:", reason: "empty port"},
	{desc: "port letters", in: "https://a.com:abc", reason: "decimal digits"},
	{desc: "port sign", in: "https://a.com:+80", reason: "decimal digits"},
	{desc: "two ports", in: "https://a.com:80:80", reason: "decimal digits"},
	{desc: "port leading zero", in: "https://a.com:08443", reason: "leading zero"},
	{desc: "port 0", in: "https://a.com:0", reason: "port 0"},
	{desc: "port 00", in: "https://a.com:00", reason: "port 0"},
	{desc: "port 65536", in: "https://a.com:65536", reason: "out of range"},
	{desc: "port huge", in: "https://a.com:99999999999999999999", reason: "out of range"},
	{desc: "ipv4 leading zero", in: "http://127.0.0.01", reason: "invalid IPv4"},
	{desc: "ipv4 octet 256", in: "http://256.0.0.1", reason: "invalid IPv4"},
	{desc: "ipv4 three parts", in: "http://127.0.1", reason: "invalid IPv4"},
	{desc: "ipv4 five parts", in: "http://1.2.3.4.5", reason: "invalid IPv4"},
	{desc: "ipv4 one number", in: "http://2130706433", reason: "invalid IPv4"},
	{desc: "ipv4 hex", in: "http://0x7f.0.0.1", reason: "invalid IPv4"},
	{desc: "hex last label", in: "http://a.0x1f", reason: "invalid IPv4"},
	{desc: "numeric tld", in: "https://example.123", reason: "invalid IPv4"},
	{desc: "ipv6 unbracketed", in: "http://::1", reason: "empty host"},
	{desc: "ipv6 unterminated", in: "http://[::1", reason: "malformed IPv6"},
	{desc: "ipv6 junk after bracket", in: "http://[::1]x", reason: "malformed IPv6"},
	{desc: "ipv6 invalid", in: "http://[::g]", reason: "invalid IPv6"},
	{desc: "ipv6 holding ipv4", in: "http://[1.2.3.4]", reason: "invalid IPv6"},
	{desc: "ipv6 zone", in: "http://[fe80::1%25eth0]", reason: "invalid IPv6"},
	{desc: "ipv6 uppercase", in: "http://[::ABCD]", reason: "host must be lowercase"},
	{desc: "ipv6 not compressed", in: "http://[0:0:0:0:0:0:0:1]", reason: "want [::1]"},
	{desc: "ipv6 leading zeros", in: "http://[::0001]", reason: "want [::1]"},
	{desc: "ipv6 dotted ipv4-mapped", in: "http://[::ffff:1.2.3.4]", reason: "want [::ffff:102:304]"},
	{desc: "ipv6 empty", in: "http://[]", reason: "invalid IPv6"},
}

func TestParsePatternValid(t *testing.T) {
	for _, tc := range validPatterns {
		p, err := origin.ParsePattern(tc.in)
		if err != nil {
			t.Errorf("%s: ParsePattern(%q): %v", tc.desc, tc.in, err)
			continue
		}
		if got := p.String(); got != tc.want {
			t.Errorf("%s: String() = %q, want %q", tc.desc, got, tc.want)
		}
		if p.Kind() != tc.kind || p.AnyPort() != tc.anyPort || p.Loopback() != tc.loopback {
			t.Errorf("%s: kind, AnyPort, Loopback = %v, %v, %v; want %v, %v, %v", tc.desc,
				p.Kind(), p.AnyPort(), p.Loopback(), tc.kind, tc.anyPort, tc.loopback)
		}
		wantScheme, _, _ := strings.Cut(tc.want, "://")
		if tc.kind == origin.Any || tc.kind == origin.Null {
			wantScheme = ""
		}
		if p.Scheme() != wantScheme {
			t.Errorf("%s: Scheme() = %q, want %q", tc.desc, p.Scheme(), wantScheme)
		}
		if again, err := origin.ParsePattern(tc.want); err != nil || again != p {
			t.Errorf("%s: ParsePattern(String()) = %v, %v; want the same pattern", tc.desc, again, err)
		}
	}
}

func TestParsePatternInvalid(t *testing.T) {
	for _, tc := range invalidPatterns {
		p, err := origin.ParsePattern(tc.in)
		var perr *origin.PatternError
		if !errors.As(err, &perr) {
			t.Errorf("%s: ParsePattern(%q) = %v, %v; want a *PatternError", tc.desc, tc.in, p, err)
			continue
		}
		if perr.Pattern != tc.in || !strings.Contains(perr.Reason, tc.reason) {
			t.Errorf("%s: error %q; want pattern %q and a reason containing %q", tc.desc, err, tc.in, tc.reason)
		}
	}
}

func TestPatternErrorMessage(t *testing.T) {
	_, err := origin.ParsePattern("https://A.com")
	if want := `origin "https://A.com": host must be lowercase`; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func TestCovers(t *testing.T) {
	tests := []struct {
		desc, p, q string
		want       bool
	}{
		{desc: "any covers exact", p: "*", q: "https://a.com", want: true},
		{desc: "any covers null", p: "*", q: "null", want: true},
		{desc: "any covers any", p: "*", q: "*", want: true},
		{desc: "null covers null", p: "null", q: "null", want: true},
		{desc: "null does not cover exact", p: "null", q: "https://a.com"},
		{desc: "exact does not cover any", p: "https://a.com", q: "*"},
		{desc: "exact does not cover null", p: "https://a.com", q: "null"},
		{desc: "wildcard does not cover any", p: "https://*.a.com", q: "*"},
		{desc: "equal exact", p: "https://a.com", q: "https://a.com", want: true},
		{desc: "equal after default port", p: "https://a.com:443", q: "https://a.com", want: true},
		{desc: "other host", p: "https://a.com", q: "https://b.com"},
		{desc: "other scheme", p: "https://a.com", q: "http://a.com"},
		{desc: "other port", p: "https://a.com", q: "https://a.com:8443"},
		{desc: "exact does not cover any port", p: "http://localhost:3000", q: "http://localhost:*"},
		{desc: "any port covers port", p: "http://localhost:*", q: "http://localhost:3000", want: true},
		{desc: "any port covers default", p: "http://localhost:*", q: "http://localhost", want: true},
		{desc: "any port covers any port", p: "http://localhost:*", q: "http://localhost:*", want: true},
		{desc: "any port other host", p: "http://localhost:*", q: "http://127.0.0.1:3000"},
		{desc: "exact does not cover wildcard", p: "https://a.com", q: "https://*.a.com"},
		{desc: "wildcard covers subdomain", p: "https://*.example.com", q: "https://a.example.com", want: true},
		{desc: "wildcard covers deep subdomain", p: "https://*.example.com", q: "https://a.b.example.com", want: true},
		{desc: "wildcard not apex", p: "https://*.example.com", q: "https://example.com"},
		{desc: "wildcard not look-alike", p: "https://*.example.com", q: "https://evilexample.com"},
		{desc: "wildcard not suffix host", p: "https://*.example.com", q: "https://example.com.evil.net"},
		{desc: "wildcard other scheme", p: "https://*.example.com", q: "http://a.example.com"},
		{desc: "wildcard other port", p: "https://*.example.com", q: "https://a.example.com:8443"},
		{desc: "wildcard covers equal wildcard", p: "https://*.example.com", q: "https://*.example.com", want: true},
		{desc: "wildcard covers narrower wildcard", p: "https://*.example.com", q: "https://*.a.example.com", want: true},
		{desc: "narrower does not cover wider", p: "https://*.a.example.com", q: "https://*.example.com"},
		{desc: "wildcard any port covers port", p: "https://*.example.com:*", q: "https://a.example.com:8443", want: true},
		{desc: "wildcard any port covers wildcard", p: "https://*.example.com:*", q: "https://*.b.example.com", want: true},
		{desc: "wildcard port needs same port", p: "https://*.example.com:8443", q: "https://a.example.com:8443", want: true},
		{desc: "wildcard port does not cover any port", p: "https://*.example.com:8443", q: "https://*.example.com:*"},
		{desc: "wildcard does not cover ip", p: "http://*.localhost", q: "http://[::1]"},
	}
	for _, tc := range tests {
		p, q := mustParse(t, tc.p), mustParse(t, tc.q)
		if got := p.Covers(q); got != tc.want {
			t.Errorf("%s: %s.Covers(%s) = %v, want %v", tc.desc, tc.p, tc.q, got, tc.want)
		}
	}
}

func mustParse(t testing.TB, s string) origin.Pattern {
	t.Helper()
	p, err := origin.ParsePattern(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// longHost returns a valid host of n bytes made of 63-byte labels.
func longHost(n int) string {
	var b strings.Builder
	for b.Len() < n {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strings.Repeat("a", min(63, n-b.Len())))
	}
	return b.String()
}
