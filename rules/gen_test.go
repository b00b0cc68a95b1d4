package rules_test

import (
	"fmt"
	"strings"
)

// A layout is a way to build a large rules file in code, for benchmarks and
// for the tests that hold compile time and shadow checking linear.
type layout struct {
	name string
	gen  func(n int) []byte
}

var layouts = []layout{
	// Half the rules with a prefix and an exact origin each, half sharing
	// one prefix with a wildcard origin each.
	{"mixed", func(n int) []byte {
		return genRules(n, func(b *strings.Builder, i int) {
			if i%2 == 0 {
				fmt.Fprintf(b, "paths = [\"/p%d/\"]\norigins = [\"https://site%d.example\"]\n", i, i)
			} else {
				fmt.Fprintf(b, "paths = [\"/shared/\"]\norigins = [\"https://*.w%d.example\"]\n", i)
			}
		})
	}},
	// Every rule under one prefix with a wildcard origin no other covers:
	// shadow checking must not compare each pattern with every earlier one.
	{"one-prefix-wildcards", func(n int) []byte {
		return genRules(n, func(b *strings.Builder, i int) {
			fmt.Fprintf(b, "paths = [\"/js/\"]\norigins = [\"https://*.w%d.example.com\", \"http://h%d.example.com:*\"]\n", i, i)
		})
	}},
	// Every rule under one prefix with an exact origin.
	{"one-prefix-exact", func(n int) []byte {
		return genRules(n, func(b *strings.Builder, i int) {
			fmt.Fprintf(b, "paths = [\"/js/\"]\norigins = [\"https://app%d.example.com\"]\n", i)
		})
	}},
}

// genRules writes a rules file of n rules, each [[rule]] body from body.
func genRules(n int, body func(b *strings.Builder, i int)) []byte {
	var b strings.Builder
	b.WriteString("version = 1\n")
	for i := range n {
		fmt.Fprintf(&b, "\n[[rule]]\nname = \"rule %d\"\n", i)
		body(&b, i)
	}
	return []byte(b.String())
}
