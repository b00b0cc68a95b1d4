package tomlpos_test

import (
	"strings"
	"testing"

	"corsedge/rules/internal/tomlpos"
)

// benchInputs are a realistic file and hostile ones of about 1 MB each; the
// hostile ones would show work that grows faster than the input.
var benchInputs = []struct {
	name string
	src  string
}{
	{name: "rules", src: strings.Repeat("[[rule]]\nname = \"partner app\" # why\n"+
		"origins = [\n  \"https://a.example\",\n  'https://*.b.example', # wildcard\n]\n"+
		"methods = [\"GET\", \"POST\"]\nmax_age = 600\n\n", 5000)},
	{name: "one-line-array", src: "a = [" + strings.Repeat("1, ", 1<<18) + "]\n"},
	{name: "deep-nesting", src: "a = " + strings.Repeat("[", 1<<19) + strings.Repeat("]", 1<<19) + "\n"},
	{name: "long-dotted-key", src: strings.Repeat("a.", 1<<19) + "a = 1\n"},
	{name: "fake-keys-in-string", src: "s = \"\"\"\n" + strings.Repeat("k = 1\n[[rule]]\n", 1<<16) + "\"\"\"\n"},
	{name: "unclosed-string", src: "s = '''" + strings.Repeat("x", 1<<20)},
	{name: "many-headers", src: strings.Repeat("[[rule]]\n", 1<<17)},
}

func BenchmarkScan(b *testing.B) {
	for _, in := range benchInputs {
		src := []byte(in.src)
		b.Run("input="+in.name, func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				tomlpos.Scan(src)
			}
		})
	}
}
