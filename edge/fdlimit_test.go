package edge_test

import (
	"bufio"
	"corsedge/internal/testlog"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// child is the test binary re-run as a corsedge server under
// RLIMIT_NOFILE = childNOFILE (see runChild).
type child struct {
	stdin         io.WriteCloser
	stdout        *bufio.Scanner
	stderr        *testlog.Buffer
	public, admin string
	exited        chan error
}

func startChild(t *testing.T) *child {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "rules.toml"), floodRules)
	for name, body := range assetFiles {
		writeFile(t, filepath.Join(dir, "root", name), body)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	must(t, err)
	r, w, err := os.Pipe() // not StdoutPipe: it is read after the child exits
	must(t, err)
	cmd.Stdout = w
	c := &child{stdin: stdin, stdout: bufio.NewScanner(r), stderr: &testlog.Buffer{}, exited: make(chan error, 1)}
	cmd.Stderr = c.stderr
	must(t, cmd.Start())
	w.Close()
	go func() { c.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case err := <-c.exited:
			if err != nil {
				t.Errorf("child: %v\n%s", err, tail(c.stderr.String()))
			}
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			t.Error("child did not stop")
		}
		r.Close()
	})
	if !c.stdout.Scan() {
		t.Fatalf("child did not start:\n%s", tail(c.stderr.String()))
	}
	if _, err := fmt.Sscan(c.stdout.Text(), &c.public, &c.admin); err != nil {
		t.Fatal(err)
	}
	return c
}

// say sends the child one command and returns its answer.
func (c *child) say(t *testing.T, cmd string) string {
	t.Helper()
	fmt.Fprintln(c.stdin, cmd)
	if !c.stdout.Scan() {
		t.Fatalf("child did not answer %q:\n%s", cmd, tail(c.stderr.String()))
	}
	return c.stdout.Text()
}

// alive fails the test if the child has exited.
func (c *child) alive(t *testing.T) {
	t.Helper()
	select {
	case err := <-c.exited:
		c.exited <- err
		t.Fatalf("the server exited (%v):\n%s", err, tail(c.stderr.String()))
	default:
	}
}

// metric returns the value of the /metrics line for series.
func (c *child) metric(t *testing.T, series string) float64 {
	t.Helper()
	for line := range strings.Lines(metricsText(t, "http://"+c.admin)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			must(t, err)
			return f
		}
	}
	t.Fatalf("/metrics lacks %s", series)
	return 0
}

func tail(s string) string { return s[max(0, len(s)-2000):] }

// get fetches path on a new connection and returns the status, 0 on error.
func get(addr, path string) int {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get("http://" + addr + path)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// More idle connections than descriptors: the server holds what its bound
// allows, answers the rest 503, stays up, and serves again once some close.
func TestIdleConnectionsPastDescriptorLimit(t *testing.T) {
	c := startChild(t)
	const n = 300
	conns := make([]net.Conn, n)
	for i := range conns {
		conn, err := net.Dial("tcp", c.public)
		must(t, err)
		defer conn.Close()
		conns[i] = conn
	}
	const refused = `corsedge_connections_refused_total{reason="concurrency"}`
	waitFor(10*time.Second, func() bool {
		c.alive(t)
		return c.metric(t, "corsedge_connections_open")+c.metric(t, refused) >= n
	})
	c.alive(t)
	held, rejected := c.metric(t, "corsedge_connections_open"), c.metric(t, refused)
	t.Logf("RLIMIT_NOFILE %d, %d idle connections: %v held, %v refused with 503", childNOFILE, n, held, rejected)
	if bound := float64((childNOFILE - 64) / 2); held > bound || held+rejected < n {
		t.Errorf("%v held (bound %v), %v refused, of %d", held, bound, rejected, n)
	}
	// The refused ones were answered and closed; the held ones wait.
	var mu sync.Mutex
	var open []net.Conn
	var wg sync.WaitGroup
	for _, conn := range conns {
		wg.Go(func() {
			conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			_, err := conn.Read(make([]byte, 64))
			var netErr net.Error
			if errors.As(err, &netErr) && netErr.Timeout() {
				mu.Lock()
				open = append(open, conn)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(open) < 10 {
		t.Fatalf("only %d connections still open", len(open))
	}
	for _, conn := range open[:10] {
		conn.Close()
	}
	if !waitFor(5*time.Second, func() bool { return get(c.public, "/js/app.js") == http.StatusOK }) {
		t.Error("no request served after connections closed")
	}
	c.alive(t)
}

// With every descriptor taken, accept fails with EMFILE: the server backs
// off and retries, and serves the waiting connection once descriptors free.
func TestDescriptorExhaustionIsRetried(t *testing.T) {
	c := startChild(t)
	if got := c.say(t, "hog"); !strings.HasPrefix(got, "hogged ") {
		t.Fatalf("child: %s", got)
	}
	conn, err := net.Dial("tcp", c.public) // waits in the listen backlog
	must(t, err)
	defer conn.Close()
	io.WriteString(conn, "GET /js/app.js HTTP/1.1\r\nHost: cdn.test\r\n\r\n")
	time.Sleep(300 * time.Millisecond) // accept fails and backs off meanwhile
	c.alive(t)
	if got := c.say(t, "free"); got != "freed" {
		t.Fatalf("child: %s", got)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the waiting connection was not served: %v\n%s", err, tail(c.stderr.String()))
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status %d, want 200", resp.StatusCode)
	}
	if got := c.metric(t, "corsedge_accept_errors_total"); got == 0 {
		t.Error("corsedge_accept_errors_total is 0 after EMFILE")
	}
	c.alive(t)
}
