package rules_test

import (
	"fmt"
	"strings"
	"testing"

	"corsedge/rules"
)

func BenchmarkMatch(b *testing.B) {
	for _, n := range []int{10, 10000} {
		src, exact, wildcard := matchTable(n)
		table := mustParse(b, src)
		for _, c := range []struct{ kind, origin, path string }{
			{"exact", exact, "/js/app.js"},
			{"wildcard", wildcard, "/js/app.js"},
			{"any", "https://anything.test", "/pub/x.js"},
			{"miss", "https://evil.example.org", "/js/app.js"},
			{"none", "", "/js/app.js"},
		} {
			origin, path := []byte(c.origin), []byte(c.path)
			if d := table.Match(origin, path); d.Allowed() != (c.kind != "miss" && c.kind != "none") {
				b.Fatalf("rules=%d origin=%s: Allowed() = %v", n, c.kind, d.Allowed())
			}
			b.Run(fmt.Sprintf("rules=%d/origin=%s", n, c.kind), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					table.Match(origin, path)
				}
			})
		}
	}
}

func BenchmarkPreflight(b *testing.B) {
	ten := []string{"content-type", "x-request-id", "x-a", "x-b", "x-c", "x-d", "x-e", "x-f", "x-g", "x-h"}
	quoted := make([]string, len(ten))
	for i, h := range ten {
		quoted[i] = fmt.Sprintf("%q", h)
	}
	table := mustParse(b, oneRule(`"https://app.example.com"`,
		`methods = ["POST"]`, "headers = ["+strings.Join(quoted, ", ")+"]"))
	d := table.Match([]byte("https://app.example.com"), []byte("/a/x"))
	for _, c := range []struct {
		name string
		acrh string
		want rules.Refusal
	}{
		{"typical", "content-type,x-request-id", rules.Accepted},
		{"ten", strings.Join(ten, ","), rules.Accepted},
		{"hostile", strings.Repeat(",", 10000), rules.RefusedHeaders},
		{"long", strings.Repeat("x", 10000), rules.RefusedHeaders},
	} {
		acrh, method := [][]byte{[]byte(c.acrh)}, []byte("POST")
		if got := d.Preflight(method, acrh); got != c.want {
			b.Fatalf("acrh=%s: %v, want %v", c.name, got, c.want)
		}
		b.Run("acrh="+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d.Preflight(method, acrh)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		for _, l := range layouts {
			src := l.gen(n)
			b.Run(fmt.Sprintf("rules=%d/layout=%s", n, l.name), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(src)))
				for b.Loop() {
					if _, err := rules.Parse(src); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
