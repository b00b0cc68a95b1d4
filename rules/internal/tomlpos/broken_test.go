package tomlpos_test

import (
	"testing"

	"github.com/BurntSushi/toml"

	"corsedge/rules/internal/tomlpos"
)

// brokenInputs are documents BurntSushi/toml rejects. Scan is only meant for
// documents that parsed, but it must still neither panic nor point outside
// the text when a caller gets that wrong.
var brokenInputs = []struct {
	desc string
	src  string
}{
	{desc: "unterminated basic string", src: "a = \"open\nb = 1\n"},
	{desc: "basic string ending in a backslash at the end", src: "a = \"x\\"},
	{desc: "unterminated literal string", src: "a = 'open"},
	{desc: "unterminated multi-line basic string", src: "a = \"\"\"never\n[t]\nb = 1\n"},
	{desc: "multi-line basic string ending in a backslash", src: "a = \"\"\"x\\"},
	{desc: "unterminated multi-line literal string", src: "a = '''never"},
	{desc: "six closing quotes", src: "a = '''x''''''\n"},
	{desc: "unclosed array", src: "a = [1, [2, 3]\nb = 2\n"},
	{desc: "unclosed inline table", src: "a = { x = 1\n"},
	{desc: "mismatched brackets", src: "a = [1}\nb = {]\n"},
	{desc: "only closing brackets", src: "a = ]]]\n"},
	{desc: "unclosed header", src: "[defaults\nx = 1\n"},
	{desc: "unclosed array-of-tables header", src: "[[rule]\nx = 1\n"},
	{desc: "split array-of-tables header", src: "[[rule] ]\n"},
	{desc: "empty header", src: "[]\n"},
	{desc: "empty array-of-tables header", src: "[[]]\n"},
	{desc: "header with trailing dot", src: "[a.]\n"},
	{desc: "key without value", src: "a =\n"},
	{desc: "key without equals", src: "a\n"},
	{desc: "value without key", src: "= 1\n"},
	{desc: "two pairs on a line", src: "a = 1 b = 2\n"},
	{desc: "unterminated quoted key", src: "\"key = 1\n"},
	{desc: "dotted key with empty part", src: "a.  = 1\n"},
	{desc: "duplicate key", src: "a = 1\na = 2\n"},
	{desc: "duplicate table", src: "[a]\nx = 1\n[a]\nx = 2\n"},
	{desc: "lone backslash value", src: "a = \\\n"},
	{desc: "invalid UTF-8", src: "\xff = 1\nb = \"\xc3\"\n"},
	{desc: "NUL byte", src: "a = 1\x00\n"},
	{desc: "partial byte order mark", src: "\xef\xbbname = 1\n"},
	{desc: "bare carriage return", src: "a = 1\rb = 2\n"},
}

func TestScanBrokenInput(t *testing.T) {
	for _, tc := range brokenInputs {
		t.Run(tc.desc, func(t *testing.T) {
			var v map[string]any
			if _, err := toml.Decode(tc.src, &v); err == nil {
				t.Fatalf("BurntSushi/toml accepts this, so it does not test broken input")
			}
			checkWithin(t, []byte(tc.src), tomlpos.Scan([]byte(tc.src)))
		})
	}
}
