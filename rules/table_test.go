package rules_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"corsedge/rules"
)

// ruleView is the exported part of a Rule, printable and comparable.
type ruleView struct {
	Label                               string
	Paths, Origins                      []string
	Methods, Headers, Expose            []string
	MaxAge                              time.Duration
	Credentials, PrivateNetwork, Timing bool
	CORP                                string
}

func view(r *rules.Rule) string {
	return fmt.Sprintf("%+v", ruleView{
		r.Label(), r.Paths(), r.Origins(), r.Methods(), r.Headers(), r.Expose(),
		r.MaxAge(), r.Credentials(), r.PrivateNetwork(), r.Timing(), r.CORP(),
	})
}

func TestSampleRules(t *testing.T) {
	table := mustParse(t, readFile(t, sampleFile))
	if w := table.Warnings(); len(w) != 0 {
		t.Errorf("the sample has warnings:%s", describe(w))
	}
	wants := []ruleView{
		{`rule #1 ("shared fonts and styles")`, []string{"/fonts/", "/css/"}, []string{"*"},
			[]string{"GET", "HEAD"}, []string{}, []string{}, 2 * time.Hour, false, false, true, "cross-origin"},
		{`rule #2 ("partner apps")`, []string{"/js/"}, []string{"https://app.example.com", "https://*.example.org", "http://localhost:*"},
			[]string{"GET", "POST"}, []string{"content-type", "x-request-id"}, []string{"etag"}, 10 * time.Minute, true, false, false, ""},
		{`rule #3 ("public scripts")`, []string{"/js/"}, []string{"*"},
			[]string{"GET", "HEAD"}, []string{}, []string{}, 2 * time.Hour, false, false, false, "cross-origin"},
	}
	got := table.Rules()
	if len(got) != len(wants) {
		t.Fatalf("%d rules, want %d", len(got), len(wants))
	}
	for i, w := range wants {
		if g := view(got[i]); g != fmt.Sprintf("%+v", w) {
			t.Errorf("rule %d:\n got %s\nwant %+v", i, g, w)
		}
		if got[i].Index() != i {
			t.Errorf("rule %d has Index %d", i, got[i].Index())
		}
	}
}

func TestInheritance(t *testing.T) {
	table := mustParse(t, []byte(`version = 1
[defaults]
methods         = ["GET", "PUT"]
headers         = ["x-a"]
expose          = ["etag"]
max_age         = 60
credentials     = true
private_network = true
timing          = true
corp            = "same-site"

[[rule]]
paths   = ["/inherits/"]
origins = ["https://a.com:443"]

[[rule]]
name            = "overrides"
paths           = ["/overrides/"]
origins         = ["*"]
methods         = []
headers         = []
expose          = []
max_age         = "0s"
credentials     = false
private_network = false
timing          = false
corp            = ""
`))
	wants := []ruleView{
		{"rule #1", []string{"/inherits/"}, []string{"https://a.com"},
			[]string{"GET", "PUT"}, []string{"x-a"}, []string{"etag"}, time.Minute, true, true, true, "same-site"},
		{`rule #2 ("overrides")`, []string{"/overrides/"}, []string{"*"},
			[]string{}, []string{}, []string{}, 0, false, false, false, ""},
	}
	for i, w := range wants {
		if g := view(table.Rules()[i]); g != fmt.Sprintf("%+v", w) {
			t.Errorf("rule %d:\n got %s\nwant %+v", i, g, w)
		}
	}
}

func TestOriginsNormalised(t *testing.T) {
	table := mustParse(t, oneRule(`"http://a.com:80", "https://a.com:80", "https://*.a.com:443", "http://[::1]:80",
		"https://a.com:*", "https://xn--bcher-kva.example", "http://192.168.0.1:8080", "null", "*"`))
	want := []string{"http://a.com", "https://a.com:80", "https://*.a.com", "http://[::1]",
		"https://a.com:*", "https://xn--bcher-kva.example", "http://192.168.0.1:8080", "null", "*"}
	if got := table.Rules()[0].Origins(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Origins = %q, want %q", got, want)
	}
	table = mustParse(t, oneRule(`"http://a.com:80", "https://a.com:80", "https://*.a.com:443", "http://[::1]:80"`))
	for _, c := range []struct {
		origin  string
		allowed bool
	}{
		{"http://a.com", true}, {"http://a.com:80", false},
		{"https://a.com:80", true}, {"https://a.com", false},
		{"https://b.a.com", true}, {"https://b.a.com:443", false},
		{"http://[::1]", true}, {"http://[::1]:80", false},
	} {
		if got := table.Match([]byte(c.origin), []byte("/a/")).Allowed(); got != c.allowed {
			t.Errorf("%q allowed %v, want %v", c.origin, got, c.allowed)
		}
	}
}

func TestCacheControl(t *testing.T) {
	sample := mustParse(t, readFile(t, sampleFile))
	entries := mustParse(t, []byte(`version = 1
[[rule]]
paths   = ["/"]
origins = ["*"]

[[cache]]
paths   = ["/a/", "/a/b/"]
control = "first"

[[cache]]
paths   = ["/a/", "/c/"]
control = "second"
`))
	for _, c := range []struct {
		desc  string
		table *rules.Table
		path  string
		want  string // "" for none
	}{
		{"sample: fonts", sample, "/fonts/a.woff2", "public, max-age=31536000, immutable"},
		{"sample: plain string prefix /js/v", sample, "/js/v2/app.js", "public, max-age=31536000, immutable"},
		{"sample: /js/ has no entry", sample, "/js/app.js", ""},
		{"sample: /css/ has no entry", sample, "/css/a.css", ""},
		{"sample: the folder without its slash", sample, "/fonts", ""},
		{"the first entry listing a prefix wins", entries, "/a/x", "first"},
		{"the longest prefix wins", entries, "/a/b/x", "first"},
		{"a later entry's own prefix", entries, "/c/x", "second"},
		{"no entry", entries, "/d/x", ""},
	} {
		got, ok := c.table.CacheControl([]byte(c.path))
		if got != c.want || ok != (c.want != "") {
			t.Errorf("%s: CacheControl(%q) = %q, %v; want %q", c.desc, c.path, got, ok, c.want)
		}
	}
}

// TestConcurrentUse holds "a Table is immutable and safe for concurrent use"
// under the race detector.
func TestConcurrentUse(t *testing.T) {
	table := mustParse(t, fixture(t, "match.toml"))
	done := make(chan bool)
	for range 4 {
		go func() {
			defer func() { done <- true }()
			for _, c := range originCases {
				d := table.Match([]byte(c.origin), []byte(c.path))
				d.Preflight([]byte("GET"), [][]byte{[]byte("content-type")})
				d.WriteActual(nopSetter{}, []byte(c.origin))
				table.Explain(rules.Request{Origin: c.origin, Path: c.path, Method: "GET"})
			}
		}()
	}
	for range 4 {
		<-done
	}
}

// TestAccessorsReturnCopies holds that a Table stays immutable whatever its
// callers do with what its accessors return: the request path reads the
// same rules, prefixes and lists.
func TestAccessorsReturnCopies(t *testing.T) {
	table := mustParse(t, fixture(t, "match.toml"))
	origin, path := []byte("https://app.example.com"), []byte("/js/v2/app.js")
	before := table.Match(origin, path)
	r, p := before.Rule(), before.Prefix()
	want := view(r)
	for _, list := range [][]string{r.Paths(), r.Origins(), r.Methods(), r.Headers(), r.Expose()} {
		for i := range list {
			list[i] = "changed"
		}
	}
	clear(table.Rules())
	clear(p.Rules())
	after := table.Match(origin, path)
	if after.Rule() != r || view(r) != want || len(table.Rules()) == 0 || table.Rules()[0] == nil || p.Rules()[0] == nil {
		t.Errorf("changing what the accessors return changed the table: %s, want %s", view(r), want)
	}
	var h recorder
	after.WriteActual(&h, origin)
	if !slices.Contains(h.fields(), "Access-Control-Allow-Origin: https://app.example.com") {
		t.Errorf("after changing copies, WriteActual wrote %q", h.fields())
	}
}
