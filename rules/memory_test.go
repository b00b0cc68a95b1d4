package rules_test

import (
	"runtime"
	"strings"
	"testing"
)

// TestTableMemoryPerRule holds a table of many site rules (defaults
// inherited, two origins each) to a heap budget per rule: rules with the
// same settings share their compiled policy, and a prefix's few origin
// patterns are a slice, not maps. It was 1,550 B/rule before both.
func TestTableMemoryPerRule(t *testing.T) {
	const n, budget = 5000, 800
	var src strings.Builder
	src.WriteString("version = 1\n")
	for i := range n {
		src.WriteString(siteSrc(i, ""))
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	table := mustParse(t, []byte(src.String()))
	runtime.GC()
	runtime.ReadMemStats(&after)
	perRule := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	runtime.KeepAlive(table)
	if perRule > budget {
		t.Errorf("a table of %d site rules holds %d B/rule, want at most %d", n, perRule, budget)
	}
}
