package edge_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"corsedge/edge"
)

const sitesMain = "version = 1\ninclude = [\"sites.d/*.toml\"]\n"

func siteRule(name string) string {
	return fmt.Sprintf("[[rule]]\nname = %q\npaths = [\"/s/%s/\"]\norigins = [\"https://%s.example\"]\n", name, name, name)
}

// saveAtomic writes src to a dotfile beside name, which include globs skip,
// and renames it over name: the way automation should write a site file.
func saveAtomic(t *testing.T, name, src string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(name), "."+filepath.Base(name)+".tmp")
	must(t, os.WriteFile(tmp, []byte(src), 0o644))
	must(t, os.Rename(tmp, name))
}

// allows reports whether a preflight from site's origin to its prefix is allowed.
func (ts *testServer) allows(t *testing.T, site string) bool {
	resp := ts.do(t, "OPTIONS", "/s/"+site+"/app.js", "Origin: https://"+site+".example", "Access-Control-Request-Method: GET")
	return resp.Header.Get("Access-Control-Allow-Origin") == "https://"+site+".example"
}

// TestSitesDirectory edits a directory of site files the ways automation
// does, each step checked through the public port and /status.
func TestSitesDirectory(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "rules.toml")
	sites := filepath.Join(dir, "sites.d")
	writeFile(t, main, sitesMain)
	writeFile(t, filepath.Join(sites, "a.toml"), siteRule("a"))
	ts := startServerOn(t, main, func(c *edge.Config) { c.Debounce = 20 * time.Millisecond })
	for _, c := range []struct {
		desc    string
		edit    func()
		allowed []string
		refused []string
		failed  string // in /status last_error, when the edit is refused
	}{
		{"at start", func() {}, []string{"a"}, []string{"b"}, ""},
		{"a new site file", func() { saveAtomic(t, filepath.Join(sites, "b.toml"), siteRule("b")) }, []string{"a", "b"}, nil, ""},
		{"a half-written site file keeps the previous table", func() {
			must(t, os.WriteFile(filepath.Join(sites, "b.toml"), []byte("[[rule]]\nname = \"b\"\npaths = [\"/s/b/\"]\norig"), 0o644))
		}, []string{"a", "b"}, nil, filepath.Join(sites, "b.toml") + ":4:4: syntax error"},
		{"the edit finished", func() { saveAtomic(t, filepath.Join(sites, "b.toml"), siteRule("b")+siteRule("c")) }, []string{"a", "b", "c"}, nil, ""},
		{"a removed site file's origins are refused", func() { must(t, os.Remove(filepath.Join(sites, "a.toml"))) }, []string{"b", "c"}, []string{"a"}, ""},
		{"an empty site directory", func() { must(t, os.Remove(filepath.Join(sites, "b.toml"))) }, nil, []string{"b", "c"}, ""},
	} {
		c.edit()
		ok := waitFor(5*time.Second, func() bool {
			for _, s := range c.allowed {
				if !ts.allows(t, s) {
					return false
				}
			}
			for _, s := range c.refused {
				if ts.allows(t, s) {
					return false
				}
			}
			st := ts.status(t)
			if c.failed == "" {
				return st.LastError == nil
			}
			return st.LastError != nil && strings.Contains(st.LastError.Message, c.failed)
		})
		if !ok {
			st := ts.status(t)
			msg := ""
			if st.LastError != nil {
				msg = st.LastError.Message
			}
			t.Fatalf("%s: want %v allowed, %v refused, error %q; last error %q", c.desc, c.allowed, c.refused, c.failed, msg)
		}
	}
	st := ts.status(t)
	if len(st.Files) != 1 || st.Files[0].Path != main || st.Files[0].SHA256 != st.RulesSHA256 {
		t.Errorf("/status files: %+v", st.Files)
	}
}

// TestSitesConfigMapSwap swaps a ConfigMap volume of site files the way
// the kubelet does: a new timestamped directory, the ..data symlink renamed
// over, the user-visible symlinks of removed keys deleted.
func TestSitesConfigMapSwap(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "rules.toml")
	sites := filepath.Join(dir, "sites.d")
	writeFile(t, main, sitesMain)
	writeFile(t, filepath.Join(sites, "..2024_1", "a.toml"), siteRule("a"))
	writeFile(t, filepath.Join(sites, "..2024_1", "b.toml"), siteRule("b"))
	must(t, os.Symlink("..2024_1", filepath.Join(sites, "..data")))
	for _, n := range []string{"a.toml", "b.toml"} {
		must(t, os.Symlink(filepath.Join("..data", n), filepath.Join(sites, n)))
	}
	ts := startServerOn(t, main, func(c *edge.Config) { c.Debounce = 20 * time.Millisecond })
	if !ts.allows(t, "a") || !ts.allows(t, "b") || len(ts.status(t).Files) != 3 {
		t.Fatalf("at start: /status %+v", ts.status(t))
	}
	// Version 2: b edited to c's origins... b removed, c added.
	writeFile(t, filepath.Join(sites, "..2024_2", "a.toml"), siteRule("a"))
	writeFile(t, filepath.Join(sites, "..2024_2", "c.toml"), siteRule("c"))
	must(t, os.Symlink(filepath.Join("..data", "c.toml"), filepath.Join(sites, "c.toml")))
	must(t, os.Symlink("..2024_2", filepath.Join(sites, "..data_tmp")))
	must(t, os.Rename(filepath.Join(sites, "..data_tmp"), filepath.Join(sites, "..data")))
	must(t, os.Remove(filepath.Join(sites, "b.toml")))
	must(t, os.RemoveAll(filepath.Join(sites, "..2024_1")))
	if !waitFor(5*time.Second, func() bool { return ts.allows(t, "a") && ts.allows(t, "c") && !ts.allows(t, "b") }) {
		t.Fatalf("after the swap: /status %+v", ts.status(t))
	}
	if st := ts.status(t); len(st.Files) != 3 || st.Files[2].Path != filepath.Join(sites, "c.toml") {
		t.Errorf("/status files: %+v", st.Files)
	}
}

// TestSitesIncrementalReload: an edit of one of many site files decodes
// that file alone.
func TestSitesIncrementalReload(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "rules.toml")
	sites := filepath.Join(dir, "sites.d")
	writeFile(t, main, sitesMain)
	const n = 50
	for i := range n {
		writeFile(t, filepath.Join(sites, fmt.Sprintf("site%03d.toml", i)), siteRule(fmt.Sprint("s", i)))
	}
	ts := startServerOn(t, main, func(c *edge.Config) { c.Debounce = 20 * time.Millisecond })
	if got := edge.Parses(ts.srv); got != n+1 {
		t.Fatalf("start decoded %d files, want %d", got, n+1)
	}
	before := edge.Parses(ts.srv)
	saveAtomic(t, filepath.Join(sites, "site007.toml"), siteRule("s7")+siteRule("new"))
	if !waitFor(5*time.Second, func() bool { return ts.allows(t, "new") }) {
		t.Fatal("edit not in effect")
	}
	time.Sleep(100 * time.Millisecond) // any further event of the edit is handled
	if got := edge.Parses(ts.srv) - before; got != 1 {
		t.Errorf("the edit decoded %d files, want 1", got)
	}
	if !ts.allows(t, "s42") {
		t.Error("an unedited site is refused")
	}
}
