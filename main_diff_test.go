package main

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const diffOld = `version = 1
[[rule]]
name    = "site1"
paths   = ["/s/1/"]
origins = ["https://a.example", "https://*.a.example"]
[[rule]]
name    = "site2"
paths   = ["/s/2/"]
origins = ["https://b.example"]
`

// corsedge diff compares two files over a pairs file, and exits 0 when
// nothing changes, 1 when something does, 2 on a usage error.
func TestDiff(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		f := filepath.Join(dir, name)
		must(t, os.WriteFile(f, []byte(body), 0o644))
		return f
	}
	old := write("old.toml", diffOld)
	next := write("new.toml", strings.Replace(diffOld, `, "https://*.a.example"`, "", 1))
	pairs := write("pairs.txt", "# origin path count\nhttps://a.example /s/1/a.woff2 10\nhttps://x.a.example /s/1/%61.woff2 3\nhttps://b.example /s/2/ 7\n")
	for _, tc := range []struct {
		desc     string
		args     []string
		wantCode int
		want     []string
	}{
		{desc: "an edit refusing a subdomain", args: []string{"-pairs", pairs, old, next}, wantCode: 1, want: []string{
			"1 of 3 pairs change (3 requests); 3 of 20 allowed requests would be refused (15.0%)",
			`3  allowed->refused  https://x.a.example  /s/1/a.woff2  rule #1 ("site1") -> none`,
		}},
		{desc: "no edit", args: []string{"-pairs", pairs, old, old}, wantCode: 0, want: []string{"0 of 3 pairs change"}},
		{desc: "as JSON", args: []string{"-json", "-pairs", pairs, old, next}, wantCode: 1, want: []string{`"newly_refused_requests": 3`, `"change": "allowed->refused"`}},
		{desc: "no pairs source", args: []string{old, next}, wantCode: 2},
		{desc: "both pairs sources", args: []string{"-pairs", pairs, "-from", "127.0.0.1:1", old, next}, wantCode: 2},
		{desc: "one file", args: []string{"-pairs", pairs, old}, wantCode: 2},
		{desc: "a broken file", args: []string{"-pairs", pairs, old, write("bad.toml", "version = 1\n[[rule]]\n")}, wantCode: 2},
		{desc: "a broken pairs file", args: []string{"-pairs", write("bad.txt", "https://a.example\n"), old, next}, wantCode: 2},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(append([]string{"diff"}, tc.args...), &out, &errOut)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.wantCode, out.String(), errOut.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(squeeze(out.String()), squeeze(w)) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

// corsedge diff -from reads a running server's recorded traffic, and
// serve's -reload-guard reaches the server.
func TestDiffFromServer(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "rules.toml")
	next := filepath.Join(dir, "new.toml")
	must(t, os.WriteFile(old, []byte(diffOld), 0o644))
	must(t, os.WriteFile(next, []byte(strings.Replace(diffOld, `origins = ["https://b.example"]`, `origins = ["https://c.example"]`, 1)), 0o644))
	public, admin, out, done := startServe(t, "-rules", old, "-reload-guard", "10")
	defer stopServe(t, out, done)
	for range 4 {
		req, _ := http.NewRequest("GET", public+"/s/2/x.js", nil)
		req.Header.Set("Origin", "https://b.example")
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		resp.Body.Close()
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"diff", "-from", admin, old, next}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(squeeze(stdout.String()), "4 allowed->refused https://b.example /s/2/") {
		t.Errorf("diff -from:\n%s", stdout.String())
	}
	// The same edit on disk is held back by the guard: 4 of 4 allowed requests.
	must(t, os.Rename(next, old))
	resp, err := http.Post(admin+"/reload", "", nil)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity || metric(t, admin, "corsedge_rules_reload_held") != "1" {
		t.Errorf("reload past -reload-guard 10: %d, held %s", resp.StatusCode, metric(t, admin, "corsedge_rules_reload_held"))
	}
}

// squeeze turns every run of white space into one space: the text form's
// columns are as wide as their widest value.
func squeeze(s string) string { return strings.Join(strings.Fields(s), " ") }
