package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestCommands(t *testing.T) {
	for _, tc := range []struct {
		desc     string
		args     []string
		wantCode int
		want     []string // lines or fragments expected in stdout+stderr
	}{
		{"check a good file", []string{"check", "rules.toml"}, 0, []string{"rules.toml: ok: 3 rules"}},
		{
			"check reports every error with FILE:LINE:COL, warnings too", []string{"check", "testdata/invalid.toml"}, 1,
			[]string{
				"testdata/invalid.toml:8:17: rule #1 (\"x\") origins[1]: \"https://A.com\": host must be lowercase",
				"testdata/invalid.toml:9:12: rule #1 (\"x\") methods[0]: \"CONNECT\": is a forbidden method",
				"testdata/invalid.toml:9:23: warning: rule #1 (\"x\") methods[1]: \"get\"",
				"testdata/invalid.toml:12:1: rule #1 (\"x\") foo: unknown key",
				"testdata/invalid.toml: 15 errors, 1 warnings",
			},
		},
		{"check a missing file", []string{"check", "testdata/nope.toml"}, 1, []string{"no such file"}},
		{"check without a file", []string{"check"}, 2, []string{"usage: corsedge check FILE"}},
		{
			"explain an accepted preflight", []string{"explain", "-method", "POST", "-headers", "content-type", "https://a.example.org", "/js/app.js"}, 0,
			[]string{
				`rule #2 ("partner apps") decides: "https://a.example.org" matches "https://*.example.org"`,
				"status: 204 No Content",
				"  Access-Control-Allow-Origin: https://a.example.org",
				"  Access-Control-Allow-Credentials: true",
				"  Access-Control-Allow-Methods: GET, HEAD, POST",
				"  Access-Control-Allow-Headers: content-type, x-request-id",
				"  Access-Control-Max-Age: 600",
			},
		},
		{
			"explain a preflight refused for its method", []string{"explain", "-method", "PUT", "https://app.example.com", "/js/app.js"}, 0,
			[]string{`method "PUT" is not in GET, HEAD, POST`, "status: 403 Forbidden (method not allowed)"},
		},
		{
			"explain a credentialed request to a * rule", []string{"explain", "-credentials", "https://x.example", "/fonts/a.woff2"}, 0,
			[]string{"a credentialed request fails in the browser", "  Access-Control-Allow-Origin: *"},
		},
		{
			"explain a path no rule covers", []string{"explain", "https://x.example", "/img/a.png"}, 0,
			[]string{`no rule lists a prefix of "/img/a.png": no CORS headers`, "headers: none from CORS"},
		},
		{"explain with a bad rules file", []string{"explain", "-rules", "testdata/invalid.toml", "https://x.example", "/"}, 1, []string{"15 errors"}},
		{"explain without arguments", []string{"explain"}, 2, []string{"usage: corsedge explain"}},
		{"unknown command", []string{"frobnicate"}, 2, []string{`unknown command "frobnicate"`}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var out bytes.Buffer
			code := run(tc.args, &out, &out)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d; output:\n%s", code, tc.wantCode, out.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

// The binary, as an operator runs it: it starts on the sample rules with the
// demo set, says where, serves a font with CORS, and exits 0 on SIGTERM.
func TestServeBinary(t *testing.T) {
	bin := corsedgeBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-addr", "127.0.0.1:0", "-admin", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stderr)
	var start string
	for lines.Scan() {
		if strings.Contains(lines.Text(), "corsedge serving") {
			start = lines.Text()
			break
		}
	}
	go io.Copy(io.Discard, stderr)
	m := regexp.MustCompile(`url=(http://\S+)`).FindStringSubmatch(start)
	if m == nil || !strings.Contains(start, "embedded demo set") {
		t.Fatalf("startup line %q does not say what is served where", start)
	}
	font := demoFont(t, start)
	req, _ := http.NewRequest("GET", m[1]+"/"+font, nil)
	req.Header.Set("Origin", "https://anyone.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Content-Type") != "font/woff2" {
		t.Errorf("GET /%s: %d %v", font, resp.StatusCode, resp.Header)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
}

// demoFont finds the font the startup line lists.
func demoFont(t *testing.T, start string) string {
	m := regexp.MustCompile(`fonts/[^ ,"]+\.woff2`).FindString(start)
	if m == "" {
		t.Fatalf("no woff2 font in the startup line %q", start)
	}
	return m
}
