package tomlpos_test

import (
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"corsedge/rules/internal/tomlpos"
)

const maxDepth = 4

// depthCases are documents at the bound (not too deep) and one past it, with
// the place where the bound is passed.
var depthCases = []struct {
	desc string
	doc  string
	at   tomlpos.Pos // zero: not too deep
}{
	{desc: "flat document", doc: "version = 1\n[[rule]]\npaths = [\"/a/\"]\n"},
	{desc: "inline tables at the bound", doc: "a = {b = {c = {d = {e = 1}}}}"},
	{desc: "inline tables past it", doc: "a = {b = {c = {d = {e = {f = 1}}}}}", at: tomlpos.Pos{Line: 1, Col: 25}},
	{desc: "arrays at the bound", doc: "a = [[[[1]]]]"},
	{desc: "arrays past it", doc: "a = [[[[[1]]]]]", at: tomlpos.Pos{Line: 1, Col: 9}},
	{desc: "arrays over several lines, with comments", doc: "a = [ # [[[[\n [\n  [[[1]]],\n ],\n]", at: tomlpos.Pos{Line: 3, Col: 5}},
	{desc: "brackets in strings do not count", doc: "a = [\"[[[[[[\", '{{{{{{', \"\"\"\n[[[[[[\n\"\"\"]"},
	{desc: "dotted key at the bound", doc: "a.b.c.d.e = 1"},
	{desc: "dotted key past it", doc: "a.b.c.d.e.f = 1", at: tomlpos.Pos{Line: 1, Col: 11}},
	{desc: "quoted dots are not segments", doc: "\"a.b.c.d.e.f\" = 1"},
	{desc: "table header at the bound", doc: "[a.b.c.d]\nx = 1"},
	{desc: "table header past it", doc: "[a.b.c.d.e]\nx = 1", at: tomlpos.Pos{Line: 1, Col: 10}},
	{desc: "array-of-tables header past it", doc: "[[a.b.c.d.e]]\nx = 1", at: tomlpos.Pos{Line: 1, Col: 11}},
	{desc: "keys under a header add to its depth", doc: "[a.b]\nc.d.e.f = 1", at: tomlpos.Pos{Line: 2, Col: 7}},
	{desc: "a new header starts again", doc: "[a.b.c.d]\nx = 1\n[e]\nf.g.h = [1]"},
	{desc: "dotted keys inside inline tables add up", doc: "a = {b.c = {d.e = {f.g = 1}}}", at: tomlpos.Pos{Line: 1, Col: 19}},
	{desc: "values after a dotted key do not keep its depth", doc: "a = {b.c.d = 1, e = {f = [1]}}"},
	{desc: "inline tables and arrays mixed", doc: "a = [{b = [{c = [1]}]}]", at: tomlpos.Pos{Line: 1, Col: 17}},
	{desc: "a second statement on its own depth", doc: "a = [[[1]]]\nb = [[[[1]]]]"},
	{desc: "10,000 levels: the first one past the bound", doc: "a = " + strings.Repeat("{a=", 10000) + "1" + strings.Repeat("}", 10000),
		at: tomlpos.Pos{Line: 1, Col: 17}},
}

func TestTooDeep(t *testing.T) {
	for _, c := range depthCases {
		t.Run(c.desc, func(t *testing.T) {
			at, deep := tomlpos.TooDeep([]byte(c.doc), maxDepth)
			if deep != c.at.Known() || at != c.at {
				t.Errorf("TooDeep = %v, %v; want %v", at, deep, c.at)
			}
			if len(c.doc) > 1000 {
				return // decoding it is what the bound prevents
			}
			var v map[string]any
			if _, err := toml.Decode(c.doc, &v); err != nil {
				t.Errorf("the case is not valid TOML: %v", err)
			}
		})
	}
}

func FuzzTooDeep(f *testing.F) {
	for _, c := range depthCases {
		f.Add(c.doc)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		at, deep := tomlpos.TooDeep([]byte(doc), maxDepth)
		if deep != at.Known() {
			t.Fatalf("TooDeep = %v, %v", at, deep)
		}
	})
}
