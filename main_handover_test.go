package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"corsedge/edge"
	"corsedge/internal/testpki"
	"corsedge/internal/workers"
)

// handoverRig is a corsedge binary installed at a path, started from it as
// an operator would, and the tools to swap that file and send SIGUSR2.
type handoverRig struct {
	t                        *testing.T
	dir, bin, rules, pidFile string
	log                      string // both processes' stderr, one file
	cmd                      *exec.Cmd
	notify                   *net.UnixConn // systemd's side of sd_notify
	public, admin            string
}

// buildRelease builds this source with main.release stamped, so that two
// builds answer /status with different versions.
func buildRelease(t *testing.T, dir, release string) string {
	t.Helper()
	out := filepath.Join(dir, "corsedge-"+release)
	build := exec.Command("go", "build", "-ldflags", "-X main.release="+release, "-o", out, ".")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

// startHandoverRig installs first and starts it with serve's flags for
// loopback ports, the PID file and sd_notify, then args.
func startHandoverRig(t *testing.T, first string, args ...string) *handoverRig {
	t.Helper()
	dir := t.TempDir()
	r := &handoverRig{t: t, dir: dir, bin: filepath.Join(dir, "corsedge"), rules: filepath.Join(dir, "rules.toml"),
		pidFile: filepath.Join(dir, "corsedge.pid"), log: filepath.Join(dir, "stderr.log")}
	r.install(first)
	rules, err := os.ReadFile("rules.toml")
	must(t, err)
	must(t, os.WriteFile(r.rules, rules, 0o644))
	logFile, err := os.Create(r.log)
	must(t, err)
	defer logFile.Close()
	r.cmd = exec.Command(r.bin, append([]string{"serve", "-addr", "127.0.0.1:0", "-admin", "127.0.0.1:0", "-rules", r.rules,
		"-pid-file", r.pidFile, "-poll", "0"}, args...)...)
	r.notify = listenNotify(t, dir)
	r.cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+r.notify.LocalAddr().String())
	r.cmd.Stderr = logFile // a file, so that Wait does not wait for the new process holding it too
	must(t, r.cmd.Start())
	t.Cleanup(func() {
		// Whoever serves at the end (the new process is not our child).
		if pid := r.servingPID(); pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		r.cmd.Process.Kill()
		r.cmd.Wait()
	})
	re := regexp.MustCompile(`url=(http://\S+).*admin=(http://\S+)/status`)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(r.stderr()); m != nil {
			r.public, r.admin = m[1], m[2]
			return r
		}
	}
	t.Fatalf("corsedge did not start:\n%s", r.stderr())
	return nil
}

// listenNotify is a stand-in for systemd's notification socket.
func listenNotify(t *testing.T, dir string) *net.UnixConn {
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "notify"), Net: "unixgram"})
	must(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// notified is the next sd_notify message.
func (r *handoverRig) notified() string {
	r.notify.SetReadDeadline(time.Now().Add(10 * time.Second))
	b := make([]byte, 256)
	n, err := r.notify.Read(b)
	must(r.t, err)
	return string(b[:n])
}

// install puts binary at the rig's path as install(1) does: a new file
// renamed over the old, which the running process keeps executing.
func (r *handoverRig) install(binary string) {
	b, err := os.ReadFile(binary)
	must(r.t, err)
	tmp := r.bin + ".new"
	must(r.t, os.WriteFile(tmp, b, 0o755))
	must(r.t, os.Rename(tmp, r.bin))
}

func (r *handoverRig) stderr() string {
	b, _ := os.ReadFile(r.log)
	return string(b)
}

func (r *handoverRig) servingPID() int {
	b, _ := os.ReadFile(r.pidFile)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// serving is which process and build answer /status: its process
// section, or with -workers its supervisor section and each worker's
// build ("not ready" for one that is not).
type serving struct {
	pid     int
	version string
	workers []string // -workers only
}

func (r *handoverRig) process() (serving, error) {
	resp, err := http.Get(r.admin + "/status")
	if err != nil {
		return serving{}, err
	}
	defer resp.Body.Close()
	var st struct {
		Process edge.StatusProcess `json:"process"` // one process
		workers.Status
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return serving{}, err
	}
	if st.Supervisor.PID == 0 {
		return serving{pid: st.Process.PID, version: st.Process.Version}, nil
	}
	out := serving{pid: st.Supervisor.PID, version: st.Supervisor.Version}
	for _, w := range st.Workers {
		var ws edge.Status
		if w.State != "ready" || json.Unmarshal(w.Status, &ws) != nil {
			out.workers = append(out.workers, "not ready")
			continue
		}
		out.workers = append(out.workers, ws.Process.Version)
	}
	return out, nil
}

// is says whether build version serves, in every worker too.
func (s serving) is(version string) bool {
	for _, w := range s.workers {
		if w != version {
			return false
		}
	}
	return s.version == version
}

// startHandoverLoad requests a font with CORS without pause, on
// keep-alive connections and on a new connection each time, and probes the
// admin /readyz (each on a new connection, as a load balancer would), until
// stopped, and sends more's requests too: a refused connection, an error,
// a wrong answer or a /readyz that is not 200 is a failure.
func startHandoverLoad(url, admin string, more ...loadTarget) *clientLoad {
	targets := append(times(4, loadTarget{url: url, origin: "https://anyone.example", check: wantCORS}),
		loadTarget{client: fresh, url: admin + "/readyz", check: wantOK, pause: 5 * time.Millisecond})
	return startLoad(false, append(targets, more...)...)
}

// An upgrade is "install the new file, send SIGUSR2": under continuous
// handoverLoad on keep-alive and fresh connections, build B takes over
// from build A with no failed request, no refused connection and no
// /readyz but 200; A exits 0, the PID file and systemd name B's process.
// With -workers the whole server is handed over: the new supervisor takes
// every worker's socket and the admin one, starts its own workers on
// them, and only when every one serves do the old workers drain — at once
// (HandOverSignal), not after the 30 s -shutdown-delay the test would not
// wait for — and the old supervisor exit.
// Both serve HTTPS too, under the same load.
func TestBinaryHandOverUnderLoad(t *testing.T) {
	dir := t.TempDir()
	a, b := buildRelease(t, dir, "A"), buildRelease(t, dir, "B")
	ca := testpki.NewCA(t)
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	ca.Issue(t, testpki.Spec{}).Write(t, cert, key)
	https := []string{"-tls-addr", "127.0.0.1:0", "-tls-cert", cert, "-tls-key", key}
	t.Run("one process", func(t *testing.T) { handOverUnderLoad(t, ca, a, b, "one process", https...) })
	t.Run("workers", func(t *testing.T) {
		handOverUnderLoad(t, ca, a, b, "supervisor", append(https, "-workers", "2", "-shutdown-delay", "30s")...)
	})
}

func handOverUnderLoad(t *testing.T, ca *testpki.CA, a, b, what string, args ...string) {
	r := startHandoverRig(t, a, args...)
	tlsURL := regexp.MustCompile(`tls_url=(https://\S+)`).FindStringSubmatch(r.stderr())
	if tlsURL == nil {
		t.Fatalf("no tls_url in the start line:\n%s", r.stderr())
	}
	before, err := r.process()
	must(t, err)
	if !before.is("A") || before.pid != r.cmd.Process.Pid || r.servingPID() != before.pid {
		t.Fatalf("before: /status says %+v; started %d, pid file %d", before, r.cmd.Process.Pid, r.servingPID())
	}
	if got, want := r.notified(), fmt.Sprintf("MAINPID=%d\nREADY=1", before.pid); got != want {
		t.Errorf("systemd was told %q, want %q", got, want)
	}
	oldWorkers := r.workerPIDs()
	font := "/" + demoFont(t, r.stderr())
	l := startHandoverLoad(r.public+font, r.admin, times(2, loadTarget{url: tlsURL[1] + font, origin: "https://anyone.example", check: wantCORS,
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"}}}})...)
	time.Sleep(300 * time.Millisecond)
	r.install(b)
	must(t, r.cmd.Process.Signal(syscall.SIGUSR2))
	exited := make(chan error, 1)
	go func() { exited <- r.cmd.Wait() }()
	var after serving
	for deadline := time.Now().Add(30 * time.Second); !after.is("B"); time.Sleep(20 * time.Millisecond) {
		after, err = r.process()
		if time.Now().After(deadline) {
			t.Fatalf("build B never answered /status (last: %+v %v):\n%s", after, err, r.stderr())
		}
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the old %s exited with %v, want 0:\n%s", what, err, r.stderr())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the old %s did not exit after the hand-over:\n%s", what, r.stderr())
	}
	for _, pid := range oldWorkers {
		if !processGone(pid) {
			t.Errorf("old worker %d still runs after its supervisor exited", pid)
		}
	}
	time.Sleep(300 * time.Millisecond) // load on B alone
	noFailure(t, l.stop(), 100)
	if got, want := r.notified(), fmt.Sprintf("MAINPID=%d\nREADY=1", after.pid); got != want {
		t.Errorf("after the hand-over systemd was told %q, want %q", got, want)
	}
	if after.pid == before.pid || r.servingPID() != after.pid {
		t.Errorf("after: /status pid %d (old %d), pid file %d", after.pid, before.pid, r.servingPID())
	}
	for _, want := range []string{"the new binary is ready", "handed over to the new", "serving the sockets handed over by the previous process"} {
		if !strings.Contains(r.stderr(), want) {
			t.Errorf("the log does not say %q:\n%s", want, r.stderr())
		}
	}
	must(t, syscall.Kill(after.pid, syscall.SIGTERM))
}

// workerPIDs are the PIDs of a -workers server's workers; nil for one
// process.
func (r *handoverRig) workerPIDs() []int {
	st, err := readWorkersStatus(r.admin)
	must(r.t, err)
	return workerPIDs(st)
}

// A hand-over that fails changes nothing: a new file that cannot start, or
// a new process that cannot load its rules, leaves the old one serving
// without a failed request, and says why; once fixed, USR2 works. The same
// with -workers, where the new supervisor's first worker refuses the rules.
func TestFailedHandOverKeepsServing(t *testing.T) {
	dir := t.TempDir()
	a, b := buildRelease(t, dir, "A"), buildRelease(t, dir, "B")
	t.Run("one process", func(t *testing.T) { failedHandOver(t, a, b) })
	t.Run("workers", func(t *testing.T) { failedHandOver(t, a, b, "-workers", "2") })
}

func failedHandOver(t *testing.T, a, b string, args ...string) {
	dir := t.TempDir()
	r := startHandoverRig(t, a, args...)
	font := demoFont(t, r.stderr())
	l := startHandoverLoad(r.public+"/"+font, r.admin)
	broken := filepath.Join(dir, "broken")
	must(t, os.WriteFile(broken, []byte("#!/bin/sh\necho 'cannot start' >&2\nexit 3\n"), 0o755))
	good, err := os.ReadFile(r.rules)
	must(t, err)
	for _, step := range []struct {
		desc, binary, rules, want string
	}{
		{"a binary that exits at once", broken, "", "exit status 3"},
		{"rules the new process refuses", b, "version = 1\n[[rule]\n", "did not take over"},
	} {
		r.install(step.binary)
		if step.rules != "" {
			must(t, os.WriteFile(r.rules, []byte(step.rules), 0o644))
		}
		before := strings.Count(r.stderr(), "did not take over")
		must(t, r.cmd.Process.Signal(syscall.SIGUSR2))
		for deadline := time.Now().Add(20 * time.Second); strings.Count(r.stderr(), "did not take over") == before; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: no failure logged:\n%s", step.desc, r.stderr())
			}
		}
		if !strings.Contains(r.stderr(), step.want) {
			t.Errorf("%s: the log does not say %q:\n%s", step.desc, step.want, r.stderr())
		}
		if now, err := r.process(); err != nil || !now.is("A") || now.pid != r.cmd.Process.Pid {
			t.Errorf("%s: /status says %+v (%v), want the old process", step.desc, now, err)
		}
	}
	// Fixed: the good rules back, build B installed; the next USR2 works.
	must(t, os.WriteFile(r.rules, good, 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	must(t, r.cmd.Process.Signal(syscall.SIGUSR2))
	for {
		if now, err := r.process(); err == nil && now.is("B") {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("build B did not take over once fixed:\n%s", r.stderr())
		case <-time.After(20 * time.Millisecond):
		}
	}
	must(t, r.cmd.Wait())
	noFailure(t, l.stop(), 100)
}

// The sockets kept for a hand-over do not outlive a SIGTERM: once the
// drain has closed the listener, while a slow download still holds the
// process, a new connection is refused at once, as without hand-overs —
// not accepted into a queue that no one will read.
func TestSIGTERMClosesTheKeptSockets(t *testing.T) {
	root := t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "big.js"), make([]byte, 64<<20), 0o644))
	r := startHandoverRig(t, corsedgeBinary(t), "-root", root, "-shutdown-delay", "200ms")
	slow, err := net.Dial("tcp", strings.TrimPrefix(r.public, "http://"))
	must(t, err)
	defer slow.Close()
	_, err = slow.Write([]byte("GET /big.js HTTP/1.1\r\nHost: x\r\n\r\n"))
	must(t, err)
	must(t, slow.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err = slow.Read(make([]byte, 1)) // the answer has begun; the rest waits in socket buffers
	must(t, err)
	must(t, r.cmd.Process.Signal(syscall.SIGTERM))
	time.Sleep(time.Second) // past the delay: the listener is closed, the download still runs
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(r.public, "http://"), 2*time.Second)
	if err == nil {
		c.Close()
		t.Fatalf("a new connection was accepted after the drain closed the listener")
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("a new connection after the drain: %v, want connection refused", err)
	}
	slow.Close()
	if err := r.cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v\n%s", err, r.stderr())
	}
}
