package main

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"corsedge/internal/accesslog/logtest"
	"corsedge/internal/testlog"
)

// SIGUSR1 after logrotate's rename: the renamed file keeps its line and
// gets no new one; the new file at the path gets the next request's.
func TestServeReopensAccessLogOnSIGUSR1(t *testing.T) {
	dir := t.TempDir()
	rulesFile := filepath.Join(dir, "rules.toml")
	must(t, os.WriteFile(rulesFile, []byte(oneRule), 0o644))
	logFile := filepath.Join(dir, "access.log")
	out := &testlog.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"serve", "-addr", "127.0.0.1:0", "-admin", "", "-poll", "0", "-rules", rulesFile,
			"-access-log", logFile, "-access-log-format", "combined"}, out, out)
	}()
	defer func() {
		must(t, syscall.Kill(os.Getpid(), syscall.SIGTERM))
		if code := <-done; code != 0 {
			t.Errorf("exit %d:\n%s", code, out.String())
		}
	}()
	base := waitOutput(t, out, regexp.MustCompile(` url=(http://\S+)`))
	get := func(path string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	linesOf := func(name string) []string {
		b, _ := os.ReadFile(name)
		lines, err := logtest.Lines(string(b))
		if err != nil {
			t.Fatal(err)
		}
		return lines
	}
	waitLines := func(name string, n int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); len(linesOf(name)) < n; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d lines, want %d:\n%s", name, len(linesOf(name)), n, out.String())
			}
		}
	}
	get("/fonts/before")
	waitLines(logFile, 1)
	must(t, os.Rename(logFile, logFile+".1"))
	must(t, syscall.Kill(os.Getpid(), syscall.SIGUSR1))
	waitOutput(t, out, regexp.MustCompile(`(access log reopened)`))
	get("/fonts/after")
	waitLines(logFile, 1)
	old, renewed := linesOf(logFile+".1"), linesOf(logFile)
	if len(old) != 1 || !strings.Contains(old[0], "/fonts/before") || len(renewed) != 1 || !strings.Contains(renewed[0], "/fonts/after") {
		t.Errorf("renamed file:\n%s\nnew file:\n%s", strings.Join(old, "\n"), strings.Join(renewed, "\n"))
	}
}

// waitOutput waits up to 5 s for re to match out and returns its first group.
func waitOutput(t *testing.T, out *testlog.Buffer, re *regexp.Regexp) string {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("no %q within 5 s:\n%s", re, out.String())
	return ""
}

func TestServeRefusesBadAccessLogFlags(t *testing.T) {
	for _, tc := range []struct {
		desc string
		args []string
		code int
		want string
	}{
		{"unknown format", []string{"-access-log", "-", "-access-log-format", "clf"}, 2, `format "clf"`},
		{"sample above 1", []string{"-access-log", "-", "-access-log-sample", "2"}, 2, "from 0 to 1"},
		{"sample not a number", []string{"-access-log-sample", "NaN"}, 2, "from 0 to 1"},
		{"file in a missing directory", []string{"-access-log", filepath.Join(t.TempDir(), "no", "access.log")}, 1, "no such file"},
	} {
		out := &testlog.Buffer{}
		code := run(append([]string{"serve", "-addr", "127.0.0.1:0", "-admin", ""}, tc.args...), out, out)
		if code != tc.code || !strings.Contains(out.String(), tc.want) {
			t.Errorf("%s: exit %d, want %d and %q in:\n%s", tc.desc, code, tc.code, tc.want, out.String())
		}
	}
}
