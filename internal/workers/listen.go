package workers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"syscall"
)

// ListenFunc opens the listening socket named name (http#0…http#N-1,
// https#i, admin) on addr, with SO_REUSEPORT when reuseport is set. The
// supervisor asks it for each name once, at start: it is the one place
// the sockets come from, so that a binary hand-over can give them by name
// instead. A socket that a worker which cannot start gives up stops
// listening but stays open and bound (unlisten); only where the system
// cannot do that is it closed and made anew (bindReusePort).
type ListenFunc func(name, addr string, reuseport bool) (net.Listener, error)

// Listen is the ListenFunc that opens new TCP sockets. It is net.Listen
// plus SO_REUSEPORT, rather than fasthttp's reuseport package: that one
// binds "tcp" on ":port" to IPv4 only (net.Listen's socket takes IPv6
// too) and adds TCP_DEFER_ACCEPT, which hides a connection that sends
// nothing from the idle timeout and the per-address limit; one worker or
// many, the sockets should behave alike.
func Listen(name, addr string, reuseport bool) (net.Listener, error) {
	lc := net.ListenConfig{}
	if reuseport {
		lc.Control = func(network, address string, c syscall.RawConn) error {
			var serr error
			if err := c.Control(func(fd uintptr) { serr = setReusePort(fd) }); err != nil {
				return err
			}
			return serr
		}
	}
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s on %s: %w", name, addr, err)
	}
	if _, port, _ := net.SplitHostPort(addr); reuseport && (port == "0" || port == "") {
		// A socket bound to a port the kernel chose gives that port back
		// when it stops listening (unlisten): this one is bound to the
		// chosen port by number, beside the first, which then closes.
		// No client knows the port yet to connect to the first.
		explicit, err := lc.Listen(context.Background(), "tcp", ln.Addr().String())
		ln.Close()
		if err != nil {
			return nil, fmt.Errorf("%s on %s: %w", name, addr, err)
		}
		ln = explicit
	}
	return ln, nil
}

// MaxCount bounds -workers: more processes than that is a typo.
const MaxCount = 1024

// ParseCount reads a -workers value: a count from 1 to MaxCount, or
// "auto": the CPUs this process may use (Go's default GOMAXPROCS: the
// affinity mask, lowered to a cgroup CPU limit; or $GOMAXPROCS).
func ParseCount(v string) (int, error) {
	if v == "auto" {
		return runtime.GOMAXPROCS(0), nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxCount {
		return 0, errors.New("want auto or a count from 1 to " + strconv.Itoa(MaxCount))
	}
	return n, nil
}
