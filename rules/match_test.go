package rules_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"corsedge/rules"
)

// pathCases hold DESIGN.md "Matching" 1 against testdata/match.toml: a
// request path as the server cleans it, and the prefix selected for it (""
// for none). Cleaning itself is edge.CleanPath's, tested there.
var pathCases = []struct {
	desc   string
	path   string
	prefix string
}{
	{"folder prefix", "/fonts/a.woff2", "/fonts/"},
	{"plain string prefix: /js/v matches /js/v2/app.js", "/js/v2/app.js", "/js/v"},
	{"plain string prefix: /js/v matches /js/vendor.js", "/js/vendor.js", "/js/v"},
	{"the prefix itself", "/js/v", "/js/v"},
	{"longest prefix wins: /js/v over /js/", "/js/v1/x.js", "/js/v"},
	{"shorter prefix where the longer does not match", "/js/app.js", "/js/"},
	{"a folder prefix needs its slash", "/js", ""},
	{"a folder prefix needs its slash (fonts)", "/fonts", ""},
	{"prefixes are case-sensitive", "/FONTS/a.woff2", ""},
	{"no prefix: no CORS", "/img/logo.png", ""},
	{"root", "/", ""},
	{"a prefix several rules list", "/api/users", "/api/"},
	{"the second path of a rule", "/sandbox/x", "/sandbox/"},
}

func TestSelect(t *testing.T) {
	table := mustParse(t, fixture(t, "match.toml"))
	for _, c := range pathCases {
		t.Run(c.desc, func(t *testing.T) {
			clean := []byte(c.path)
			got := ""
			if p := table.Select(clean); p != nil {
				got = p.Path()
			}
			if got != c.prefix {
				t.Errorf("Select(%q) = %q, want %q", c.path, got, c.prefix)
			}
			d := table.Match([]byte("https://example.com"), clean)
			if (d.Prefix() == nil) != (c.prefix == "") || d.Prefix() != nil && d.Prefix().Path() != c.prefix {
				t.Errorf("Match chose prefix %v, want %q", d.Prefix(), c.prefix)
			}
		})
	}
}

// TestSelectLongestPrefix compares Select with a plain scan over random
// prefix sets, nested and not, to hold "the longest prefix wins" for any set.
func TestSelectLongestPrefix(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		var b strings.Builder
		b.WriteByte('/')
		for n := rng.IntN(6); n > 0; n-- {
			c := "ab/"[rng.IntN(3)]
			if c == '/' && strings.HasSuffix(b.String(), "/") {
				c = 'a'
			}
			b.WriteByte(c)
		}
		return b.String()
	}
	for round := range 200 {
		var src strings.Builder
		src.WriteString("version = 1\n")
		var prefixes []string
		for range 1 + rng.IntN(12) {
			p := word()
			prefixes = append(prefixes, p)
			fmt.Fprintf(&src, "[[rule]]\npaths = [%q]\norigins = [\"*\"]\n", p)
		}
		if len(prefixes) == 0 {
			continue
		}
		table := mustParse(t, []byte(src.String()))
		for range 50 {
			path := word() + word()
			want := ""
			for _, p := range prefixes {
				if strings.HasPrefix(path, p) && len(p) > len(want) {
					want = p
				}
			}
			got := ""
			if p := table.Select([]byte(path)); p != nil {
				got = p.Path()
			}
			if got != want {
				t.Fatalf("round %d: prefixes %q: Select(%q) = %q, want %q", round, prefixes, path, got, want)
			}
		}
	}
}

// originCases hold DESIGN.md "Matching" 2 and 3 against testdata/match.toml:
// which rule decides for a cleaned path and an Origin ("" for none: no
// Origin header), by name; "" when the origin is not allowed.
var originCases = []struct {
	desc   string
	path   string
	origin string
	rule   string
}{
	{"exact origin", "/js/v2/app.js", "https://example.com", "versioned scripts"},
	{"wildcard: one label", "/js/v2/app.js", "https://app.example.com", "versioned scripts"},
	{"wildcard: two labels", "/js/v2/app.js", "https://a.b.example.com", "versioned scripts"},
	{"wildcard: punycode label", "/js/v2/app.js", "https://xn--bcher-kva.example.com", "versioned scripts"},
	{"pattern written with default port matches the serialized origin", "/js/v2/app.js", "https://example.org", "versioned scripts"},
	{"default port spelled out in the Origin never matches", "/js/v2/app.js", "https://example.org:443", ""},
	{"explicit port", "/js/v2/app.js", "https://example.net:8443", "versioned scripts"},
	{"explicit port: other port", "/js/v2/app.js", "https://example.net:8444", ""},
	{"explicit port: no port", "/js/v2/app.js", "https://example.net", ""},
	{":* matches the default port", "/js/v2/app.js", "http://localhost", "versioned scripts"},
	{":* matches any port", "/js/v2/app.js", "http://localhost:3000", "versioned scripts"},
	{":* does not swap the scheme", "/js/v2/app.js", "https://localhost:3000", ""},
	{":* with a wildcard", "/js/v2/app.js", "https://x.example.edu:8443", "versioned scripts"},
	{":* with a wildcard, default port", "/js/v2/app.js", "https://x.example.edu", "versioned scripts"},
	{":* with a wildcard, never the apex", "/js/v2/app.js", "https://example.edu:8443", ""},
	{"IPv4 literal", "/js/v2/app.js", "http://127.0.0.1:8080", "versioned scripts"},
	{"IPv4 literal, other port", "/js/v2/app.js", "http://127.0.0.1", ""},
	{"IPv6 literal", "/js/v2/app.js", "http://[::1]:3000", "versioned scripts"},
	{"IPv6 literal not as browsers serialize it", "/js/v2/app.js", "http://[0:0:0:0:0:0:0:1]:3000", ""},
	{"no fall-through to the shorter prefix's *", "/js/v2/app.js", "https://other.test", ""},
	{"no Origin: no * candidate, no fall-through", "/js/v2/app.js", "", ""},
	{"shorter prefix: *", "/js/app.js", "https://other.test", "scripts"},
	{"no Origin answered by a * candidate", "/js/app.js", "", "scripts"},
	{"* matches null", "/js/app.js", "null", "scripts"},
	{"* matches a malformed Origin", "/fonts/a.woff2", "not an origin", "fonts"},
	{"first candidate in file order decides over a later exact match", "/api/x", "https://app.example.com", "api, wildcard first"},
	{"a later candidate decides what earlier ones do not match", "/api/x", "null", "api, exact second"},
	{"wildcard never matches its apex", "/api/x", "https://example.com", ""},
	{"no Origin: no * candidate", "/api/x", "", ""},
	{"explicit null entry", "/sandbox/x", "null", "api, exact second"},
	{"null entry does not match the string Null", "/sandbox/x", "Null", ""},
	{"credentialed partner first", "/lib/x.js", "https://partner.example", "partner"},
	{"others fall to the later *", "/lib/x.js", "https://other.test", "public"},
	{"no Origin: the later * candidate answers", "/lib/x.js", "", "public"},
	{"no prefix: no rule", "/img/x.png", "https://example.com", ""},
}

func TestMatchOrigin(t *testing.T) {
	table := mustParse(t, fixture(t, "match.toml"))
	for _, c := range originCases {
		t.Run(c.desc, func(t *testing.T) {
			d := table.Match([]byte(c.origin), []byte(c.path))
			got := ""
			if r := d.Rule(); r != nil {
				got = r.Name()
			}
			if got != c.rule || d.Allowed() != (c.rule != "") {
				t.Errorf("Match(%q, %q) decided by %q (Allowed %v), want %q", c.origin, c.path, got, d.Allowed(), c.rule)
			}
			if c.origin == "" && table.Match(nil, []byte(c.path)) != d {
				t.Errorf("Match(nil, %q) differs from Match(\"\", ...)", c.path)
			}
			if p := table.Select([]byte(c.path)); p != nil && p.Decide([]byte(c.origin)) != d {
				t.Errorf("Select(%q).Decide(%q) differs from Match", c.path, c.origin)
			}
		})
	}
}

// bypassCases hold the classic ways to slip past an origin check (DESIGN.md
// "Fine points"; FIELD-NOTES.md "CORS peers' known failures"), each against
// one-pattern tables: which of them allow the Origin. "*" allows them all.
var bypassCases = []struct {
	desc                    string
	origin                  string
	exact, wild, port, null bool // https://example.com, https://*.example.com, http://localhost:*, null
}{
	{desc: "the exact origin", origin: "https://example.com", exact: true},
	{desc: "a subdomain", origin: "https://app.example.com", wild: true},
	{desc: "a deeper subdomain", origin: "https://a.b.example.com", wild: true},
	{desc: "suffix without a dot", origin: "https://evilexample.com"},
	{desc: "subdomain without a dot", origin: "https://appexample.com"},
	{desc: "hyphen for the dot", origin: "https://app-example.com"},
	{desc: "the origin as a subdomain of another site", origin: "https://example.com.evil.net"},
	{desc: "a subdomain as a subdomain of another site", origin: "https://app.example.com.evil.net"},
	{desc: "trailing dot", origin: "https://example.com."},
	{desc: "trailing dot on a subdomain", origin: "https://app.example.com."},
	{desc: "leading dot", origin: "https://.example.com"},
	{desc: "empty label", origin: "https://app..example.com"},
	{desc: "literal wildcard", origin: "https://*.example.com"},
	{desc: "scheme swap https to http", origin: "http://example.com"},
	{desc: "scheme swap on a subdomain", origin: "http://app.example.com"},
	{desc: "scheme swap http to https", origin: "https://localhost:3000"},
	{desc: "uppercase host", origin: "https://EXAMPLE.COM"},
	{desc: "uppercase label", origin: "https://App.example.com"},
	{desc: "uppercase scheme", origin: "HTTPS://example.com"},
	{desc: "userinfo", origin: "https://user@example.com"},
	{desc: "userinfo on a subdomain", origin: "https://user@app.example.com"},
	{desc: "userinfo that looks like the host", origin: "https://example.com@evil.net"},
	{desc: "trailing slash", origin: "https://example.com/"},
	{desc: "a path", origin: "https://example.com/x"},
	{desc: "a path on a subdomain", origin: "https://app.example.com/x"},
	{desc: "explicit default port", origin: "https://example.com:443"},
	{desc: "explicit default port on a subdomain", origin: "https://app.example.com:443"},
	{desc: "explicit default port under :*", origin: "http://localhost:80"},
	{desc: "leading-zero port", origin: "https://example.com:0443"},
	{desc: "leading-zero port under :*", origin: "http://localhost:03000"},
	{desc: "out-of-range port", origin: "https://example.com:65536"},
	{desc: "out-of-range port under :*", origin: "http://localhost:65536"},
	{desc: "huge port under :*", origin: "http://localhost:99999999999999999999"},
	{desc: "port 0 under :*", origin: "http://localhost:0"},
	{desc: "empty port", origin: "https://example.com:"},
	{desc: "empty port under :*", origin: "http://localhost:"},
	{desc: "other port", origin: "https://example.com:8443"},
	{desc: "any port", origin: "http://localhost:3000", port: true},
	{desc: "default port under :*", origin: "http://localhost", port: true},
	{desc: "trailing dot under :*", origin: "http://localhost.:3000"},
	{desc: "uppercase under :*", origin: "http://LOCALHOST:3000"},
	{desc: "subdomain under exact :*", origin: "http://a.localhost:3000"},
	{desc: "two origins in one value", origin: "https://example.com https://evil.net"},
	{desc: "comma-joined origins", origin: "https://example.com,https://evil.net"},
	{desc: "trailing space", origin: "https://example.com "},
	{desc: "NUL byte", origin: "https://example.com\x00"},
	{desc: "non-ASCII host", origin: "https://bücher.example.com"},
	{desc: "missing slashes", origin: "https:example.com"},
	{desc: "scheme only", origin: "https://"},
	{desc: "null", origin: "null", null: true},
	{desc: "Null", origin: "Null"},
	{desc: "null with spaces", origin: " null"},
	{desc: "over-long origin", origin: "https://" + strings.Repeat("a.", 300) + "example.com"},
}

func TestOriginBypasses(t *testing.T) {
	tables := []struct {
		pattern string
		allows  func(i int) bool
	}{
		{`"https://example.com"`, func(i int) bool { return bypassCases[i].exact }},
		{`"https://*.example.com"`, func(i int) bool { return bypassCases[i].wild }},
		{`"http://localhost:*"`, func(i int) bool { return bypassCases[i].port }},
		{`"null"`, func(i int) bool { return bypassCases[i].null }},
		{`"*"`, func(int) bool { return true }},
	}
	for _, tab := range tables {
		table := mustParse(t, oneRule(tab.pattern))
		for i, c := range bypassCases {
			t.Run(c.desc+" vs "+tab.pattern, func(t *testing.T) {
				d := table.Match([]byte(c.origin), []byte("/a/x"))
				if want := tab.allows(i); d.Allowed() != want {
					t.Errorf("origins = [%s]: Origin %q allowed = %v, want %v", tab.pattern, c.origin, d.Allowed(), want)
				}
			})
		}
	}
}

func TestRequestWithoutOrigin(t *testing.T) {
	for _, c := range []struct {
		desc    string
		origins string
		allowed bool
	}{
		{"answered by a * rule", `"*"`, true},
		{"answered by a rule listing * among others", `"https://a.com", "*"`, true},
		{"not by an exact rule", `"https://a.com"`, false},
		{"not by a wildcard rule", `"https://*.a.com"`, false},
		{"not by a null rule", `"null"`, false},
	} {
		table := mustParse(t, oneRule(c.origins))
		if d := table.Match(nil, []byte("/a/x")); d.Allowed() != c.allowed {
			t.Errorf("%s: origins = [%s], no Origin: allowed = %v, want %v", c.desc, c.origins, d.Allowed(), c.allowed)
		}
	}
}

// methodCases hold DESIGN.md "Matching" 4: GET and HEAD are always allowed,
// other methods only when listed, case-sensitively.
var methodCases = []struct {
	desc    string
	methods string // the rule's methods key; "" to inherit the defaults
	method  string
	allowed bool
}{
	{"GET by default", "", "GET", true},
	{"HEAD by default", "", "HEAD", true},
	{"POST not by default", "", "POST", false},
	{"OPTIONS not by default", "", "OPTIONS", false},
	{"GET though not listed", `methods = ["POST"]`, "GET", true},
	{"HEAD though not listed", `methods = ["POST"]`, "HEAD", true},
	{"listed method", `methods = ["POST"]`, "POST", true},
	{"unlisted method", `methods = ["POST"]`, "PUT", false},
	{"GET with an empty list", `methods = []`, "GET", true},
	{"POST with an empty list", `methods = []`, "POST", false},
	{"methods are case-sensitive", `methods = ["PATCH"]`, "patch", false},
	{"lowercase get is not GET", "", "get", false},
	{"custom method as listed", `methods = ["PURGE"]`, "PURGE", true},
	{"* allows any method", `methods = ["*"]`, "PATCH", true},
	{"* does not allow an empty method", `methods = ["*"]`, "", false},
	{"* does not allow a non-token", `methods = ["*"]`, "GE T", false},
	{"empty method refused", "", "", false},
	{"method with a trailing space refused", `methods = ["PUT"]`, "PUT ", false},
	{"method with a control byte refused", "", "GET\r", false},
}

func TestPreflightMethod(t *testing.T) {
	for _, c := range methodCases {
		table := mustParse(t, oneRule(`"*"`, c.methods))
		d := table.Match([]byte("https://a.com"), []byte("/a/"))
		want := rules.RefusedMethod
		if c.allowed {
			want = rules.Accepted
		}
		if got := d.Preflight([]byte(c.method), nil); got != want {
			t.Errorf("%s: %s: Preflight(%q) = %v, want %v", c.desc, c.methods, c.method, got, want)
		}
	}
	var none rules.Decision
	if none.Preflight([]byte("GET"), nil) != rules.RefusedPath {
		t.Error("a Decision without a prefix accepts a preflight")
	}
}

func TestVary(t *testing.T) {
	table := mustParse(t, fixture(t, "match.toml"))
	for _, c := range []struct {
		desc, path, origin, want string
	}{
		{"only a * rule: no Vary, allowed", "/fonts/a", "https://a.com", ""},
		{"only a * rule: no Vary, no Origin", "/fonts/a", "", ""},
		{"first candidate *: no Vary", "/js/app.js", "https://a.com", ""},
		{"exact rule: Vary for an allowed origin", "/js/v2/app.js", "https://example.com", "Origin"},
		{"exact rule: Vary for a refused origin", "/js/v2/app.js", "https://evil.test", "Origin"},
		{"exact rule: Vary without Origin", "/js/v2/app.js", "", "Origin"},
		{"* after an exact rule: Vary for the * answer", "/lib/x", "https://other.test", "Origin"},
		{"* after an exact rule: Vary without Origin", "/lib/x", "", "Origin"},
		{"no prefix: no Vary", "/img/x", "https://a.com", ""},
	} {
		if got := table.Match([]byte(c.origin), []byte(c.path)).Vary(); got != c.want {
			t.Errorf("%s: Vary() = %q, want %q", c.desc, got, c.want)
		}
	}
	mixed := mustParse(t, oneRule(`"*", "https://a.com"`))
	if got := mixed.Match([]byte("https://a.com"), []byte("/a/")).Vary(); got != "" {
		t.Errorf("first candidate lists * and an exact origin: Vary() = %q, want \"\"", got)
	}
}

// TestMaxOriginLen holds what edge relies on to skip caching long origins:
// an Origin longer than MaxOriginLen is decided as if only "*" were listed.
func TestMaxOriginLen(t *testing.T) {
	table := mustParse(t, []byte("version = 1\n[[rule]]\nname = \"exact\"\npaths = [\"/a/\"]\norigins = [\"https://*.example.com\"]\n"+
		"[[rule]]\nname = \"any\"\npaths = [\"/a/\"]\norigins = [\"*\"]\n"))
	for _, c := range []struct {
		desc, origin, rule string
	}{
		{"a short origin: the wildcard", "https://a.example.com", "exact"},
		{"MaxOriginLen+1 bytes: only *", "https://" + strings.Repeat("a", rules.MaxOriginLen-len("https://.example.com")+1) + ".example.com", "any"},
	} {
		got := ""
		if r := table.Match([]byte(c.origin), []byte("/a/x")).Rule(); r != nil {
			got = r.Name()
		}
		if got != c.rule {
			t.Errorf("%s (%d bytes): decided by %q, want %q", c.desc, len(c.origin), got, c.rule)
		}
	}
}
