package browsertest

import (
	"errors"
	"net"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// group is a process started as the leader of a new process group, so that
// it and every process it starts (Firefox's content processes, the
// MiniBrowser that WebKitWebDriver launches) are stopped together.
type group struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once Wait has returned
}

func startGroup(cmd *exec.Cmd) (*group, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	g := &group{cmd: cmd, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(g.exited) }()
	return g, nil
}

// stop asks the group to exit (SIGTERM: Xvfb then removes its lock and
// socket, Firefox quits cleanly) unless its leader already has, gives it
// grace, then kills what is left and waits, a few seconds at most, until
// none of it remains: until then, files under the test's temporary
// directories may still be written to.
func (g *group) stop(grace time.Duration) {
	pgid := g.cmd.Process.Pid
	select {
	case <-g.exited:
	default:
		syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-g.exited:
		case <-time.After(grace):
		}
	}
	syscall.Kill(-pgid, syscall.SIGKILL)
	<-g.exited
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH) {
			return
		}
	}
}

// freePort returns a loopback port that was free a moment ago, for a
// program that must be told its port (WebKitWebDriver has no port 0).
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), nil
}
