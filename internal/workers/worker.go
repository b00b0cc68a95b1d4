package workers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// worker is one worker's slot: its sockets, which outlive its processes,
// and the process running now.
type worker struct {
	s      *Supervisor
	index  int
	client *http.Client  // to its admin socket
	wake   chan struct{} // cap 1: restart now, not when the backoff ends

	admin     net.Listener // its admin socket, open for the supervisor's life
	adminFile *os.File

	mu       sync.Mutex
	sockets  []*socket     // public, one per address; not listening while given up
	cur      *proc         // never nil
	next     chan struct{} // closed when cur is replaced
	state    string        // starting, ready, restarting, stopping
	restarts int
	lastExit *Exit
}

// socket is one public listening socket of one worker.
type socket struct {
	role, name, addr string       // role: http or https, as the worker knows it
	ln               net.Listener // from Config.Listen; nil once closed
	file             *os.File     // the descriptor a worker inherits; nil once closed
}

// proc is one process of a worker.
type proc struct {
	cmd     *exec.Cmd // nil when it could not be started
	pid     int
	started time.Time
	ready   chan struct{} // closed once it answered /readyz
	exited  chan struct{} // closed once it has exited; err is set then
	err     error         // of exec.Cmd.Wait, or why it could not start
}

// Exit is how a worker's process ended, for /status.
type Exit struct {
	PID    int       `json:"pid"` // 0: it could not be started
	Status string    `json:"status"`
	At     time.Time `json:"at"`
	Ran    string    `json:"ran"`
}

func newWorker(s *Supervisor, i int) *worker {
	notStarted := &proc{ready: make(chan struct{}), exited: make(chan struct{}), err: errors.New("not started yet")}
	close(notStarted.exited)
	return &worker{s: s, index: i, wake: make(chan struct{}, 1), cur: notStarted, next: make(chan struct{}), state: "starting"}
}

// openAdmin opens the unix socket of the worker's admin endpoints, in the
// supervisor's 0700 directory, and the client that talks to it.
func (w *worker) openAdmin(path string) error {
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("worker %d's admin socket: %w", w.index, err)
	}
	w.admin = ln
	if w.adminFile, err = ln.(*net.UnixListener).File(); err != nil {
		return fmt.Errorf("worker %d's admin socket: %w", w.index, err)
	}
	w.client = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
		// A worker's process changes: never reuse a connection to an old one.
		DisableKeepAlives: true,
	}}
	return nil
}

// call sends a request to the worker's admin endpoints and returns the
// status and body.
func (w *worker) call(ctx context.Context, method, path string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://worker"+path, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	return resp.StatusCode, body, err
}

func (w *worker) current() *proc {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cur
}

// startFirst starts the worker's first process and waits until it is
// ready: an exit before that fails the supervisor's start.
func (w *worker) startFirst(ctx context.Context) error {
	p := w.spawn()
	select {
	case <-p.ready:
		return nil
	case <-p.exited:
		return fmt.Errorf("worker %d (pid %d) exited before it was ready: %w", w.index, p.pid, p.err)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// spawn starts a process for the worker, which becomes current; one that
// cannot be started is current too, exited with the reason.
func (w *worker) spawn() *proc {
	w.mu.Lock()
	defer w.mu.Unlock()
	p := &proc{started: time.Now(), ready: make(chan struct{}), exited: make(chan struct{})}
	if err := w.startLocked(p); err != nil {
		p.err = err
		close(p.exited)
	}
	w.cur = p
	close(w.next)
	w.next = make(chan struct{})
	return p
}

func (w *worker) startLocked(p *proc) error {
	if w.s.isStopping() {
		return errStopping
	}
	var files []*os.File
	var fds []string
	for _, sock := range w.sockets {
		if sock.file == nil {
			// Closed after a failed start where unlisten cannot be: bound
			// anew, listening only once the worker has loaded its rules.
			f, err := bindReusePort(sock.addr)
			if err != nil {
				return fmt.Errorf("%s: %w", sock.name, err)
			}
			sock.file = f
		}
		fds = append(fds, fmt.Sprintf("%s=%d", sock.role, 3+len(files)))
		files = append(files, sock.file)
	}
	fds = append(fds, fmt.Sprintf("admin=%d", 3+len(files)))
	files = append(files, w.adminFile)
	cmd := exec.Command(w.s.exe, w.s.cfg.Args...)
	cmd.Args[0] = os.Args[0]
	cmd.Env = childEnv(os.Environ(), w.index, strings.Join(fds, ","))
	cmd.Stdout, cmd.Stderr = w.s.cfg.Stdout, w.s.cfg.Stderr
	cmd.ExtraFiles = files
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return err
	}
	p.cmd, p.pid = cmd, cmd.Process.Pid
	w.state = "starting"
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	go w.watchReady(p)
	return nil
}

// watchReady asks the process for /readyz until it answers 200 or exits.
// Its admin socket is the supervisor's: a request made before the
// process serves waits in the socket's queue.
func (w *worker) watchReady(p *proc) {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		code, _, _ := w.call(ctx, "GET", "/readyz")
		cancel()
		if code == http.StatusOK {
			w.mu.Lock()
			if w.cur == p {
				w.state = "ready"
			}
			w.mu.Unlock()
			close(p.ready)
			return
		}
		select {
		case <-p.exited:
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// supervise restarts the worker each time its process exits, after the
// backoff, until the supervisor stops.
func (w *worker) supervise(p *proc) {
	backoff := minBackoff
	for {
		select {
		case <-p.exited:
		case <-w.s.stopping:
			return
		}
		if w.s.isStopping() {
			return
		}
		ran := time.Since(p.started)
		if ran >= healthyAfter {
			backoff = minBackoff
		}
		delay := backoff
		backoff = min(2*backoff, maxBackoff)
		hold := isClosed(p.ready) && delay < releaseAfter
		w.exited(p, ran, hold)
		log := w.s.log.Warn
		if !hold {
			log = w.s.log.Error
		}
		sockets := "held: new connections wait for the replacement"
		if !hold && len(w.sockets) > 0 {
			sockets = "given up: the other workers take its connections"
		}
		log("worker exited; restarting it", "worker", w.index, "pid", p.pid, "status", exitStatus(p.err),
			"ran", ran.Round(time.Millisecond), "restart_in", delay, "sockets", sockets)
		select {
		case <-time.After(delay):
		case <-w.wake:
		case <-w.s.stopping:
			return
		}
		w.mu.Lock()
		w.restarts++
		w.mu.Unlock()
		p = w.spawn()
		if p.cmd != nil {
			go w.logReady(p)
		}
	}
}

// logReady says when a restarted process serves.
func (w *worker) logReady(p *proc) {
	select {
	case <-p.ready:
		w.s.log.Info("worker restarted", "worker", w.index, "pid", p.pid, "took", time.Since(p.started).Round(time.Millisecond))
	case <-p.exited:
	}
}

// exited records p's end and, unless hold, gives the worker's public
// sockets up: they stop listening until the next process can serve.
func (w *worker) exited(p *proc, ran time.Duration, hold bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.state = "restarting"
	w.lastExit = &Exit{PID: p.pid, Status: exitStatus(p.err), At: time.Now(), Ran: ran.Round(time.Millisecond).String()}
	if !hold {
		w.giveUpLocked()
	}
}

// giveUpLocked stops the worker's public sockets listening (unlisten),
// or closes one where that cannot be done.
func (w *worker) giveUpLocked() {
	for _, sock := range w.sockets {
		if sock.ln != nil && unlisten(sock.ln.(syscall.Conn)) == nil {
			continue
		}
		sock.close()
	}
}

// exitStatus says how a process ended: "exit status 2", "signal: killed".
func exitStatus(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// poke cuts a pending restart's backoff short.
func (w *worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// awaitReady returns the worker's process once it is ready, starting a
// down worker at once rather than after its backoff; the error, when ctx
// ends first, says why the worker is not running.
func (w *worker) awaitReady(ctx context.Context) (*proc, error) {
	for {
		w.mu.Lock()
		p, next := w.cur, w.next
		w.mu.Unlock()
		select {
		case <-p.ready:
			if !isClosed(p.exited) {
				return p, nil
			}
		case <-p.exited:
		case <-ctx.Done():
			return nil, w.downError()
		}
		w.poke()
		select {
		case <-next:
		case <-ctx.Done():
			return nil, w.downError()
		}
	}
}

// readyNow returns the worker's process if it is ready, else nil.
func (w *worker) readyNow() *proc {
	p := w.current()
	if isClosed(p.ready) && !isClosed(p.exited) {
		return p
	}
	return nil
}

func (w *worker) downError() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lastExit == nil {
		return fmt.Errorf("%s, not ready yet", w.state)
	}
	return fmt.Errorf("%s: pid %d ended with %s at %s", w.state, w.lastExit.PID, w.lastExit.Status, w.lastExit.At.Format(time.RFC3339))
}

// stop begins the worker's shutdown: the supervisor's copies of its
// public sockets are closed (the process keeps its own) and the process,
// if any runs, gets sig (SIGTERM; HandOverSignal after a hand-over); it is
// returned.
func (w *worker) stop(sig os.Signal) *proc {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.state = "stopping"
	w.closeSocketsLocked()
	p := w.cur
	if p.cmd == nil || isClosed(p.exited) {
		return nil
	}
	p.cmd.Process.Signal(sig)
	return p
}

func (w *worker) closeSocketsLocked() {
	for _, sock := range w.sockets {
		sock.close()
	}
}

// close closes the supervisor's copies of the socket: the socket itself
// closes once no process holds it.
func (sock *socket) close() {
	if sock.file != nil {
		sock.file.Close()
	}
	if sock.ln != nil {
		sock.ln.Close()
	}
	sock.ln, sock.file = nil, nil
}

// closeSockets closes every socket of the worker, its admin one too.
func (w *worker) closeSockets() {
	w.mu.Lock()
	w.closeSocketsLocked()
	w.mu.Unlock()
	if w.admin != nil {
		w.adminFile.Close()
		w.admin.Close()
	}
}
