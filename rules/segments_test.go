package rules

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// manyRules returns n site rules as a main file would hold them, each
// preceded by extra(i) when extra is not nil.
func manyRules(n int, extra func(i int) string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("[[rule]]\nname = \"site%d\"\npaths = [\"/s/%d/\"]\norigins = [\"https://site%d.example\", \"https://*.site%d.example\"]\n", i, i, i, i)
		if extra != nil {
			out[i] += extra(i)
		}
	}
	return out
}

// wholeDecode decodes src as a main file in one piece.
func wholeDecode(src []byte) (*config, []*Problem) {
	c := &checker{src: src}
	return c.decode(src), c.problems
}

// segmentDecode decodes src from segments, as the Loader does; ok is false
// when it fell back to the whole decode.
func segmentDecode(l *Loader, src []byte) (*config, bool) {
	f := &parsedFile{src: src}
	if !f.decodeSegments(l) {
		return nil, false
	}
	cfg := *f.cfg // the rules stay in the segments
	for _, s := range f.segs {
		cfg.rules = append(cfg.rules, s.cfg.rules...)
	}
	return &cfg, true
}

// TestSegmentsDecodeAsTheWholeFile holds the segment decode to the whole
// decode's result on files whose entries hold what could confuse a split:
// header lines inside multi-line strings and arrays, comments, CRLF line
// ends, indented headers, [[cache]] between rules, quoted keys.
func TestSegmentsDecodeAsTheWholeFile(t *testing.T) {
	tricky := []struct {
		desc  string
		extra func(i int) string
	}{
		{"plain", nil},
		{"header lines in a multi-line array", func(i int) string {
			return "methods = [\n[[rule]]\n]\n"[:0] + "expose = [\n  \"x-a\",\n# [[rule]]\n  \"x-b\",\n]\n"
		}},
		{"header lines in multi-line strings", func(i int) string {
			return "headers = [\"\"\"\n[[rule]]\n[defaults]\n\"\"\"]\ncorp = '''\n[[cache]]\n'''\n"
		}},
		{"header lines in comments", func(i int) string { return "# [[rule]]\n  # [defaults]\n" }},
		{"indented headers and comments after them", func(i int) string {
			if i%3 == 0 {
				return "  [[cache]]   # assets\n  paths = [\"/c/\"]\n  control = \"max-age=60\"\n"
			}
			return ""
		}},
		{"quoted keys", func(i int) string { return "\"max_age\" = \"1m\"\n" }},
		{"CRLF", nil},
	}
	for _, tc := range tricky {
		t.Run(tc.desc, func(t *testing.T) {
			text := "version = 1\n[defaults]\nmax_age = \"10m\"\n\n" + strings.Join(manyRules(500, tc.extra), "\n")
			if tc.desc == "CRLF" {
				text = strings.ReplaceAll(text, "\n", "\r\n")
			}
			src := []byte(text)
			want, problems := wholeDecode(src)
			if len(problems) > 0 {
				t.Fatalf("the test file does not decode: %v", problems)
			}
			l := NewLoader(nil)
			got, ok := segmentDecode(l, src)
			if !ok {
				t.Fatal("decoded whole, not in segments")
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("segments decoded otherwise than the whole file")
			}
			if n := l.SegmentParses(); n < 500/maxSegmentSpan || n > 500 {
				t.Errorf("%d segments for 500 entries", n)
			}
		})
	}
}

// TestSegmentsLeaveAlone lists files the segment decode must hand to the
// whole decode, whose messages and positions are the reference.
func TestSegmentsLeaveAlone(t *testing.T) {
	rules := manyRules(200, nil)
	body := strings.Join(rules, "\n")
	cases := []struct {
		desc, src string
	}{
		{"too few entries", "version = 1\n" + strings.Join(rules[:10], "\n")},
		{"a table after the rules", "version = 1\n" + body + "[defaults]\nmax_age = \"1m\"\n"},
		{"a subtable of a rule", "version = 1\n" + body + "[rule.extra]\nx = 1\n"},
		{"no version", body},
		{"rules as an inline array in the head", "version = 1\nrule = []\n" + body},
		{"a syntax error in rule 150", "version = 1\n" + strings.Join(rules[:150], "\n") + "name = = 1\n" + strings.Join(rules[150:], "\n")},
		{"an unknown key in rule 120", "version = 1\n" + strings.Join(rules[:120], "\n") + "colour = \"red\"\n" + strings.Join(rules[120:], "\n")},
		{"a multi-line string left open", "version = 1\n" + strings.Join(rules[:100], "\n") + "name = \"\"\"\n" + strings.Join(rules[100:], "\n")},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			if _, ok := segmentDecode(NewLoader(nil), []byte(tc.src)); ok {
				t.Fatal("decoded in segments")
			}
		})
	}
}

// TestLoaderSegmentsReportAsParse: through the Loader, a problem in a
// long file is reported exactly as Parse reports it (file, line, column,
// rule number), and an edit of one rule decodes one segment.
func TestLoaderSegmentsReportAsParse(t *testing.T) {
	rules := manyRules(1000, nil)
	main := filepath.Join(t.TempDir(), "rules.toml")
	l := NewLoader(nil)
	load := func(src string) error {
		snap, err := l.Load(main, []byte(src), false)
		if err == nil {
			_, err = l.Compile(snap)
		}
		return err
	}
	if err := load("version = 1\n" + strings.Join(rules, "\n")); err != nil {
		t.Fatal(err)
	}
	first := l.SegmentParses()
	if first < 1000/maxSegmentSpan {
		t.Fatalf("%d segments decoded for 1,000 rules", first)
	}
	rules[700] = strings.Replace(rules[700], `.example"]`, `.example", "https://new.example"]`, 1)
	if err := load("version = 1\n" + strings.Join(rules, "\n")); err != nil {
		t.Fatal(err)
	}
	if n := l.SegmentParses() - first; n != 1 {
		t.Fatalf("an edit of one rule decoded %d segments, want 1", n)
	}

	for _, bad := range []string{
		strings.Replace(rules[640], `origins = [`, `origins = ["https://bad.example/x", `, 1), // a validation problem
		strings.Replace(rules[640], `name =`, `name = 5 #`, 1),                                // a type problem
		rules[640] + "paths = [\"/dup/\"]\n",                                                  // a duplicate key: syntax
	} {
		edited := append([]string(nil), rules...)
		edited[640] = bad
		src := "version = 1\n" + strings.Join(edited, "\n")
		_, want := Parse([]byte(src))
		if want == nil {
			t.Fatalf("Parse accepts %q", bad)
		}
		got := load(src)
		if got == nil || got.Error() != want.Error() {
			t.Errorf("Loader: %v\nParse:  %v", got, want)
		}
		var p *Problem
		if !errors.As(got, &p) || p.Line < 640*5 {
			t.Errorf("problem not placed in rule 641: %v", got)
		}
	}

	// Warnings, of one rule and between rules, are placed as Parse places them.
	edited := append([]string(nil), rules...)
	edited[300] = strings.Replace(edited[300], `origins = [`, `origins = ["https://*.com", `, 1)
	edited[900] = strings.Replace(edited[899], `name = "site899"`, `name = "copy of site899"`, 1) // shadowed by rule 900
	src := "version = 1\n" + strings.Join(edited, "\n")
	want := mustParseInternal(t, src).Warnings()
	if got := compileWith(t, l, main, src).Warnings(); len(want) < 2 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Loader warnings: %v\nParse warnings:  %v", got, want)
	}
}

// compileWith loads src as the main file at path through l and compiles it.
func compileWith(t *testing.T, l *Loader, path, src string) *Table {
	t.Helper()
	snap, err := l.Load(path, []byte(src), false)
	if err != nil {
		t.Fatal(err)
	}
	table, err := l.Compile(snap)
	if err != nil {
		t.Fatal(err)
	}
	return table
}

func mustParseInternal(t *testing.T, src string) *Table {
	t.Helper()
	table, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return table
}

// FuzzSegments inserts fuzzed text into a file of 100 rules, at the start
// of an entry's line or inside one: whenever the segment decode takes the
// result, it must be the whole decode's, and the whole decode must find no
// problem.
func FuzzSegments(f *testing.F) {
	for _, s := range []string{
		"", "[[rule]]\n", "x = \"\"\"\n[[rule]]\n\"\"\"\n", "x = [\n[[rule]]\n]\n", "x = '''\n[[cache]]\n'''\n",
		"[defaults]\n", "[rule.x]\n", "# [[rule]]\n", "[[ rule ]]\n", "[[\"rule\"]]\n", "rule = 1\n",
		"x = { a = [\n[[rule]]\n] }\n", "\r\n[[rule]]\r\n", "[[cache]]\npaths = [\"/c/\"]\ncontrol = \"no-store\"\n",
	} {
		f.Add([]byte(s), uint8(50))
	}
	rules := manyRules(100, nil)
	f.Fuzz(func(t *testing.T, frag []byte, at uint8) {
		i := int(at) % len(rules)
		edited := append([]string(nil), rules...)
		edited[i] = string(frag) + edited[i]
		src := []byte("version = 1\n" + strings.Join(edited, "\n"))
		got, ok := segmentDecode(NewLoader(nil), src)
		if !ok {
			return
		}
		want, problems := wholeDecode(src)
		if len(problems) > 0 {
			t.Fatalf("segments accepted a file the whole decode refuses: %v", problems)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatal("segments decoded otherwise than the whole file")
		}
	})
}

// TestLoaderSegmentsReuseValidatedRules: after an edit of one rule the
// other segments' compiled rules are reused, the same pointers; an entry
// inserted above renumbers every rule below it, and a line inserted above
// a warning moves the warning.
func TestLoaderSegmentsReuseValidatedRules(t *testing.T) {
	rules := manyRules(1000, nil)
	rules[900] = strings.Replace(rules[900], `origins = [`, `origins = ["https://*.com", `, 1) // a warning
	main := filepath.Join(t.TempDir(), "rules.toml")
	l := NewLoader(nil)
	compile := func(src string) *Table {
		t.Helper()
		table := compileWith(t, l, main, src)
		if want := mustParseInternal(t, src); fmt.Sprint(table.Warnings()) != fmt.Sprint(want.Warnings()) {
			t.Fatalf("Loader warnings: %v\nParse warnings:  %v", table.Warnings(), want.Warnings())
		}
		for i, r := range table.Rules() {
			if r.Index() != i {
				t.Fatalf("rule %d has index %d", i, r.Index())
			}
		}
		return table
	}
	before := compile("version = 1\n" + strings.Join(rules, "\n")).Rules()

	rules[500] = strings.Replace(rules[500], `.example"]`, `.example", "https://new.example"]`, 1)
	after := compile("version = 1\n" + strings.Join(rules, "\n")).Rules()
	same := 0
	for i := range after {
		if after[i] == before[i] {
			same++
		}
	}
	if after[500] == before[500] || same < 1000-maxSegmentSpan || same == 1000 {
		t.Errorf("%d of 1,000 rules reused after an edit of one", same)
	}

	rules[5] = "# a comment line\n" + rules[5]
	compile("version = 1\n" + strings.Join(rules, "\n")) // the warning one line down

	rules = append(rules[:10], append([]string{manyRules(1, nil)[0]}, rules[10:]...)...)
	inserted := compile("version = 1\n" + strings.Join(rules, "\n")).Rules()
	if len(inserted) != 1001 || inserted[1000].Name() != "site999" {
		t.Errorf("after an insertion: %d rules, the last %q", len(inserted), inserted[len(inserted)-1].Name())
	}

	// A file short enough to decode whole lets the long one's segments go.
	compile("version = 1\n" + strings.Join(rules[:3], "\n"))
	if len(l.segments) != 0 {
		t.Errorf("%d segments kept after a file decoded whole", len(l.segments))
	}
}
