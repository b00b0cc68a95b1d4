package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"corsedge/assets"
	"corsedge/edge"
)

// explainPrefixes are the prefixes of the rules TestExplainCleansAsTheServer
// serves; rule i exposes "x-prefix-i", so a response names the prefix the
// server applied.
var explainPrefixes = []string{"/fonts/", "/js/", "/js/v", "/js\\..\\fonts/", "/FONTS/"}

// TestExplainCleansAsTheServer runs every request target of
// edge/testdata/paths.txt through a real server and through explain: both
// must select the same prefix.
func TestExplainCleansAsTheServer(t *testing.T) {
	dir := t.TempDir()
	var src strings.Builder
	src.WriteString("version = 1\n")
	for i, p := range explainPrefixes {
		fmt.Fprintf(&src, "[[rule]]\npaths = [%q]\norigins = [\"*\"]\nexpose = [\"x-prefix-%d\"]\n", p, i)
	}
	rulesFile := filepath.Join(dir, "rules.toml")
	if err := os.WriteFile(rulesFile, []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	served := servedPrefixes(t, rulesFile, dir)
	for _, c := range readPathCases(t) {
		t.Run(c.desc, func(t *testing.T) {
			var out bytes.Buffer
			if code := run([]string{"explain", "-rules", rulesFile, "https://a.test", c.target}, &out, &out); code != 0 {
				t.Fatalf("explain exit %d:\n%s", code, out.String())
			}
			explained := ""
			if m := regexp.MustCompile(`longest matching prefix ("[^"]*")`).FindStringSubmatch(out.String()); m != nil {
				fmt.Sscanf(m[1], "%q", &explained)
			}
			if got := served(c.target); got != explained {
				t.Errorf("%s: the server applies prefix %q, explain says %q:\n%s", c.target, got, explained, out.String())
			}
		})
	}
}

// servedPrefixes starts the server on rulesFile and returns a function that
// sends one request target and reports the prefix whose rule answered.
func servedPrefixes(t *testing.T, rulesFile, root string) func(target string) string {
	files, err := assets.New(assets.Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	srv, err := edge.New(edge.Config{RulesFile: rulesFile, Assets: files, Poll: -1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- srv.Run(ctx, ln, nil) }()
	t.Cleanup(func() { stop(); <-done })
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	r := bufio.NewReader(conn)
	return func(target string) string {
		req := "GET " + target + " HTTP/1.1\r\nHost: cdn.test\r\nOrigin: https://a.test\r\n\r\n"
		if _, err := io.WriteString(conn, req); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		var i int
		if _, err := fmt.Sscanf(resp.Header.Get("Access-Control-Expose-Headers"), "x-prefix-%d", &i); err != nil {
			return ""
		}
		return explainPrefixes[i]
	}
}

// readPathCases reads edge/testdata/paths.txt: a request target, a tab, and
// what the case holds, per line.
func readPathCases(t *testing.T) []struct{ desc, target string } {
	t.Helper()
	src, err := os.ReadFile("edge/testdata/paths.txt")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct{ desc, target string }
	for line := range strings.Lines(string(src)) {
		line = strings.TrimSuffix(line, "\n")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		target, desc, _ := strings.Cut(line, "\t")
		cases = append(cases, struct{ desc, target string }{desc, target})
	}
	return cases
}
