// Package handover hands the listening sockets of a running corsedge to
// the binary now at its path (nginx's SIGUSR2 upgrade), over
// github.com/cloudflare/tableflip: the sockets stay open across the
// switch, so the kernel queues connections for whichever process accepts
// next and none is refused.
//
// The new process inherits the sockets by name, loads its rules, and says
// Ready; only then is the old one told to Exit. A new process that exits
// or is not ready within the timeout changes nothing: the old one keeps
// serving and Upgrade returns why.
package handover

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/cloudflare/tableflip"
)

// DefaultTimeout bounds how long a new process may take to become ready.
const DefaultTimeout = 30 * time.Second

// Upgrader is this process's side of hand-overs: the one before it (if
// it was started by one) and the one after it.
type Upgrader struct {
	tf *tableflip.Upgrader

	mu         sync.Mutex
	inProgress bool
	exit       chan struct{} // closed once a new process is ready
}

// New starts the process's Upgrader; tableflip allows one per process.
// pidFile, when not empty, gets the PID of the process that is serving:
// written by Ready, so after a hand-over it names the new process.
func New(pidFile string, timeout time.Duration) (*Upgrader, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	tf, err := tableflip.New(tableflip.Options{PIDFile: pidFile, UpgradeTimeout: timeout})
	if err != nil {
		return nil, err
	}
	return &Upgrader{tf: tf, exit: make(chan struct{})}, nil
}

// Inherited reports whether this process was started by a hand-over.
func (u *Upgrader) Inherited() bool { return u.tf.HasParent() }

// Listen returns the socket the previous process passed under name for
// addr, or opens one with open. The name and the address together are the
// key, so a new binary started with another address opens a new socket.
// The returned listener is this process's own copy: closing it never
// closes the copy the next process inherits.
func (u *Upgrader) Listen(name, addr string, open func(addr string) (net.Listener, error)) (net.Listener, error) {
	return u.tf.ListenWithCallback(name, addr, func(_, addr string) (net.Listener, error) { return open(addr) })
}

// Ready says this process serves: the previous one (if any) is then told
// to exit, the PID file names this process, and so does systemd's
// MAINPID (see notifySystemd).
func (u *Upgrader) Ready() error {
	if err := u.tf.Ready(); err != nil {
		return err
	}
	return notifySystemd()
}

// Exit is closed once a new process is ready: this one should stop
// accepting, drain and exit. (tableflip's own Exit closes on Stop too,
// when this process ends on its own: that is no hand-over.)
func (u *Upgrader) Exit() <-chan struct{} { return u.exit }

// ErrInProgress is Upgrade's answer while another upgrade is under way.
var ErrInProgress = errors.New("a hand-over is already in progress")

// Upgrade starts the binary at this process's path with the same
// arguments and environment, hands it the sockets and waits until it is
// ready or has failed. On error this process keeps serving.
func (u *Upgrader) Upgrade() error {
	u.mu.Lock()
	if u.inProgress {
		u.mu.Unlock()
		return ErrInProgress
	}
	u.inProgress = true
	u.mu.Unlock()
	defer func() {
		u.mu.Lock()
		u.inProgress = false
		u.mu.Unlock()
	}()
	if err := u.tf.Upgrade(); err != nil {
		return fmt.Errorf("hand-over failed, still serving: %w", err)
	}
	close(u.exit) // tableflip upgrades once: the next Upgrade fails
	return nil
}

// Stop ends hand-overs for good: called as soon as the process is told to
// exit on its own (SIGTERM), it closes the copies of the sockets kept for a
// next process, so that each socket closes with this process's own
// listener, as it would without hand-overs, instead of queueing
// connections no one will accept.
func (u *Upgrader) Stop() { u.tf.Stop() }
