package rules_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"corsedge/rules"
)

// FuzzParse feeds whole files to Parse, seeded with the sample, the
// fixtures and every file of the test tables. Whatever the input, Parse
// never panics; it fails with problems that say why, or returns a Table
// whose rules re-parse and decide for their own prefixes and origins.
func FuzzParse(f *testing.F) {
	f.Add(readFile(f, sampleFile))
	fixtures, err := filepath.Glob(filepath.Join("testdata", "*.toml"))
	if err != nil || len(fixtures) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	for _, name := range fixtures {
		f.Add(readFile(f, name))
	}
	for _, c := range problemCases {
		f.Add([]byte(c.src))
	}
	for _, c := range shadowCases {
		f.Add([]byte("version = 1\n" + c.src))
	}
	for _, l := range layouts {
		f.Add(l.gen(4))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		table, err := rules.Parse(src)
		if err != nil {
			checkFailure(t, table, err)
			return
		}
		again := mustParse(t, src)
		if len(again.Rules()) != len(table.Rules()) || len(again.Warnings()) != len(table.Warnings()) {
			t.Fatalf("second Parse: %d rules, %d warnings; first: %d, %d",
				len(again.Rules()), len(again.Warnings()), len(table.Rules()), len(table.Warnings()))
		}
		checkInFileOrder(t, table.Warnings())
		for _, w := range table.Warnings() {
			if !w.Warning || w.Reason == "" {
				t.Fatalf("warning %q: Warning %v", w.Error(), w.Warning)
			}
		}
		shadowed := map[int]bool{}
		for _, w := range table.Warnings() {
			if strings.HasPrefix(w.Reason, "never decides") {
				shadowed[w.Index] = true
			}
		}
		for _, r := range table.Rules() {
			checkReparse(t, r)
			checkDecides(t, table, r, shadowed[r.Index()])
		}
	})
}

// checkFailure holds what a failed Parse must give: no Table, and problems
// in file order, at least one of them an error, each saying why.
func checkFailure(t *testing.T, table *rules.Table, err error) {
	t.Helper()
	if table != nil {
		t.Fatal("Parse returned a Table and an error")
	}
	problems := rules.Problems(err)
	if len(problems) == 0 {
		t.Fatalf("error without problems: %v", err)
	}
	errs := 0
	for _, p := range problems {
		if !p.Warning {
			errs++
		}
		if p.Reason == "" {
			t.Fatalf("problem without a reason: %#v", p)
		}
	}
	if errs == 0 {
		t.Fatalf("error of warnings only:%s", describe(problems))
	}
	checkInFileOrder(t, problems)
}

func checkInFileOrder(t *testing.T, ps []*rules.Problem) {
	t.Helper()
	if !slices.IsSortedFunc(ps, func(a, b *rules.Problem) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	}) {
		t.Fatalf("problems out of file order:%s", describe(ps))
	}
}

// checkReparse holds that a rule's normalised origins are valid patterns
// that normalise to themselves.
func checkReparse(t *testing.T, r *rules.Rule) {
	t.Helper()
	quoted := make([]string, len(r.Origins()))
	for i, o := range r.Origins() {
		quoted[i] = fmt.Sprintf("%q", o)
	}
	src := oneRule(strings.Join(quoted, ", "))
	table, err := rules.Parse(src)
	if err != nil {
		t.Fatalf("%s: origins %q do not re-parse: %v", r.Label(), r.Origins(), err)
	}
	if got := table.Rules()[0].Origins(); !slices.Equal(got, r.Origins()) {
		t.Fatalf("%s: origins %q re-parse as %q", r.Label(), r.Origins(), got)
	}
}

// checkDecides holds that under each of its prefixes, an origin each of the
// rule's patterns matches is allowed by the rule or an earlier one (always an
// earlier one when the rule is warned to never decide), and that writing the
// answers does not panic.
func checkDecides(t *testing.T, table *rules.Table, r *rules.Rule, shadowed bool) {
	t.Helper()
	for _, path := range r.Paths() {
		p := table.Select([]byte(path))
		if p == nil || p.Path() != path || !slices.Contains(p.Rules(), r) {
			t.Fatalf("%s: Select(%q) = %v, want its own prefix", r.Label(), path, p)
		}
		for _, o := range r.Origins() {
			origin := strings.Replace(strings.TrimSuffix(o, ":*"), "://*.", "://x.", 1)
			d := table.Match([]byte(origin), []byte(path))
			if !d.Allowed() || d.Rule().Index() > r.Index() {
				t.Fatalf("%s lists %q, but Origin %q on %q is decided by %v", r.Label(), o, origin, path, d.Rule())
			}
			if shadowed && d.Rule() == r {
				t.Fatalf("%s is warned to never decide, but decides for %q on %q", r.Label(), origin, path)
			}
			d.WriteActual(nopSetter{}, []byte(origin))
			if d.Preflight([]byte("GET"), nil) != rules.Accepted {
				t.Fatalf("%s: a GET preflight from %q is refused", r.Label(), origin)
			}
			d.WritePreflight(nopSetter{}, []byte(origin), false)
		}
	}
}
