package handover

import (
	"fmt"
	"net"
	"os"
)

// notifySystemd tells systemd that this process is the service's main
// process and ready (sd_notify(3): MAINPID=, READY=1), when it runs the
// service with Type=notify. After a hand-over the new process is a child
// of the old one, which then exits: without MAINPID systemd would take
// that exit for the service's end. The unit needs NotifyAccess=all, since
// the message comes from a process systemd did not start. Nothing is sent
// without $NOTIFY_SOCKET. The protocol is one datagram; a library for it
// would bring more than it saves.
func notifySystemd() error {
	name := os.Getenv("NOTIFY_SOCKET")
	if name == "" {
		return nil
	}
	if name[0] == '@' { // the abstract namespace
		name = "\x00" + name[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("systemd notification socket: %w", err)
	}
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "MAINPID=%d\nREADY=1", os.Getpid())
	return err
}
