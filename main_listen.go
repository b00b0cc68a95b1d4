package main

import (
	"fmt"
	"net"

	"corsedge/edge"
	"corsedge/internal/handover"
)

// openListeners opens the public and admin sockets serve listens on; an
// empty address turns that listener off. It is the one place sockets come
// from: with up (the process's own serve, not a test calling run), a
// socket the previous binary handed over (SIGUSR2) is taken instead of a
// new one, and every socket is kept for the next.
func openListeners(up *handover.Upgrader, addr, tlsAddr, admin string) (lns edge.Listeners, err error) {
	for _, l := range []struct {
		what, addr string
		ln         *net.Listener
	}{{"http", addr, &lns.HTTP}, {"https", tlsAddr, &lns.HTTPS}, {"admin", admin, &lns.Admin}} {
		if l.addr == "" {
			continue
		}
		if up != nil {
			*l.ln, err = up.Listen(l.what, l.addr, listenTCP)
		} else {
			*l.ln, err = listenTCP(l.addr)
		}
		if err != nil {
			closeListeners(lns)
			return edge.Listeners{}, fmt.Errorf("%s on %s: %w", l.what, l.addr, err)
		}
	}
	return lns, nil
}

func listenTCP(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }

// closeListeners closes those of lns that are open.
func closeListeners(lns edge.Listeners) {
	for _, ln := range []net.Listener{lns.HTTP, lns.HTTPS, lns.Admin} {
		if ln != nil {
			ln.Close()
		}
	}
}
