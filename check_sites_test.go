package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCheckIncludedFiles: check reads every included file and prints each
// problem at FILE:LINE:COL of the file it is in.
func TestCheckIncludedFiles(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "rules.toml")
	for name, src := range map[string]string{
		"rules.toml":     "version = 1\ninclude = [\"sites.d/*.toml\"]\n",
		"sites.d/a.toml": "[[rule]]\npaths = [\"/s/a/\"]\norigins = [\"https://a.example\"]\n",
		"sites.d/b.toml": "[[rule]]\npaths = [\"/s/b/\"]\norigins = [\"https://b.example\", \"ftp://b\"]\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b := filepath.Join(dir, "sites.d", "b.toml")
	var out bytes.Buffer
	code := run([]string{"check", main}, &out, &out)
	want := b + `:3:33: rule #1 origins[1]: "ftp://b": unknown scheme "ftp" (want http or https)` + "\n" + main + ": 1 errors, 0 warnings\n"
	if code != 1 || out.String() != want {
		t.Errorf("check exit %d:\n%s\nwant exit 1:\n%s", code, out.String(), want)
	}
	if err := os.WriteFile(b, []byte("[[rule]]\npaths = [\"/s/b/\"]\norigins = [\"https://b.example\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run([]string{"check", main}, &out, &out); code != 0 || out.String() != main+": ok: 2 rules in 3 files\n" {
		t.Errorf("check exit %d:\n%s", code, out.String())
	}
}
