package rules_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"corsedge/rules"
)

// TestLoadChangedTouchesOnlyNamedFiles: a reload told which site files
// changed stats and reads those alone, yet sees edits, new and removed
// files; a change of the include globs falls back to a full scan.
func TestLoadChangedTouchesOnlyNamedFiles(t *testing.T) {
	const n = 50
	dir := sitesDir(t, n)
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	main := filepath.Join(dir, "rules.toml")
	siteFile := func(i int) string { return filepath.Join(abs, fmt.Sprintf("sites.d/site%06d.toml", i)) }
	var reads []string
	l := rules.NewLoader(func(p string) ([]byte, error) { reads = append(reads, p); return os.ReadFile(p) })
	if _, err := load(t, l, dir); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		desc    string
		edit    func() []string // the event names
		stats   uint64
		reads   int
		rules   int
		origins []string // one that must be allowed on /s/7/, or none
		refused string   // one that must be refused on /s/7/, or none
	}{
		{"one site edited", func() []string {
			writeFiles(t, dir, map[string]string{"sites.d/site000007.toml": siteSrc(7, `, "https://new7.example"`)})
			return []string{siteFile(7)}
		}, 1, 1, n, []string{"https://new7.example"}, ""},
		{"events that no glob matches", func() []string {
			return []string{filepath.Join(abs, "sites.d/.site000001.toml.swp"), filepath.Join(abs, "sites.d/notes.txt"), filepath.Join(abs, "other.toml")}
		}, 0, 0, n, nil, ""},
		{"one site added", func() []string {
			writeFiles(t, dir, map[string]string{"sites.d/site999999.toml": siteSrc(999999, "")})
			return []string{siteFile(999999)}
		}, 1, 1, n + 1, nil, ""},
		{"one site removed", func() []string {
			if err := os.Remove(siteFile(7)); err != nil {
				t.Fatal(err)
			}
			return []string{siteFile(7)}
		}, 1, 0, n, nil, "https://site7.example"},
	} {
		names := c.edit()
		stats, before := l.Stats(), len(reads)
		src, err := os.ReadFile(main)
		if err != nil {
			t.Fatal(err)
		}
		snap, err := l.LoadChanged(main, src, names)
		if err != nil {
			t.Fatalf("%s: %v", c.desc, err)
		}
		table, err := l.Compile(snap)
		if err != nil {
			t.Fatalf("%s: %v", c.desc, err)
		}
		if got := l.Stats() - stats; got != c.stats {
			t.Errorf("%s: %d files stat'ed, want %d", c.desc, got, c.stats)
		}
		if got := reads[before:]; len(got) != c.reads {
			t.Errorf("%s: read %q, want %d files", c.desc, got, c.reads)
		}
		if got := len(table.Rules()); got != c.rules {
			t.Errorf("%s: %d rules, want %d", c.desc, got, c.rules)
		}
		for _, o := range c.origins {
			if d := table.Match([]byte(o), []byte("/s/7/x")); !d.Allowed() {
				t.Errorf("%s: %s refused on /s/7/", c.desc, o)
			}
		}
		if c.refused != "" {
			if d := table.Match([]byte(c.refused), []byte("/s/7/x")); d.Allowed() {
				t.Errorf("%s: %s allowed on /s/7/", c.desc, c.refused)
			}
		}
		full, err := load(t, rules.NewLoader(readAll), dir)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(full.Files(), table.Files()) {
			t.Errorf("%s: the patched table's files differ from a full load's", c.desc)
		}
	}
	// A changed include list is a new set of files: every one is looked at.
	writeFiles(t, dir, map[string]string{"rules.toml": "version = 1\ninclude = [\"sites.d/site00000*.toml\"]\n"})
	stats := l.Stats()
	src, _ := os.ReadFile(main)
	snap, err := l.LoadChanged(main, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Stats() - stats; got != 9 {
		t.Errorf("include changed: %d files stat'ed, want the 9 it matches", got)
	}
	if got := len(snap.Files()); got != 10 {
		t.Errorf("include changed: %d files, want 10", got)
	}
}
