package rules_test

import (
	"strings"
	"testing"
	"time"

	"corsedge/rules"
)

// TestLargeTables parses the benchmark layouts at 10,000 rules and checks
// that they are whole and decide as small tables do.
func TestLargeTables(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000-rule files")
	}
	const n = 10000
	for _, l := range layouts {
		table := mustParse(t, l.gen(n))
		if got := len(table.Rules()); got != n {
			t.Errorf("%s: %d rules, want %d", l.name, got, n)
		}
		want := 0
		if l.name == "warning-each" {
			want = n // each rule's http:// origin with credentials
		}
		if got := len(table.Warnings()); got != want {
			t.Errorf("%s: %d warnings, want %d", l.name, got, want)
		}
	}
	src, exact, wildcard := matchTable(n)
	table := mustParse(t, src)
	for _, c := range []struct{ origin, rule string }{
		{exact, "rule 9998"},
		{wildcard, "rule 9999"},
		{"https://evil.example.org", ""},
	} {
		d := table.Match([]byte(c.origin), []byte("/js/app.js"))
		if got := ruleName(d); got != c.rule {
			t.Errorf("Match(%q) decided by %q, want %q", c.origin, got, c.rule)
		}
	}
}

// TestLargeShadow holds the shadowed-rule warning among 10,000 rules under
// one prefix, where an earlier rule covers each of the last rule's origins.
func TestLargeShadow(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000-rule files")
	}
	src := string(layouts[1].gen(10000)) + `
[[rule]]
name    = "shadowed"
paths   = ["/js/"]
origins = ["https://a.b.w9999.example.com", "https://*.x.w5000.example.com", "http://h0.example.com:8080"]
`
	table := mustParse(t, []byte(src))
	w := table.Warnings()
	if len(w) != 1 || !strings.Contains(w[0].Error(), `rule #10001 ("shadowed"): never decides: rule #1 ("rule 0")`) {
		t.Errorf("warnings:%s", describe(w))
	}
}

// TestParseTime holds "10,000 rules compile in well under a second" for
// every layout. The quadratic shadow check this replaced took 0.75 s to
// 1.5 s here (5.7 s under the race detector), linear code 0.1 s to 0.25 s.
func TestParseTime(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000-rule files")
	}
	limit := 500 * time.Millisecond
	if raceEnabled {
		limit = 4 * time.Second
	}
	for _, l := range layouts {
		if took := fastest(l.gen(10000)); took > limit {
			t.Errorf("%s: 10,000 rules took %v to compile, want under %v", l.name, took, limit)
		}
	}
}

// fastest returns the shortest of three Parse times, the least disturbed by
// whatever else the machine runs.
func fastest(src []byte) time.Duration {
	best := time.Duration(1<<63 - 1)
	for range 3 {
		start := time.Now()
		rules.Parse(src)
		best = min(best, time.Since(start))
	}
	return best
}

func ruleName(d rules.Decision) string {
	if r := d.Rule(); r != nil {
		return r.Name()
	}
	return ""
}
