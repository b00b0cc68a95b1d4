package rules_test

import (
	"strings"
	"testing"

	"corsedge/rules"
)

// hostileACRH is an Access-Control-Request-Headers value of 10,000 commas
// (rs/cors CVE-2025-47908).
var hostileACRH = []byte(strings.Repeat(",", 10000))

// TestZeroAllocs holds STYLE.md habit 4 on the request path: matching,
// checking a preflight and writing the answer allocate nothing.
func TestZeroAllocs(t *testing.T) {
	table := mustParse(t, fixture(t, "match.toml"))
	type call struct {
		desc string
		f    func()
	}
	var calls []call
	for _, c := range []struct{ desc, origin, path string }{
		{"Match: exact hit", "https://example.com", "/js/v2/app.js"},
		{"Match: wildcard hit", "https://a.b.example.com", "/js/v2/app.js"},
		{"Match: wildcard with any port", "https://x.example.edu:8443", "/js/v2/app.js"},
		{"Match: *", "https://site.test", "/fonts/a.woff2"},
		{"Match: miss", "https://evil.example.com.evil.net", "/js/v2/app.js"},
		{"Match: malformed origin", "https://example.com:0443", "/js/v2/app.js"},
		{"Match: no prefix", "https://example.com", "/img/logo.png"},
		{"Match: no origin", "", "/lib/x.js"},
	} {
		origin, path := []byte(c.origin), []byte(c.path)
		calls = append(calls, call{c.desc, func() { table.Match(origin, path) }})
	}
	d := table.Match([]byte("https://app.example.com"), []byte("/js/v2/app.js"))
	star := table.Match([]byte("https://app.example.com"), []byte("/api/x"))
	origin := []byte("https://app.example.com")
	acrh := [][]byte{[]byte("Content-Type, x-request-id")}
	twoLines := [][]byte{[]byte("content-type"), []byte("X-Request-ID")}
	hostile := [][]byte{hostileACRH}
	tooMany := make([][]byte, rules.MaxHeaderLines+1)
	calls = append(calls,
		call{"Preflight: accepted", func() { d.Preflight([]byte("POST"), acrh) }},
		call{"Preflight: two lines", func() { d.Preflight([]byte("POST"), twoLines) }},
		call{"Preflight: headers *", func() { star.Preflight([]byte("GET"), acrh) }},
		call{"Preflight: refused method", func() { d.Preflight([]byte("PATCH"), acrh) }},
		call{"Preflight: too many lines", func() { d.Preflight([]byte("GET"), tooMany) }},
		call{"Preflight: hostile ACRH", func() { d.Preflight([]byte("GET"), hostile) }},
		call{"Preflight: hostile ACRH on headers *", func() { star.Preflight([]byte("GET"), hostile) }},
		call{"Vary", func() { _ = d.Vary() }},
		call{"WriteActual", func() { d.WriteActual(nopSetter{}, origin) }},
		call{"WritePreflight", func() { d.WritePreflight(nopSetter{}, origin, false) }},
	)
	for _, c := range calls {
		if n := testing.AllocsPerRun(100, c.f); n != 0 {
			t.Errorf("%s: %v allocations, want 0", c.desc, n)
		}
	}
}
