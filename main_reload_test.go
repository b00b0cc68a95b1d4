package main

import (
	"bytes"
	"corsedge/internal/testlog"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

const oneRule = "version = 1\n[[rule]]\npaths = [\"/fonts/\"]\norigins = [\"*\"]\n"

// serve catches SIGHUP itself (edge only reloads when told), and INT/TERM
// end it with status 0. The rules file is a symlink into another directory,
// so no file event announces the edit: only the signal can.
func TestServeSignals(t *testing.T) {
	target := filepath.Join(t.TempDir(), "real.toml")
	must(t, os.WriteFile(target, []byte(oneRule), 0o644))
	file := filepath.Join(t.TempDir(), "rules.toml")
	must(t, os.Symlink(target, file))
	out := &testlog.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"serve", "-addr", "127.0.0.1:0", "-admin", "127.0.0.1:0", "-poll", "0", "-rules", file}, out, out)
	}()
	adminRe := regexp.MustCompile(`admin=(http://\S+/status)`)
	var status string
	for deadline := time.Now().Add(5 * time.Second); status == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := adminRe.FindStringSubmatch(out.String()); m != nil {
			status = m[1]
		}
	}
	if status == "" {
		t.Fatalf("serve did not start:\n%s", out.String())
	}
	rulesInService := func() int {
		resp, err := http.Get(status)
		if err != nil {
			return -1
		}
		defer resp.Body.Close()
		var st struct{ Rules int }
		json.NewDecoder(resp.Body).Decode(&st)
		return st.Rules
	}
	must(t, os.WriteFile(target, []byte(oneRule+"[[rule]]\npaths = [\"/js/\"]\norigins = [\"*\"]\n"), 0o644))
	for _, tc := range []struct {
		desc  string
		sig   syscall.Signal
		check func() bool
	}{
		{"SIGHUP reloads", syscall.SIGHUP, func() bool { return rulesInService() == 2 }},
		{"SIGUSR2 is logged and ignored, not the end of the process", syscall.SIGUSR2, func() bool {
			return strings.Contains(out.String(), "SIGUSR2") && rulesInService() == 2
		}},
		{"SIGTERM drains and exits 0", syscall.SIGTERM, func() bool {
			select {
			case code := <-done:
				if code != 0 {
					t.Errorf("exit %d after SIGTERM:\n%s", code, out.String())
				}
				return true
			case <-time.After(10 * time.Millisecond):
				return false
			}
		}},
	} {
		must(t, syscall.Kill(os.Getpid(), tc.sig))
		ok := false
		for deadline := time.Now().Add(5 * time.Second); !ok && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			ok = tc.check()
		}
		if !ok {
			t.Fatalf("%s: not within 5 s:\n%s", tc.desc, out.String())
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// check reads the rules file as the server does and gives its errors.
func TestCheckRefusesUnsafeFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.toml")
	must(t, syscall.Mkfifo(fifo, 0o644))
	zero := filepath.Join(dir, "zero.toml")
	must(t, os.Symlink("/dev/zero", zero))
	big := filepath.Join(dir, "big.toml")
	must(t, os.WriteFile(big, []byte(oneRule+"# "+strings.Repeat("x", 200)+"\n"), 0o644))
	for _, tc := range []struct {
		desc string
		args []string
		want string
	}{
		{"a FIFO", []string{"check", fifo}, fifo + ": read " + fifo + ": not a regular file: it is a named pipe (FIFO)"},
		{"a symlink to /dev/zero", []string{"check", zero}, "read " + zero + ": not a regular file: it is a character device"},
		{"a file over -max-rules-size", []string{"check", "-max-rules-size", "100", big}, "read " + big + ": file too large: 260 bytes, over the limit of 100"},
	} {
		var out bytes.Buffer
		done := make(chan int, 1)
		go func() { done <- run(tc.args, &out, &out) }()
		select {
		case code := <-done:
			if code != 1 || !strings.Contains(out.String(), tc.want) {
				t.Errorf("%s: exit %d, output %q; want 1 and %q", tc.desc, code, out.String(), tc.want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: check still running after 5 s", tc.desc)
		}
	}
}
