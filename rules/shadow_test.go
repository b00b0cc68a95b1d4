package rules_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"corsedge/rules"
)

// shadowCases hold the shadowed-rule warning: a rule that can never decide
// because, under every prefix it lists, earlier rules match all its origins.
var shadowCases = []struct {
	desc     string
	src      string
	shadowed []string // "rule #N by rule #M", in file order
}{
	{"* first shadows an exact rule", "[[rule]]\npaths = [\"/a/\"]\norigins = [\"*\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://a.com\"]\n",
		[]string{"rule #2 by rule #1"}},
	{"* first shadows a later *", "[[rule]]\npaths = [\"/a/\"]\norigins = [\"*\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"*\"]\n",
		[]string{"rule #2 by rule #1"}},
	{"a later * is not shadowed by exact rules", "[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://a.com\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"*\"]\n",
		nil},
	{"the same exact origin", "[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://a.com\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://a.com:443\"]\n",
		[]string{"rule #2 by rule #1"}},
	{"exact covered by a wildcard", "[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://*.a.com\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://x.y.a.com\"]\n",
		[]string{"rule #2 by rule #1"}},
	{"the apex is not covered by its wildcard", "[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://*.a.com\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://a.com\"]\n",
		nil},
	{"wildcard covered by a wider wildcard", "[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://*.a.com\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://*.b.a.com\"]\n",
		[]string{"rule #2 by rule #1"}},
	{"wildcard covered by the same wildcard", "[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://*.a.com\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://*.a.com\"]\n",
		[]string{"rule #2 by rule #1"}},
	{"a wider wildcard is not covered by a narrower one", "[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://*.b.a.com\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://*.a.com\"]\n",
		nil},
	{"look-alike suffix does not cover", "[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://*.a.com\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://*.ba.com\"]\n",
		nil},
	{"scheme differs", "[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://*.a.com\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"http://*.a.com\"]\n",
		nil},
	{":* covers a fixed port", "[[rule]]\npaths = [\"/a/\"]\norigins = [\"http://localhost:*\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"http://localhost:3000\", \"http://localhost\"]\n",
		[]string{"rule #2 by rule #1"}},
	{"a fixed port does not cover :*", "[[rule]]\npaths = [\"/a/\"]\norigins = [\"http://localhost:3000\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"http://localhost:*\"]\n",
		nil},
	{"a wildcard :* covers a wildcard with a port", "[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://*.a.com:*\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://*.b.a.com:8443\", \"https://x.a.com:*\"]\n",
		[]string{"rule #2 by rule #1"}},
	{"a wildcard with a port does not cover a wildcard :*", "[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://*.a.com:8443\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://*.b.a.com:*\"]\n",
		nil},
	{"a wildcard with a port does not cover another port", "[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://*.a.com:8443\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://*.b.a.com\"]\n",
		nil},
	{"an exact :* does not cover a wildcard :*", "[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://x.a.com:*\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://*.a.com:*\"]\n",
		nil},
	{"null covers null", "[[rule]]\npaths = [\"/a/\"]\norigins = [\"null\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"null\"]\n",
		[]string{"rule #2 by rule #1"}},
	{"covered by several earlier rules together", "[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://a.com\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://b.com\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://a.com\", \"https://b.com\"]\n",
		[]string{"rule #3 by rule #2"}},
	{"one origin not covered: not shadowed", "[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://a.com\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://a.com\", \"https://b.com\"]\n",
		nil},
	{"covered under one of its prefixes only: not shadowed", "[[rule]]\npaths = [\"/a/\"]\norigins = [\"*\"]\n[[rule]]\npaths = [\"/a/\", \"/b/\"]\norigins = [\"https://a.com\"]\n",
		nil},
	{"covered under each of its prefixes", "[[rule]]\npaths = [\"/a/\"]\norigins = [\"*\"]\n[[rule]]\npaths = [\"/b/\"]\norigins = [\"https://*.a.com\"]\n[[rule]]\npaths = [\"/a/\", \"/b/\"]\norigins = [\"https://x.a.com\"]\n",
		[]string{"rule #3 by rule #2"}},
	{"a shorter prefix never shadows", "[[rule]]\npaths = [\"/a/\"]\norigins = [\"*\"]\n[[rule]]\npaths = [\"/a/b/\"]\norigins = [\"https://a.com\"]\n",
		nil},
	{"a later rule never shadows an earlier one", "[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://a.com\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"*\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://a.com\"]\n",
		[]string{"rule #3 by rule #2"}},
	{"a rule listing its prefix twice", "[[rule]]\npaths = [\"/a/\", \"/a/\"]\norigins = [\"https://a.com\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://b.com\"]\n",
		nil},
}

func TestShadowWarnings(t *testing.T) {
	for _, c := range shadowCases {
		t.Run(c.desc, func(t *testing.T) {
			table := mustParse(t, []byte("version = 1\n"+c.src))
			var got []string
			for _, w := range table.Warnings() {
				if by, ok := strings.CutPrefix(w.Reason, "never decides: "); ok {
					got = append(got, fmt.Sprintf("rule #%d by %s", w.Index+1, strings.Fields(by)[0]+" "+strings.Fields(by)[1]))
				} else if !strings.Contains(w.Reason, "null") {
					t.Errorf("unexpected warning %v", w)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(c.shadowed) {
				t.Errorf("shadowed %q, want %q", got, c.shadowed)
			}
		})
	}
}

// shadowUniverse is a set of origins that holds, for every pattern in
// shadowPatterns, an origin no other kind of pattern names: a fresh label
// ("zz.") under each wildcard suffix, and a fresh port (12345) for ":*". An
// earlier rule then covers a pattern exactly when it covers the pattern's
// origins in the universe.
var shadowUniverse = func() []string {
	out := []string{"null"}
	for _, scheme := range []string{"http://", "https://"} {
		for _, host := range []string{"a.com", "b.a.com", "c.b.a.com", "x.com", "zz.a.com", "zz.b.a.com", "zz.c.b.a.com", "zz.x.com"} {
			for _, port := range []string{"", ":8443", ":9000", ":12345"} {
				out = append(out, scheme+host+port)
			}
		}
	}
	return out
}()

var shadowPatterns = []string{
	"*", "null", "https://a.com", "https://b.a.com", "https://c.b.a.com", "https://x.com",
	"https://*.a.com", "https://*.b.a.com", "https://a.com:8443", "https://*.a.com:8443",
	"https://*.a.com:*", "https://b.a.com:*", "https://*.x.com:*", "http://a.com", "http://*.a.com",
	"http://b.a.com:9000", "http://*.b.a.com:*",
}

// TestShadowAgainstReference compares the shadowed-rule warnings of random
// tables with a reference built on Match alone: a rule never decides when,
// under each of its prefixes, every origin it matches is decided by an
// earlier rule.
func TestShadowAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pick := func(list []string, most int) []string {
		out := make([]string, 1+rng.IntN(most))
		for i := range out {
			out[i] = fmt.Sprintf("%q", list[rng.IntN(len(list))])
		}
		return out
	}
	for round := range 300 {
		var src strings.Builder
		src.WriteString("version = 1\n")
		for range 1 + rng.IntN(8) {
			fmt.Fprintf(&src, "[[rule]]\npaths = [%s]\norigins = [%s]\n",
				strings.Join(pick([]string{"/a/", "/b/"}, 2), ", "), strings.Join(pick(shadowPatterns, 3), ", "))
		}
		table := mustParse(t, []byte(src.String()))
		warned := map[int]bool{}
		for _, w := range table.Warnings() {
			if strings.HasPrefix(w.Reason, "never decides") {
				warned[w.Index] = true
			}
		}
		for _, r := range table.Rules() {
			if want := neverDecides(t, table, r); warned[r.Index()] != want {
				t.Fatalf("round %d: %s warned %v, reference says %v, in:\n%s", round, r.Label(), warned[r.Index()], want, src.String())
			}
		}
	}
}

// neverDecides is the reference: under every prefix of r, each universe
// origin that r's patterns match is decided by an earlier rule.
func neverDecides(t *testing.T, table *rules.Table, r *rules.Rule) bool {
	quoted := make([]string, len(r.Origins()))
	for i, o := range r.Origins() {
		quoted[i] = fmt.Sprintf("%q", o)
	}
	alone := mustParse(t, oneRule(strings.Join(quoted, ", ")))
	for _, path := range r.Paths() {
		for _, o := range shadowUniverse {
			if !alone.Match([]byte(o), []byte("/a/")).Allowed() {
				continue
			}
			if d := table.Match([]byte(o), []byte(path)); !d.Allowed() || d.Rule().Index() >= r.Index() {
				return false
			}
		}
	}
	return true
}
