package rules_test

import (
	"fmt"
	"strings"
	"testing"

	"corsedge/rules"
)

// TestNestingBound holds that a deeply nested file is refused before it is
// decoded: 10,000 nested inline tables (40 KB) cost BurntSushi/toml 10 s and
// 4 GB, dotted keys and headers of 10,000 segments hundreds of MB.
func TestNestingBound(t *testing.T) {
	const n = 10000
	segments := strings.TrimSuffix(strings.Repeat("a.", n), ".")
	for _, c := range []struct {
		desc     string
		doc      string
		line     int
		col      int
		deepFail bool // the nesting problem, else some other error
	}{
		{"10,000 nested inline tables", "version = 1\nx = " + strings.Repeat("{a=", n) + "1" + strings.Repeat("}", n), 2, 5 + 3*rules.MaxNesting, true},
		{"10,000 nested arrays", "version = 1\nx = " + strings.Repeat("[", n) + strings.Repeat("]", n), 2, 5 + rules.MaxNesting, true},
		{"a dotted key of 10,000 segments", "version = 1\n" + segments + " = 1", 2, 2*(rules.MaxNesting+1) + 1, true},
		{"a table header of 10,000 segments", "version = 1\n[" + segments + "]", 2, 2 * (rules.MaxNesting + 1), true},
		{"inside a rule", "version = 1\n[[rule]]\npaths = [\"/a/\"]\norigins = " + strings.Repeat("[", n) + strings.Repeat("]", n), 4, 11 + rules.MaxNesting - 1, true},
		{"MaxNesting inline tables: decoded, then an unknown key", "version = 1\nx = " + strings.Repeat("{a=", rules.MaxNesting) + "1" + strings.Repeat("}", rules.MaxNesting), 2, 1, false},
	} {
		t.Run(c.desc, func(t *testing.T) {
			_, err := rules.Parse([]byte(c.doc))
			p := rules.FirstError(err)
			if p == nil {
				t.Fatalf("no error")
			}
			deep := strings.Contains(p.Reason, fmt.Sprintf("nests deeper than %d tables and arrays", rules.MaxNesting))
			if deep != c.deepFail || p.Line != c.line || p.Col != c.col || p.Warning {
				t.Errorf("problem %q; want the nesting problem %v at %d:%d", p, c.deepFail, c.line, c.col)
			}
		})
	}
}
