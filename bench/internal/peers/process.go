package peers

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"corsedge/bench/internal/procstat"
)

// Process is a started server.
type Process struct {
	Peer       *Peer
	Addr       string // host:port it serves on
	admin      string // corsedge's admin listener; "" when off
	cmd        *exec.Cmd
	done       chan struct{} // closed when the process has exited
	log        string        // its stdout and stderr
	resumedLog string        // see Peer.resumedLog; "" when it keeps none
	pids       []int         // the process and its children (nginx workers), found once it serves
	args       []string      // its command line
	started    time.Time     // just before the exec
}

// Start starts p, pinned to env.Cores, and waits until it accepts
// connections. Its ports are picked free just before; should another
// process take one first, the server exits and is started again on others.
func Start(env *Env, p *Peer, l Launch) (*Process, error) {
	if p.Missing != "" {
		return nil, fmt.Errorf("%s: %s", p.Name, p.Missing)
	}
	if l.TLS && !p.TLS {
		return nil, fmt.Errorf("%s cannot serve HTTPS", p.Name)
	}
	var err error
	for range 3 {
		var proc *Process
		if proc, err = start(env, p, l, nil); err == nil || !errors.Is(err, errExited) {
			return proc, err
		}
	}
	return nil, err
}

// StartTimed starts p as Start does, but instead of waiting for a
// connection it calls ready(addr) over and over until it reports true,
// and returns the time from the exec to that: start-up to the first
// correct answer.
func StartTimed(env *Env, p *Peer, l Launch, ready func(addr string) bool) (*Process, time.Duration, error) {
	if p.Missing != "" {
		return nil, 0, fmt.Errorf("%s: %s", p.Name, p.Missing)
	}
	var took time.Duration
	wait := func(proc *Process) error {
		deadline := proc.started.Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if !proc.Alive() {
				return errExited
			}
			if ready(proc.Addr) {
				took = time.Since(proc.started)
				return nil
			}
			time.Sleep(time.Millisecond)
		}
		return fmt.Errorf("not ready on %s after 30s", proc.Addr)
	}
	proc, err := start(env, p, l, wait)
	return proc, took, err
}

// Rewrite writes the server's configuration again from l (nginx: from
// l.Sites, edited since the start) and has it reload: nginx -s reload,
// which returns once the master has the signal.
func (p *Process) Rewrite(env *Env, l Launch) error {
	l.adminAddr = p.admin
	args, err := p.Peer.command(env, p.Addr, l)
	if err != nil {
		return err
	}
	if p.Peer.command == nil || !strings.HasSuffix(args[0], "nginx") {
		return fmt.Errorf("peers: %s does not reload on a signal", p.Peer.Name)
	}
	if out, err := exec.Command(args[0], append(args[1:], "-s", "reload")...).CombinedOutput(); err != nil {
		return fmt.Errorf("nginx -s reload: %v\n%s", err, out)
	}
	return nil
}

var errExited = errors.New("exited before serving")

// start starts p once and waits until wait (nil: waitReady) says it serves.
func start(env *Env, p *Peer, l Launch, wait func(*Process) error) (*Process, error) {
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	if l.Admin || p.Metrics {
		if l.adminAddr, err = FreeAddr(); err != nil {
			return nil, err
		}
	}
	args, err := p.command(env, addr, l)
	if err != nil {
		return nil, err
	}
	if env.Cores != "" {
		args = append([]string{"taskset", "-c", env.Cores}, args...)
	}
	logFile := filepath.Join(env.Dir, runName(p.Name, addr)+".log")
	out, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	defer out.Close() // the child holds its own descriptor
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	if len(p.Env) > 0 {
		cmd.Env = append(os.Environ(), p.Env...)
	}
	// Should the harness die without stopping it, the server goes too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	started := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %v", p.Name, err)
	}
	proc := &Process{Peer: p, Addr: addr, admin: l.adminAddr, cmd: cmd, done: make(chan struct{}), log: logFile, args: args, started: started}
	if p.resumedLog != nil && l.TLS {
		proc.resumedLog = p.resumedLog(env, addr)
	}
	go func() { cmd.Wait(); close(proc.done) }()
	if wait == nil {
		wait = func(p *Process) error {
			if err := p.waitReady(10 * time.Second); err != nil || p.admin == "" {
				return err
			}
			return p.waitAdminReady(10 * time.Second)
		}
	}
	if err := wait(proc); err != nil {
		proc.Stop()
		return nil, fmt.Errorf("%s (%s): %w\n%s", p.Name, strings.Join(args, " "), err, proc.LogTail())
	}
	if proc.pids, err = procstat.Tree(cmd.Process.Pid); err != nil {
		proc.Stop()
		return nil, err
	}
	return proc, nil
}

// FreeAddr returns a loopback address with a port nothing listens on now.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitReady waits until the server accepts a connection. nginx accepts in
// its workers, which start after the master listens; the short pause after
// the first connection lets them come up before the process tree is read.
func (p *Process) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return errExited
		default:
		}
		if c, err := net.DialTimeout("tcp", p.Addr, 100*time.Millisecond); err == nil {
			c.Close()
			time.Sleep(100 * time.Millisecond)
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("not serving on %s after %v", p.Addr, limit)
}

// waitAdminReady waits until corsedge's /readyz answers 200. A supervisor
// (-workers) listens before its workers start, so a connection alone does
// not say they serve; its /readyz does, once every worker is ready, and
// only then is the process tree (supervisor and workers) complete.
func (p *Process) waitAdminReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		if !p.Alive() {
			return errExited
		}
		if resp, err := client.Get("http://" + p.admin + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("admin %s: /readyz not 200 after %v", p.admin, limit)
}

// AdminAddr returns corsedge's admin listener address, "" when it has none.
func (p *Process) AdminAddr() string { return p.admin }

// Flag returns the value the server was started with for the flag name
// ("-access-log"), as passed (with RunPrefix expanded), and false when its
// command line has no such flag.
func (p *Process) Flag(name string) (string, bool) {
	for i, a := range p.args {
		if a == name && i+1 < len(p.args) {
			return p.args[i+1], true
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// PIDs returns the processes whose CPU time and memory count as the server's.
func (p *Process) PIDs() []int { return p.pids }

// Alive reports whether the server is still running.
func (p *Process) Alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Stop asks the server to stop (SIGTERM: a graceful stop that also lets the
// profiling build write its profile) and kills it after 10 s.
func (p *Process) Stop() {
	if !p.Alive() {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// Resumed returns how many requests the server has logged as served on a
// resumed TLS session, and false when it keeps no such count.
func (p *Process) Resumed() (int, bool) {
	if p.resumedLog == "" {
		return 0, false
	}
	b, err := os.ReadFile(p.resumedLog)
	if errors.Is(err, os.ErrNotExist) {
		return 0, true
	}
	if err != nil {
		return 0, false
	}
	return bytes.Count(b, []byte("\n")), true
}

// LogTail returns the end of the server's output, for error messages.
func (p *Process) LogTail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
