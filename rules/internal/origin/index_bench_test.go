package origin_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"corsedge/rules/internal/origin"
)

// benchIndex holds n exact, n any-port and n wildcard patterns, with the
// Any pattern absent so that misses cost all probes.
func benchIndex(b *testing.B, n int) *origin.Index {
	var ix origin.Index
	for i := range n {
		ix.Add(mustParse(b, fmt.Sprintf("https://host%d.example.com", i)), 3*i)
		ix.Add(mustParse(b, fmt.Sprintf("http://dev%d.example.com:*", i)), 3*i+1)
		ix.Add(mustParse(b, fmt.Sprintf("https://*.tenant%d.example.net", i)), 3*i+2)
	}
	return &ix
}

func BenchmarkLookup(b *testing.B) {
	for _, n := range []int{10, 10000} {
		last := strconv.Itoa(n - 1)
		ix := benchIndex(b, n)
		for _, bc := range []struct{ kind, origin string }{
			{kind: "exact", origin: "https://host" + last + ".example.com"},
			{kind: "anyport", origin: "http://dev" + last + ".example.com:3000"},
			{kind: "wildcard", origin: "https://a.b.tenant" + last + ".example.net"},
			{kind: "miss", origin: "https://nobody.example.org"},
			{kind: "malformed", origin: "HTTPS://HOST1.EXAMPLE.COM:0443/"},
			// Hostile: the most labels a host may have, each a wildcard probe.
			{kind: "manylabels", origin: "https://" + strings.Repeat("a.", 115) + "tenant" + last + ".example.net"},
			{kind: "toolong", origin: "https://" + strings.Repeat("a", 4096)},
		} {
			origin := []byte(bc.origin)
			b.Run(fmt.Sprintf("patterns=%d/kind=%s", n, bc.kind), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					ix.Lookup(origin)
				}
			})
		}
	}
}
