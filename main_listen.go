package main

import (
	"fmt"
	"net"

	"corsedge/edge"
)

// openListeners opens the public and admin sockets serve listens on; an
// empty address turns that listener off. It is the one place sockets come
// from, so that they can come from elsewhere (a previous binary, a
// supervisor) without serve changing.
func openListeners(addr, tlsAddr, admin string) (lns edge.Listeners, err error) {
	for _, l := range []struct {
		what, addr string
		ln         *net.Listener
	}{{"HTTP", addr, &lns.HTTP}, {"HTTPS", tlsAddr, &lns.HTTPS}, {"admin", admin, &lns.Admin}} {
		if l.addr == "" {
			continue
		}
		if *l.ln, err = net.Listen("tcp", l.addr); err != nil {
			closeListeners(lns)
			return edge.Listeners{}, fmt.Errorf("%s on %s: %w", l.what, l.addr, err)
		}
	}
	return lns, nil
}

// closeListeners closes those of lns that are open.
func closeListeners(lns edge.Listeners) {
	for _, ln := range []net.Listener{lns.HTTP, lns.HTTPS, lns.Admin} {
		if ln != nil {
			ln.Close()
		}
	}
}
