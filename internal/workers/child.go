package workers

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The environment a worker is started with, besides GOMAXPROCS=1.
const (
	envIndex = "CORSEDGE_WORKER"     // the worker's index, 0…N-1
	envFDs   = "CORSEDGE_WORKER_FDS" // "http=3,https=4,admin=5": which inherited descriptor is which socket
)

// HandOverSignal is what a supervisor sends its workers once a new
// supervisor serves their sockets (a binary hand-over): nginx's SIGWINCH,
// its graceful stop of the old workers after a binary upgrade. A worker
// has a process group of its own, so a terminal's resize never reaches it.
const HandOverSignal = syscall.SIGWINCH

// Child is this process's part when a supervisor started it.
type Child struct {
	Index      int
	fds        map[string]uintptr
	handedOver chan struct{}
}

// HandedOver is closed when the supervisor sends HandOverSignal: the
// worker should drain at once, without -shutdown-delay, and exit.
func (c *Child) HandedOver() <-chan struct{} { return c.handedOver }

// FromEnv returns this process's Child, or nil when no supervisor started
// it (no CORSEDGE_WORKER in the environment).
func FromEnv() (*Child, error) {
	v, ok := os.LookupEnv(envIndex)
	if !ok {
		return nil, nil
	}
	i, err := strconv.Atoi(v)
	if err != nil || i < 0 {
		return nil, fmt.Errorf("%s=%q: want a worker index", envIndex, v)
	}
	c := &Child{Index: i, fds: map[string]uintptr{}, handedOver: make(chan struct{})}
	for _, kv := range strings.Split(os.Getenv(envFDs), ",") {
		name, fd, ok := strings.Cut(kv, "=")
		n, err := strconv.Atoi(fd)
		if !ok || err != nil || n < 3 {
			return nil, fmt.Errorf("%s=%q: want name=descriptor pairs", envFDs, os.Getenv(envFDs))
		}
		c.fds[name] = uintptr(n)
	}
	// From the start: a signal that came before Notify would be lost (its
	// default action ignores it), and the worker left to be killed.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, HandOverSignal)
	go func() {
		<-sig
		signal.Stop(sig)
		close(c.handedOver)
	}()
	return c, nil
}

// Listener returns the inherited socket of that role (http, https,
// admin), or nil when the supervisor gave none (the address is off). A
// public socket the supervisor opened anew for this worker starts
// listening here: call it once the worker can serve, so that a worker
// that fails before never has connections queued for it.
func (c *Child) Listener(role string) (net.Listener, error) {
	fd, ok := c.fds[role]
	if !ok {
		return nil, nil
	}
	if role != "admin" {
		if err := startListening(fd); err != nil {
			return nil, fmt.Errorf("inherited %s socket (descriptor %d): listen: %w", role, fd, err)
		}
	}
	f := os.NewFile(fd, role)
	defer f.Close() // FileListener holds a duplicate
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("inherited %s socket (descriptor %d): %w", role, fd, err)
	}
	return ln, nil
}

// WatchParent sends this process SIGTERM, so that it drains and exits as
// on any stop, once its parent is gone: the parent-death signal covers
// Linux, this every system. It returns when ctx is done.
func WatchParent(ctx context.Context) {
	parent := os.Getppid()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if os.Getppid() != parent {
				syscall.Kill(os.Getpid(), syscall.SIGTERM)
				return
			}
		}
	}
}

// childEnv is env without any supervisor's settings, plus worker i's.
func childEnv(env []string, i int, fds string) []string {
	out := make([]string, 0, len(env)+3)
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if name != envIndex && name != envFDs && name != "GOMAXPROCS" {
			out = append(out, kv)
		}
	}
	// One CPU each: the kernel spreads connections over the workers'
	// sockets, and no worker's scheduler waits on another core.
	return append(out, envIndex+"="+strconv.Itoa(i), envFDs+"="+fds, "GOMAXPROCS=1")
}
