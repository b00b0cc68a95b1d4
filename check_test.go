package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckDeepNesting: check refuses a deeply nested file with the same
// problem a reload gives, instead of decoding it for seconds and gigabytes.
func TestCheckDeepNesting(t *testing.T) {
	file := filepath.Join(t.TempDir(), "deep.toml")
	src := "version = 1\nx = " + strings.Repeat("{a=", 10000) + "1" + strings.Repeat("}", 10000) + "\n"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	code := run([]string{"check", file}, &out, &out)
	want := file + ":2:101: nests deeper than 32 tables and arrays (table header segments, dotted keys, inline tables and arrays all count; a rules file needs 3)\n" +
		file + ": 1 errors, 0 warnings\n"
	if code != 1 || out.String() != want {
		t.Errorf("check exit %d:\n%s\nwant exit 1:\n%s", code, out.String(), want)
	}
}
