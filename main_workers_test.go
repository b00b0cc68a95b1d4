package main

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"corsedge/edge"
	"corsedge/internal/accesslog/logtest"
	"corsedge/internal/testlog"
	"corsedge/internal/testpki"
	"corsedge/internal/workers"
)

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// corsedgeBinary builds the binary once for every test that runs it as
// an operator would (and as a supervisor runs its workers), with the race
// detector when the tests have it.
func corsedgeBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "corsedge-bin-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "corsedge")
		args := []string{"build", "-o", binPath}
		if raceBuild {
			args = append(args, "-race")
		}
		if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// supervisor is a running `corsedge -workers N`.
type supervisor struct {
	cmd           *exec.Cmd
	public, admin string
	out           *testlog.Buffer // stdout and stderr, the workers' too
	exited        chan error      // Wait's result, once it has exited
}

// startWorkers runs the binary with -workers n on loopback ports, no
// poll, and args; it returns once the supervisor says every worker
// serves. The cleanup stops it if the test has not.
func startWorkers(t *testing.T, n int, args ...string) *supervisor {
	t.Helper()
	s := &supervisor{out: &testlog.Buffer{}, exited: make(chan error, 1)}
	s.cmd = exec.Command(corsedgeBinary(t), append([]string{"serve", "-workers", strconv.Itoa(n),
		"-addr", "127.0.0.1:0", "-admin", "127.0.0.1:0", "-poll", "0"}, args...)...)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	s.cmd.WaitDelay = 20 * time.Second // workers that outlive it hold the output pipe
	must(t, s.cmd.Start())
	go func() { s.exited <- s.cmd.Wait() }()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.exited
	})
	re := regexp.MustCompile(`msg="corsedge serving with \d+ workers" url=(http://\S+) .*admin=(http://\S+)/status`)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(s.out.String()); m != nil {
			s.public, s.admin = m[1], m[2]
			return s
		}
		select {
		case err := <-s.exited:
			t.Fatalf("the supervisor exited before serving: %v\n%s", err, s.out)
		default:
		}
	}
	t.Fatalf("the supervisor did not start:\n%s", s.out)
	return nil
}

// stop sends SIGTERM and wants exit status 0 within bound.
func (s *supervisor) stop(t *testing.T, bound time.Duration) {
	t.Helper()
	must(t, s.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-s.exited:
		s.exited <- err // for the cleanup
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, s.out)
		}
	case <-time.After(bound):
		t.Fatalf("the supervisor did not exit within %v of SIGTERM:\n%s", bound, s.out)
	}
}

// status reads the supervisor's /status.
func (s *supervisor) status(t *testing.T) workers.Status {
	t.Helper()
	st, err := readWorkersStatus(s.admin)
	must(t, err)
	return st
}

// readWorkersStatus reads a supervisor's /status at admin.
func readWorkersStatus(admin string) (workers.Status, error) {
	var st workers.Status
	resp, err := http.Get(admin + "/status")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	err = json.NewDecoder(resp.Body).Decode(&st)
	return st, err
}

// workerStatus decodes one worker's own /status from the supervisor's.
func workerStatus(t *testing.T, w workers.WorkerStatus) edge.Status {
	t.Helper()
	var st edge.Status
	if err := json.Unmarshal(w.Status, &st); err != nil {
		t.Fatalf("worker %d's status %q: %v (error %q)", w.Worker, w.Status, err, w.Error)
	}
	return st
}

func (s *supervisor) pids(t *testing.T) []int { return workerPIDs(s.status(t)) }

// workerPIDs are the PIDs of the workers' processes in st.
func workerPIDs(st workers.Status) []int {
	var pids []int
	for _, w := range st.Workers {
		pids = append(pids, w.PID)
	}
	return pids
}

// fresh is a client that opens a new connection for every request, so
// that the kernel picks a worker for each.
var fresh = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// allowOrigin GETs path with Origin origin on a new connection and
// returns the Access-Control-Allow-Origin answered.
func allowOrigin(t *testing.T, url, origin string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Origin", origin)
	resp, err := fresh.Do(req)
	must(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return resp.Header.Get("Access-Control-Allow-Origin")
}

// Three workers answer on one port: each is its own process, the kernel
// gives each a share of new connections (every request is counted by
// exactly one worker), and /metrics is one valid exposition with a
// worker label on each worker's series.
func TestWorkersShareOnePort(t *testing.T) {
	const n, requests = 3, 300
	s := startWorkers(t, n)
	st := s.status(t)
	if st.Supervisor.Workers != n || st.Supervisor.Ready != n || !st.Supervisor.SameTable || len(st.Workers) != n {
		t.Fatalf("status: %+v", st.Supervisor)
	}
	seen := map[int]bool{s.cmd.Process.Pid: true}
	for _, w := range st.Workers {
		if seen[w.PID] || w.PID == 0 || w.State != "ready" || w.Restarts != 0 {
			t.Errorf("worker %d: pid %d (the supervisor is %d), state %s, %d restarts", w.Worker, w.PID, s.cmd.Process.Pid, w.State, w.Restarts)
		}
		seen[w.PID] = true
		if ws := workerStatus(t, w); ws.Generation != 1 || ws.RulesSHA256 != st.Supervisor.RulesSHA256 {
			t.Errorf("worker %d serves generation %d, sha256 %s; the supervisor says %s", w.Worker, ws.Generation, ws.RulesSHA256, st.Supervisor.RulesSHA256)
		}
	}
	url := s.public + "/" + demoFont(t, s.out.String())
	for range requests {
		allowOrigin(t, url, "https://anyone.example")
	}
	// /worker/i/PATH is worker i's own endpoint.
	resp, err := http.Get(s.admin + "/worker/2/status")
	must(t, err)
	var own edge.Status
	must(t, json.NewDecoder(resp.Body).Decode(&own))
	resp.Body.Close()
	if own.RulesSHA256 != st.Supervisor.RulesSHA256 || own.Generation != 1 {
		t.Errorf("/worker/2/status: %+v", own)
	}
	if code := statusOf(s.admin + "/worker/3/status"); code != 404 {
		t.Errorf("/worker/3/status of 3 workers: %d, want 404", code)
	}
	if code := statusOf(s.admin + "/worker/0/debug/pprof/cmdline"); code != 200 {
		t.Errorf("/worker/0/debug/pprof/cmdline: %d", code)
	}

	resp, err = http.Get(s.admin + "/metrics")
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	checkExposition(t, string(body))
	perWorker := map[string]int{}
	sample := regexp.MustCompile(`(?m)^corsedge_requests_total\{worker="(\d)",kind="actual",decision="allowed"\} (\d+)$`)
	for _, m := range sample.FindAllStringSubmatch(string(body), -1) {
		c, _ := strconv.Atoi(m[2])
		perWorker[m[1]] += c
	}
	total := 0
	for i := range n {
		c := perWorker[strconv.Itoa(i)]
		if c == 0 {
			t.Errorf("worker %d served none of %d requests on new connections", i, requests)
		}
		total += c
	}
	t.Logf("requests per worker: %v", perWorker)
	if total != requests {
		t.Errorf("the workers counted %d requests, want %d", total, requests)
	}
	for _, want := range []string{"corsedge_workers 3\n", `corsedge_worker_up{worker="2"} 1`, "corsedge_workers_same_table 1\n", `process_resident_memory_bytes{worker="0"} `} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	s.stop(t, 20*time.Second)
}

// checkExposition checks the text format's rules that a merge can break:
// a family's TYPE once, before its samples, which lie together.
func checkExposition(t *testing.T, text string) {
	t.Helper()
	typed := map[string]bool{}
	done := map[string]bool{} // families whose samples ended
	current := ""
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "#" && f[1] == "TYPE" {
			if typed[f[2]] {
				t.Errorf("a second TYPE line for %s", f[2])
			}
			typed[f[2]] = true
			if current != "" {
				done[current] = true
			}
			current = f[2]
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		name := sampleFamily(line, current)
		if name != current {
			if current != "" {
				done[current] = true
			}
			current = name
		}
		if done[name] {
			t.Errorf("samples of %s are not together: %q", name, line)
			done[name] = false // once per family
		}
	}
}

// sampleFamily is the family of a sample line: the current one for its
// histogram and summary series.
func sampleFamily(line, current string) string {
	name := line[:strings.IndexAny(line, "{ ")]
	for _, suffix := range []string{"", "_bucket", "_sum", "_count"} {
		if current != "" && name == current+suffix {
			return current
		}
	}
	return name
}

// A reload reaches every worker: after an edit no file event announces
// (the rules file is a symlink into another directory), POST /reload on
// the supervisor answers once each worker has reloaded, and from then on
// every new connection, whichever worker takes it, gets the new answer.
// A bad edit is refused by each and the table stays; SIGHUP reloads all.
func TestWorkersReload(t *testing.T) {
	const n = 3
	target := filepath.Join(t.TempDir(), "real.toml")
	file := filepath.Join(t.TempDir(), "rules.toml")
	must(t, os.Symlink(target, file))
	allow := func(origin string) string {
		return fmt.Sprintf("version = 1\n[[rule]]\npaths = [\"/fonts/\"]\norigins = [%q]\n", origin)
	}
	must(t, os.WriteFile(target, []byte(allow("https://a.example")), 0o644))
	s := startWorkers(t, n, "-rules", file)
	url := s.public + "/" + demoFont(t, s.out.String())
	everyAnswer := func(desc, origin, want string) {
		t.Helper()
		for range 60 {
			if got := allowOrigin(t, url, origin); got != want {
				t.Fatalf("%s: Origin %s got ACAO %q, want %q", desc, origin, got, want)
			}
		}
	}
	everyAnswer("before the edit", "https://b.example", "")

	edited := allow("https://b.example")
	must(t, os.WriteFile(target, []byte(edited), 0o644))
	sum := fmt.Sprintf("%x", sha256.Sum256([]byte(edited)))
	// The workers' recorded traffic adds up, and a dry run asks each.
	pairs, err := fetchTraffic(s.admin)
	must(t, err)
	if len(pairs) != 1 || pairs[0].Origin != "https://b.example" || pairs[0].Path != "/fonts/" || pairs[0].Count != 60 {
		t.Errorf("/traffic after 60 requests from https://b.example: %+v", pairs)
	}
	resp, err := http.Post(s.admin+"/reload?dry_run=1", "", nil)
	must(t, err)
	var dry struct {
		Workers []struct {
			Worker, Code int
			Preview      edge.Preview
		}
	}
	must(t, json.NewDecoder(resp.Body).Decode(&dry))
	resp.Body.Close()
	previewed := 0
	for _, w := range dry.Workers {
		if w.Code != 200 || w.Preview.RulesSHA256 != sum || w.Preview.Report == nil {
			t.Errorf("dry run of worker %d: %d %+v", w.Worker, w.Code, w.Preview)
			continue
		}
		previewed += int(w.Preview.Requests)
	}
	if resp.StatusCode != 200 || len(dry.Workers) != n || previewed != 60 {
		t.Errorf("POST /reload?dry_run=1: %s, %d workers, %d requests previewed; want %d workers and 60", resp.Status, len(dry.Workers), previewed, n)
	}
	resp, err = http.Post(s.admin+"/reload", "", nil)
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.Count(string(body), "reloaded: generation 2") != n ||
		!strings.Contains(string(body), fmt.Sprintf("all %d workers serve the same rules (sha256 %s)", n, sum)) {
		t.Fatalf("POST /reload: %s\n%s", resp.Status, body)
	}
	everyAnswer("after POST /reload", "https://b.example", "https://b.example")
	for _, w := range s.status(t).Workers {
		if ws := workerStatus(t, w); ws.RulesSHA256 != sum || ws.Generation != 2 {
			t.Errorf("worker %d serves %s generation %d, want %s generation 2", w.Worker, ws.RulesSHA256, ws.Generation, sum)
		}
	}

	must(t, os.WriteFile(target, []byte("version = 1\n[[rule]]\npaths = [\"/fonts/\"]\norigins = [\"https://B.example\"]\n"), 0o644))
	resp, err = http.Post(s.admin+"/reload", "", nil)
	must(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 422 || strings.Count(string(body), "rejected; generation 2 keeps serving") != n || !strings.Contains(string(body), "host must be lowercase") {
		t.Errorf("POST /reload of a bad file: %s\n%s", resp.Status, body)
	}
	everyAnswer("after a rejected edit", "https://b.example", "https://b.example")

	again := allow("https://c.example")
	must(t, os.WriteFile(target, []byte(again), 0o644))
	must(t, s.cmd.Process.Signal(syscall.SIGHUP))
	sum = fmt.Sprintf("%x", sha256.Sum256([]byte(again)))
	if !waitFor(10*time.Second, func() bool {
		st := s.status(t).Supervisor
		return st.SameTable && st.RulesSHA256 == sum
	}) {
		t.Fatalf("SIGHUP: the workers do not all serve the edit:\n%s", s.out)
	}
	everyAnswer("after SIGHUP", "https://c.example", "https://c.example")
	if !waitFor(5*time.Second, func() bool { return len(s.out.Lines(`msg="reload of every worker: success" trigger=sighup`)) == 1 }) {
		t.Errorf("no log line for the SIGHUP's reload:\n%s", s.out)
	}
	if got := metric(t, s.admin, `corsedge_supervisor_reloads_total{trigger="sighup",result="success"}`); got != "1" {
		t.Errorf("corsedge_supervisor_reloads_total{sighup,success} = %s, want 1", got)
	}
	s.stop(t, 20*time.Second)
}

// A worker killed with SIGKILL is logged and restarted with a new pid,
// the other workers keep theirs, and clients on new connections see no
// failed request begun after the kill: the dead worker's socket stays
// open in the supervisor, so the connections the kernel gives it wait for
// the replacement. (A request the killed worker was answering dies with
// it.)
func TestWorkerRestart(t *testing.T) {
	const n = 3
	s := startWorkers(t, n)
	url := s.public + "/" + demoFont(t, s.out.String())
	before := s.pids(t)
	l := startLoad(true, times(4, loadTarget{client: fresh, url: url, check: wantOK})...)
	time.Sleep(300 * time.Millisecond)
	killed := time.Now()
	must(t, syscall.Kill(before[1], syscall.SIGKILL))
	var after workers.WorkerStatus
	if !waitFor(10*time.Second, func() bool {
		after = s.status(t).Workers[1]
		return after.PID != 0 && after.PID != before[1] && after.State == "ready"
	}) {
		t.Fatalf("worker 1 was not restarted: %+v\n%s", after, s.out)
	}
	restarted := time.Now()
	time.Sleep(300 * time.Millisecond)
	outcomes := l.stop()

	var during, inFlight int
	var waited time.Duration // the longest a request begun during the outage took
	for _, o := range outcomes {
		switch {
		case o.err == nil:
			if o.began.After(killed) && o.began.Before(restarted) {
				during++
				waited = max(waited, o.took)
			}
		case o.began.Before(killed) && (errors.Is(o.err, syscall.ECONNRESET) || errors.Is(o.err, io.EOF) ||
			strings.Contains(o.err.Error(), "server closed idle connection")):
			// On a connection the killed worker had accepted: it died
			// with the process, as it would with one process. (net/http
			// names a connection closed before any byte of the answer
			// "server closed idle connection", a new one included.)
			inFlight++
		default:
			t.Errorf("request begun %v after the kill: %v", o.began.Sub(killed), o.err)
		}
	}
	t.Logf("%d requests, %d begun while worker 1 was down (%v), the slowest in %v; %d in flight in it when it was killed",
		len(outcomes), during, restarted.Sub(killed), waited, inFlight)
	if inFlight > 4 {
		t.Errorf("%d requests in flight in the killed worker, more than the 4 clients", inFlight)
	}
	// The kernel gave some of them to the dead worker's socket: they waited
	// there for the replacement (and succeeded) instead of being reset.
	if during == 0 || waited < 50*time.Millisecond {
		t.Errorf("%d requests begun while worker 1 was down, none waited 50 ms for it", during)
	}
	if after.Restarts != 1 || after.LastExit == nil || after.LastExit.PID != before[1] || after.LastExit.Status != "signal: killed" {
		t.Errorf("worker 1's status after the restart: %+v, last exit %+v", after, after.LastExit)
	}
	if now := s.pids(t); now[0] != before[0] || now[2] != before[2] {
		t.Errorf("pids %v before, %v after: the other workers were restarted too", before, now)
	}
	for _, want := range []string{
		fmt.Sprintf(`msg="worker exited; restarting it" worker=1 pid=%d status="signal: killed"`, before[1]),
		fmt.Sprintf(`msg="worker restarted" worker=1 pid=%d`, after.PID),
	} {
		if len(s.out.Lines(want)) != 1 {
			t.Errorf("the log lacks %q:\n%s", want, s.out)
		}
	}
	if got := metric(t, s.admin, `corsedge_worker_restarts_total{worker="1"}`); got != "1" {
		t.Errorf(`corsedge_worker_restarts_total{worker="1"} = %s, want 1`, got)
	}
	s.stop(t, 20*time.Second)
}

// A worker that cannot start (the rules file was broken after the others
// loaded it) gives its sockets up: clients on new connections keep being
// answered by the other workers, its retries never take connections they
// cannot serve, and a reload of the fixed file starts it at once.
func TestWorkerThatCannotStart(t *testing.T) {
	const n = 3
	target := filepath.Join(t.TempDir(), "real.toml")
	file := filepath.Join(t.TempDir(), "rules.toml")
	must(t, os.Symlink(target, file))
	must(t, os.WriteFile(target, []byte(oneRule), 0o644))
	s := startWorkers(t, n, "-rules", file)
	url := s.public + "/" + demoFont(t, s.out.String())
	before := s.pids(t)
	must(t, os.WriteFile(target, []byte("version = 2\n"), 0o644)) // no file event: a symlink's target
	must(t, syscall.Kill(before[1], syscall.SIGKILL))
	if !waitFor(10*time.Second, func() bool {
		for _, l := range s.out.Lines(`msg="worker exited; restarting it" worker=1`) {
			if strings.Contains(l, `status="exit status 1"`) && strings.Contains(l, `sockets="given up: the other workers take its connections"`) {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("worker 1 did not give its sockets up after a failed start:\n%s", s.out)
	}
	l := startLoad(true, times(4, loadTarget{client: fresh, url: url, check: wantOK})...)
	time.Sleep(1500 * time.Millisecond) // past two more tries to start it
	outcomes := l.stop()
	for _, o := range outcomes {
		if o.err != nil {
			t.Errorf("a request while worker 1 could not start: %v", o.err)
		}
	}
	if tries := len(s.out.Lines(`msg="worker exited; restarting it" worker=1`)); tries < 3 {
		t.Errorf("worker 1 was tried %d times in 1.5 s, want 3 or more:\n%s", tries, s.out)
	}
	t.Logf("%d requests while worker 1 could not start", len(outcomes))

	fixed := "version = 1\n[[rule]]\npaths = [\"/fonts/\"]\norigins = [\"https://fixed.example\"]\n"
	must(t, os.WriteFile(target, []byte(fixed), 0o644))
	resp, err := http.Post(s.admin+"/reload", "", nil)
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), fmt.Sprintf("all %d workers serve the same rules", n)) {
		t.Fatalf("POST /reload of the fixed file: %s\n%s\n%s", resp.Status, body, s.out)
	}
	w1 := s.status(t).Workers[1]
	if w1.State != "ready" || w1.PID == before[1] || w1.PID == 0 {
		t.Errorf("worker 1 after the reload: %+v", w1)
	}
	for range 90 {
		if got := allowOrigin(t, url, "https://fixed.example"); got != "https://fixed.example" {
			t.Fatalf("after the fix: ACAO %q", got)
		}
	}
	if got := metric(t, s.admin, `corsedge_requests_total{worker="1",kind="actual",decision="allowed"}`); got == "0" || got == "-1" {
		t.Errorf("the restarted worker 1 served none of 90 requests (%s): its socket does not listen", got)
	}
	s.stop(t, 20*time.Second)
}

// Workers serve HTTPS from the same certificate files, and share one
// access log: every line whole though two processes append to it, and
// SIGUSR1 to the supervisor makes each worker reopen it.
func TestWorkersHTTPSAndAccessLog(t *testing.T) {
	ca := testpki.NewCA(t)
	dir := t.TempDir()
	cert, key, logFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "access.log")
	ca.Issue(t, testpki.Spec{}).Write(t, cert, key)
	s := startWorkers(t, 2, "-tls-addr", "127.0.0.1:0", "-tls-cert", cert, "-tls-key", key, "-access-log", logFile)
	m := regexp.MustCompile(`msg="corsedge serving with 2 workers" .*tls_url=(https://\S+)`).FindStringSubmatch(s.out.String())
	if m == nil {
		t.Fatalf("no tls_url in the start line:\n%s", s.out)
	}
	font := "/" + demoFont(t, s.out.String())
	tlsClient := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"}, DisableKeepAlives: true}}
	var requests atomic.Int64 // answered, each a line in the log
	get := func(c *http.Client, url string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		// Lines of about 2.5 KB: more than a 64 KiB buffer between two flushes.
		req.Header.Set("User-Agent", strings.Repeat("long agent ", 90))
		req.Header.Set("Referer", "https://a.example/"+strings.Repeat("p", 1000))
		resp, err := c.Do(req)
		if err != nil {
			t.Errorf("GET %s: %v", url, err)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: %s", url, resp.Status)
		}
		requests.Add(1)
	}
	for range 20 {
		get(tlsClient, m[1]+font)
	}
	var wg sync.WaitGroup
	until := time.Now().Add(1500 * time.Millisecond)
	for range 4 { // at once, so that both workers write at once
		wg.Go(func() {
			for time.Now().Before(until) {
				get(fresh, s.public+font)
			}
		})
	}
	wg.Wait()
	for i := range 2 {
		series := fmt.Sprintf(`corsedge_tls_handshakes_total{worker="%d",result="success",version="1.3"}`, i)
		if got := metric(t, s.admin, series); got == "0" || got == "-1" {
			t.Errorf("%s = %s: worker %d answered no HTTPS connection", series, got, i)
		}
	}
	time.Sleep(300 * time.Millisecond) // past the log's flush interval
	must(t, os.Rename(logFile, logFile+".1"))
	must(t, s.cmd.Process.Signal(syscall.SIGUSR1))
	if !waitFor(5*time.Second, func() bool { return len(s.out.Lines(`msg="access log reopened"`)) == 2 }) {
		t.Fatalf("the workers did not both reopen the access log:\n%s", s.out)
	}
	before := int(requests.Load())
	const after = 50
	for range after {
		get(fresh, s.public+font)
	}
	s.stop(t, 20*time.Second) // the workers flush their logs as they exit
	for _, f := range []struct {
		name string
		want int
	}{{logFile + ".1", before}, {logFile, after}} {
		b, err := os.ReadFile(f.name)
		must(t, err)
		lines, err := logtest.Lines(string(b))
		if err != nil || len(lines) != f.want {
			t.Errorf("%s: %d lines (%v), want %d", f.name, len(lines), err, f.want)
		}
		for _, l := range lines {
			if _, err := logtest.DecodeJSON(l); err != nil {
				t.Errorf("%s: a line cut or mixed with another: %v", f.name, err)
				break
			}
		}
	}
}

// processGone says the process has exited (a zombie counts: its parent
// may be gone, and nothing here reaps it).
func processGone(pid int) bool {
	if syscall.Kill(pid, 0) == syscall.ESRCH {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	return strings.HasPrefix(rest, "Z")
}

// SIGTERM drains every worker as one process drains: /readyz turns 503 at
// once, requests keep being answered through -shutdown-delay, then the
// sockets close (new connections are refused, not left in a queue), every
// worker exits and the supervisor exits 0.
func TestWorkersDrainOnSIGTERM(t *testing.T) {
	const delay = time.Second
	s := startWorkers(t, 2, "-shutdown-delay", delay.String())
	url := s.public + "/" + demoFont(t, s.out.String())
	pids := s.pids(t)
	l := startLoad(true, times(4, loadTarget{client: fresh, url: url, check: wantOK})...)
	time.Sleep(200 * time.Millisecond)
	term := time.Now()
	must(t, s.cmd.Process.Signal(syscall.SIGTERM))
	if !waitFor(delay/2, func() bool { return statusOf(s.admin+"/readyz") == 503 }) {
		t.Error("/readyz did not turn 503 at once after SIGTERM")
	}
	select {
	case err := <-s.exited:
		s.exited <- err
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, s.out)
		}
	case <-time.After(delay + 20*time.Second):
		t.Fatalf("the supervisor did not exit:\n%s", s.out)
	}
	outcomes, ok := l.refused(5 * time.Second)
	if !ok {
		t.Error("the clients were not refused after the supervisor exited")
	}
	var inDelay int
	closing := term.Add(delay - 100*time.Millisecond) // the workers' listeners close after the delay from their SIGTERM
	for _, o := range outcomes {
		switch {
		case o.err == nil:
			if o.began.After(term) && o.began.Before(term.Add(delay)) {
				inDelay++
			}
		case o.began.After(closing) && (errors.Is(o.err, syscall.ECONNREFUSED) || errors.Is(o.err, syscall.ECONNRESET)):
			// Refused once the sockets are closed, or reset from the
			// queue they had when they closed (a client's connect
			// begun a moment before, as with one process).
		default:
			t.Errorf("request begun %v after SIGTERM: %v", o.began.Sub(term), o.err)
		}
	}
	t.Logf("%d requests, %d answered during the %v delay", len(outcomes), inDelay, delay)
	if inDelay < 10 {
		t.Errorf("only %d requests answered during the delay", inDelay)
	}
	for _, pid := range pids {
		if !processGone(pid) {
			t.Errorf("worker pid %d still runs after the supervisor exited", pid)
		}
	}
}

// Workers do not outlive their supervisor: killed with SIGKILL, it
// cannot stop them, and each gets SIGTERM from the kernel and drains.
func TestWorkersEndWithSupervisor(t *testing.T) {
	s := startWorkers(t, 2)
	pids := s.pids(t)
	must(t, s.cmd.Process.Kill())
	if !waitFor(15*time.Second, func() bool { return processGone(pids[0]) && processGone(pids[1]) }) {
		t.Fatalf("workers %v still run 15 s after their supervisor was killed:\n%s", pids, s.out)
	}
	if len(s.out.Lines(`msg="shutting down" worker=`)) != 2 {
		t.Errorf("the workers did not drain:\n%s", s.out)
	}
}

// A worker that cannot start fails the supervisor's start, with the
// worker's own message (once: worker 0 starts alone first).
func TestWorkersStartFailure(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "rules.toml")
	must(t, os.WriteFile(bad, []byte("version = 2\n"), 0o644))
	cmd := exec.Command(corsedgeBinary(t), "-workers", "3", "-addr", "127.0.0.1:0", "-admin", "", "-rules", bad)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit %v, want status 1:\n%s", err, out)
	}
	if strings.Count(string(out), "unsupported version") != 1 || !strings.Contains(string(out), "worker 0 (pid") ||
		strings.Contains(string(out), "worker=1") {
		t.Errorf("want worker 0's error once and no other worker started:\n%s", out)
	}
}
