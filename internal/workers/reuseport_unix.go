//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package workers

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

func setReusePort(fd uintptr) error {
	return unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
}

// bindReusePort makes a TCP socket with SO_REUSEPORT bound to addr (an
// address a socket of the group is bound to, as its Addr prints it) but
// not listening: the kernel gives it no connection until the worker that
// inherits it calls listen (see Child.Listener), once it has loaded its
// rules. It is made like net.Listen's: close-on-exec, SO_REUSEADDR, a
// wildcard IPv6 address taking IPv4 too.
func bindReusePort(addr string) (*os.File, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, err
	}
	ip := ap.Addr()
	family, sa := unix.AF_INET6, unix.Sockaddr(&unix.SockaddrInet6{Port: int(ap.Port()), Addr: ip.As16()})
	if ip.Is4() || ip.Is4In6() {
		family, sa = unix.AF_INET, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ip.Unmap().As4()}
	}
	syscall.ForkLock.RLock() // no exec between socket and close-on-exec
	fd, err := unix.Socket(family, unix.SOCK_STREAM, unix.IPPROTO_TCP)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, err
	}
	for _, o := range []struct{ level, opt, v int }{
		{unix.SOL_SOCKET, unix.SO_REUSEADDR, 1},
		{unix.SOL_SOCKET, unix.SO_REUSEPORT, 1},
		{unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0},
	} {
		if o.level == unix.IPPROTO_IPV6 && (family != unix.AF_INET6 || !ip.IsUnspecified()) {
			continue
		}
		if err := unix.SetsockoptInt(fd, o.level, o.opt, o.v); err != nil {
			unix.Close(fd)
			return nil, err
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind %s: %w", addr, err)
	}
	return os.NewFile(uintptr(fd), "tcp:"+addr), nil
}

// listenBacklog is listen(2)'s backlog: the kernel lowers it to its
// bound (net.core.somaxconn on Linux), as for net.Listen's sockets.
const listenBacklog = 1<<16 - 1

// startListening makes an inherited public socket listen; on one that
// listens already (the supervisor held it) it changes nothing.
func startListening(fd uintptr) error { return unix.Listen(int(fd), listenBacklog) }

// unlisten takes a listening socket out of service without closing it:
// on Linux, shutdown(2) of a listening TCP socket resets the connections
// in its queue and leaves its SO_REUSEPORT group, as a close would, but
// the socket stays bound to its port (an explicit one, see Listen), so
// that a worker inheriting it later listens again (Child.Listener). Every
// copy of the descriptor sees it, the one kept for a binary hand-over
// too, which closing the supervisor's own copies could not reach. BSDs
// refuse shutdown on a listening socket (ENOTCONN), so it is not tried
// there: the caller closes the socket instead.
func unlisten(c syscall.Conn) error {
	if runtime.GOOS != "linux" {
		return errors.ErrUnsupported
	}
	raw, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) { serr = unix.Shutdown(int(fd), unix.SHUT_RD) }); err != nil {
		return err
	}
	return serr
}
