package rules_test

import (
	"fmt"
	"strings"
)

// A layout is a way to build a large rules file in code, for the compile
// benchmarks and for the tests that hold compiling and shadow checking
// linear in the number of rules.
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
	// Every rule under one prefix with a wildcard and an any-port origin
	// that no other rule covers: shadow checking must not compare each
	// pattern with every earlier one.
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
	// A warning in every rule: collecting problems must not be quadratic.
	{"warning-each", func(n int) []byte {
		return genRules(n, func(b *strings.Builder, i int) {
			fmt.Fprintf(b, "paths = [\"/p%d/\"]\norigins = [\"http://h%d.example\"]\ncredentials = true\n", i, i)
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

// matchTable is a file of n rules for the Match benchmark: a "*" rule for
// /pub/, then n-1 rules for /js/, exact and wildcard origins in turn. It
// returns an Origin of each kind, for the last rule of that kind, so that a
// table that scanned its rules would show it.
func matchTable(n int) (src []byte, exact, wildcard string) {
	src = genRules(n, func(b *strings.Builder, i int) {
		switch {
		case i == 0:
			b.WriteString("paths = [\"/pub/\"]\norigins = [\"*\"]\n")
		case i%2 == 0:
			fmt.Fprintf(b, "paths = [\"/js/\"]\norigins = [\"https://app%d.example.com\"]\n", i)
			exact = fmt.Sprintf("https://app%d.example.com", i)
		default:
			fmt.Fprintf(b, "paths = [\"/js/\"]\norigins = [\"https://*.t%d.example.org\"]\n", i)
			wildcard = fmt.Sprintf("https://a.b.t%d.example.org", i)
		}
	})
	return src, exact, wildcard
}
