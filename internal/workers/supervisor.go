package workers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"corsedge/internal/httpstop"
)

// Config is what a Supervisor needs.
type Config struct {
	Count   int      // worker processes
	Version string   // the build's, for /status
	Args    []string // the command line every worker runs, without the program name
	// Addr and TLSAddr are the public addresses, Admin the admin
	// endpoints'; "" turns one off.
	Addr, TLSAddr, Admin string
	Listen               ListenFunc   // nil: Listen
	Logger               *slog.Logger // slog.Default() when nil
	// Stdout and Stderr are the workers'; os.Stdout and os.Stderr when
	// nil. Give files: a worker then writes to them itself, whole lines
	// at a time, where another writer would get its output through a
	// pipe, copied in chunks that ignore line ends.
	Stdout, Stderr io.Writer
	// StopTimeout is how long the workers get to drain after SIGTERM
	// before they are killed.
	StopTimeout time.Duration
}

// Supervisor runs Config.Count workers and answers the admin endpoints
// for all of them.
type Supervisor struct {
	cfg      Config
	log      *slog.Logger
	exe      string
	dir      string              // 0700, the workers' admin sockets
	public   map[string]net.Addr // by role: http, https
	workers  []*worker
	admin    net.Listener     // nil without Config.Admin
	adminSrv *httpstop.Server // serving admin, once the workers are ready
	started  time.Time
	stopping chan struct{} // closed when shutdown begins: no more restarts
	draining atomic.Bool
	// handedOver: a new supervisor serves the same sockets (a binary
	// hand-over); the workers are stopped with HandOverSignal.
	handedOver atomic.Bool
	reloads    reloadCounts
}

// Restart backoff: the first restart after 100 ms, each next one after
// twice as long, at most 10 s; a worker that ran 10 s or more starts over
// at 100 ms.
const (
	minBackoff   = 100 * time.Millisecond
	maxBackoff   = 10 * time.Second
	healthyAfter = 10 * time.Second
	// While a worker is down its sockets stay open, so the connections
	// the kernel puts in their queues wait for the replacement instead of
	// being reset. That is right for a restart due within a second; a
	// worker that cannot start (a rules file broken since the others
	// loaded theirs) or one that waits longer gives its sockets up, and
	// the kernel sends its share of connections to the other workers.
	releaseAfter = time.Second
)

var errStopping = errors.New("the supervisor is stopping")

// Start opens the sockets and starts the workers: worker 0 first (a bad
// flag or rules file is then reported once, not Count times), the others
// once it is ready; then it serves the admin endpoints. It returns when
// every worker answers /readyz, or with the error of the first that
// exits before it does, or when ctx is done.
func Start(ctx context.Context, cfg Config) (*Supervisor, error) {
	if cfg.Count < 1 {
		return nil, fmt.Errorf("workers: Count %d: want 1 or more", cfg.Count)
	}
	if cfg.Listen == nil {
		cfg.Listen = Listen
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Stdout == nil {
		cfg.Stdout = os.Stdout
	}
	if cfg.Stderr == nil {
		cfg.Stderr = os.Stderr
	}
	s := &Supervisor{cfg: cfg, log: cfg.Logger, started: time.Now(), stopping: make(chan struct{}), public: map[string]net.Addr{}}
	var err error
	if s.exe, err = executable(); err != nil {
		return nil, fmt.Errorf("workers: cannot find the binary to start: %w", err)
	}
	if err := s.open(); err != nil {
		s.close()
		return nil, err
	}
	if err := s.startWorkers(ctx); err != nil {
		s.shutdown()
		s.close()
		return nil, err
	}
	// Only now: a socket handed over by a binary upgrade is the previous
	// supervisor's too, and a request this one accepted would be answered
	// 503 while its workers start, or dropped if they fail. Before, a
	// request waits in the socket's queue.
	if s.admin != nil {
		s.adminSrv = httpstop.New(&http.Server{Handler: s.handler(), ReadHeaderTimeout: 5 * time.Second}, s.admin)
		go s.adminSrv.Serve()
	}
	for _, w := range s.workers {
		go w.supervise(w.current())
	}
	return s, nil
}

// open makes the workers and their sockets: Count SO_REUSEPORT sockets
// per public address, the admin listener, and a unix socket per worker
// for its own admin endpoints.
func (s *Supervisor) open() (err error) {
	if s.dir, err = os.MkdirTemp("", "corsedge-workers-"); err != nil {
		return fmt.Errorf("workers: %w", err)
	}
	for i := range s.cfg.Count {
		s.workers = append(s.workers, newWorker(s, i))
	}
	for _, pub := range []struct{ role, addr string }{{"http", s.cfg.Addr}, {"https", s.cfg.TLSAddr}} {
		if pub.addr == "" {
			continue
		}
		addr := pub.addr
		for i, w := range s.workers {
			sock := &socket{role: pub.role, name: fmt.Sprintf("%s#%d", pub.role, i), addr: addr}
			w.sockets = append(w.sockets, sock)
			if err := s.openSocket(sock); err != nil {
				return err
			}
			if i == 0 {
				// The others bind where the first did: ":0" is one port.
				addr = sock.ln.Addr().String()
				s.public[pub.role] = sock.ln.Addr()
			}
			sock.addr = addr
		}
	}
	if s.cfg.Admin != "" {
		if s.admin, err = s.cfg.Listen("admin", s.cfg.Admin, false); err != nil {
			return err
		}
	}
	for _, w := range s.workers {
		if err := w.openAdmin(filepath.Join(s.dir, fmt.Sprintf("worker-%d.sock", w.index))); err != nil {
			return err
		}
	}
	return nil
}

// filer is a listener whose descriptor can be passed on.
type filer interface{ File() (*os.File, error) }

// openSocket opens sock through Config.Listen, with the copy of its
// descriptor that workers inherit.
func (s *Supervisor) openSocket(sock *socket) error {
	ln, err := s.cfg.Listen(sock.name, sock.addr, true)
	if err != nil {
		return err
	}
	f, ok := ln.(filer)
	if !ok {
		ln.Close()
		return fmt.Errorf("%s: a %T has no descriptor to pass to a worker", sock.name, ln)
	}
	file, err := f.File()
	if err != nil {
		ln.Close()
		return fmt.Errorf("%s: %w", sock.name, err)
	}
	sock.ln, sock.file = ln, file
	return nil
}

func (s *Supervisor) startWorkers(ctx context.Context) error {
	if err := s.workers[0].startFirst(ctx); err != nil {
		return err
	}
	errs := make(chan error, len(s.workers))
	for _, w := range s.workers[1:] {
		go func() { errs <- w.startFirst(ctx) }()
	}
	var err error
	for range s.workers[1:] {
		err = errors.Join(err, <-errs)
	}
	return err
}

// Public returns the addresses the public sockets are bound to; nil for
// one that is off.
func (s *Supervisor) Public() (http, https net.Addr) { return s.public["http"], s.public["https"] }

// Admin returns the admin listener's address; nil when it is off.
func (s *Supervisor) Admin() net.Addr {
	if s.admin == nil {
		return nil
	}
	return s.admin.Addr()
}

// Serve supervises the workers until ctx is done, then stops them (see
// shutdown). The error says which worker did not end well.
func (s *Supervisor) Serve(ctx context.Context) error {
	<-ctx.Done()
	s.log.Info("stopping the workers", "workers", len(s.workers), "timeout", s.cfg.StopTimeout)
	err := s.shutdown()
	s.close()
	return err
}

// HandOver says a new supervisor, started by a binary hand-over, now
// serves the same sockets: the admin listener stops accepting at once, so
// that the new supervisor's /readyz and /status alone answer on it, and
// the shutdown that follows (once ctx is done: see Serve) stops the
// workers with HandOverSignal rather than SIGTERM: they drain at once,
// without -shutdown-delay, since no load balancer needs to notice.
func (s *Supervisor) HandOver() {
	if s.handedOver.Swap(true) || s.adminSrv == nil {
		return
	}
	s.adminSrv.StopAccepting()
}

// shutdown sends every worker SIGTERM and waits, at most StopTimeout,
// for them to drain and exit; those still running then are killed. The
// supervisor's copies of the public sockets are closed first: each
// socket then closes with its worker's listener, and new connections are
// refused as they are by one process, instead of waiting in a queue no
// one reads. /readyz answers 503 from here on.
func (s *Supervisor) shutdown() error {
	close(s.stopping)
	s.draining.Store(true)
	var sig os.Signal = syscall.SIGTERM
	if s.handedOver.Load() {
		sig = HandOverSignal
	}
	var running []*proc
	for _, w := range s.workers {
		if p := w.stop(sig); p != nil {
			running = append(running, p)
		}
	}
	deadline := time.After(s.cfg.StopTimeout)
	var err error
	for _, p := range running {
		select {
		case <-p.exited:
		case <-deadline:
			s.log.Error("a worker did not exit in time after SIGTERM; killing it", "pid", p.pid, "timeout", s.cfg.StopTimeout)
			p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.exited
		}
		if p.err != nil {
			err = errors.Join(err, fmt.Errorf("worker (pid %d): %w", p.pid, p.err))
		}
	}
	return err
}

// close closes what open opened.
func (s *Supervisor) close() {
	if s.adminSrv != nil {
		s.adminSrv.Stop(time.Second)
	} else if s.admin != nil {
		s.admin.Close()
	}
	for _, w := range s.workers {
		w.closeSockets()
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

func (s *Supervisor) isStopping() bool {
	select {
	case <-s.stopping:
		return true
	default:
		return false
	}
}

// Signal sends sig to every running worker (SIGUSR1: each reopens its
// access log) and returns how many it reached.
func (s *Supervisor) Signal(sig os.Signal) int {
	n := 0
	for _, w := range s.workers {
		if p := w.current(); p.cmd != nil && !isClosed(p.exited) && p.cmd.Process.Signal(sig) == nil {
			n++
		}
	}
	return n
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// reloadCounts are corsedge_supervisor_reloads_total{trigger,result}.
type reloadCounts struct {
	mu sync.Mutex
	n  map[[2]string]uint64 // {trigger, result} -> count
}

func (r *reloadCounts) add(trigger, result string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		r.n = map[[2]string]uint64{}
	}
	r.n[[2]string{trigger, result}]++
}

func (r *reloadCounts) get(trigger, result string) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[[2]string{trigger, result}]
}
