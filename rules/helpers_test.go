package rules_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"corsedge/rules"
)

// sampleFile is the sample rule table the README starts with.
const sampleFile = "../rules.toml"

// readFile returns a fixture's bytes, failing the test when it is missing.
func readFile(tb testing.TB, name string) []byte {
	tb.Helper()
	src, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	return src
}

// fixture returns testdata/name.
func fixture(tb testing.TB, name string) []byte {
	tb.Helper()
	return readFile(tb, filepath.Join("testdata", name))
}

// mustParse parses a file that must be valid.
func mustParse(tb testing.TB, src []byte) *rules.Table {
	tb.Helper()
	t, err := rules.Parse(src)
	if err != nil {
		tb.Fatalf("Parse: %v\nin:\n%s", err, src)
	}
	return t
}

// oneRule is a valid file of one rule for /a/ with the given origins and
// extra keys (TOML lines), for the cases that test one pattern or setting.
func oneRule(origins string, extra ...string) []byte {
	return []byte("version = 1\n[[rule]]\npaths = [\"/a/\"]\norigins = [" + origins + "]\n" +
		strings.Join(extra, "\n") + "\n")
}

// recorder is a rules.HeaderSetter that records each header set, so that a
// test sees the exact set a Decision writes, duplicates included.
type recorder [][2]string

func (r *recorder) SetCanonical(k, v []byte) { *r = append(*r, [2]string{string(k), string(v)}) }

// fields returns the recorded headers as "Name: value" lines, sorted, so that
// a test compares sets, not the order of writing.
func (r recorder) fields() []string {
	out := make([]string, len(r))
	for i, kv := range r {
		out[i] = kv[0] + ": " + kv[1]
	}
	slices.Sort(out)
	return out
}

// sortedFields sorts a want list the same way recorder.fields does.
func sortedFields(want ...string) []string {
	out := slices.Clone(want)
	slices.Sort(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// nopSetter is a HeaderSetter that keeps nothing, for allocation tests.
type nopSetter struct{}

func (nopSetter) SetCanonical([]byte, []byte) {}

// describe prints problems one a line, for failure messages.
func describe(ps []*rules.Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("\n\t")
		b.WriteString(p.Error())
	}
	return b.String()
}
