package tomlpos_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/BurntSushi/toml"

	"corsedge/rules/internal/tomlpos"
)

func FuzzScan(f *testing.F) {
	for _, tc := range scanCases {
		f.Add([]byte(tc.src))
	}
	for _, tc := range brokenInputs {
		f.Add([]byte(tc.src))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		checkWithin(t, src, tomlpos.Scan(src))
		checkFollowsToEnd(t, src)
	})
}

// checkWithin fails t if a known position in ix is not on a character of
// src: the line must exist and the column must not pass its last character.
func checkWithin(t *testing.T, src []byte, ix *tomlpos.Index) {
	t.Helper()
	text := string(src)
	for _, bom := range []string{"\xef\xbb\xbf", "\xfe\xff", "\xff\xfe"} {
		if t, ok := strings.CutPrefix(text, bom); ok {
			text = t
			break
		}
	}
	lines := strings.Split(text, "\n")
	for _, p := range tomlpos.Positions(ix) {
		if p.Line < 1 || p.Line > len(lines) || p.Col < 1 || p.Col > utf8.RuneCountInString(lines[p.Line-1]) {
			t.Errorf("position %+v is outside the document %q", p, src)
		}
	}
}

// sentinel is appended to documents to see whether Scan followed them to
// the end: if the result is valid TOML, Scan must find the sentinel table on
// the lines after the document. A scanner that lost its way in a string,
// array or comment would miss it, or stop before it.
const sentinel = "\n[[tomlpos_sentinel]]\nsentinel = 1\n"

// checkFollowsToEnd fails t if Scan misses the sentinel appended to a valid
// src. Documents that are not valid with it are skipped.
func checkFollowsToEnd(t *testing.T, src []byte) {
	t.Helper()
	if bytes.Contains(src, []byte("tomlpos_sentinel")) {
		return
	}
	doc := string(src) + sentinel
	var v map[string]any
	if _, err := toml.Decode(doc, &v); err != nil {
		return
	}
	ix := tomlpos.Scan([]byte(doc))
	line := bytes.Count(src, []byte("\n")) + 2
	if got, want := ix.Table("tomlpos_sentinel", 0), (tomlpos.Pos{Line: line, Col: 1}); got != want {
		t.Errorf("sentinel header at %+v, want %+v, in %q", got, want, doc)
	}
	if got, want := ix.Key("tomlpos_sentinel", 0, "sentinel"), (tomlpos.Pos{Line: line + 1, Col: 1}); got != want {
		t.Errorf("sentinel key at %+v, want %+v, in %q", got, want, doc)
	}
}
