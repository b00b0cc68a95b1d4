package safefile

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// leaseRetry is how often a read lease refused for a writer is asked again.
const leaseRetry = 50 * time.Millisecond

// lockOutWriters takes a read lease on f (fcntl(2) F_SETLEASE, F_RDLCK),
// which the kernel refuses with EAGAIN while any process holds the file
// open for writing, so a file still being written is never read. It asks
// again every leaseRetry for at most wait. Where no lease is allowed
// (EACCES: neither the owner nor CAP_LEASE; EINVAL: NFS, FUSE, overlay
// lower layers) the read goes on unguarded and unguarded says why. While
// the lease is held, a writer's open(2) waits for release (at most
// /proc/sys/fs/lease-break-time), and release comes right after the read.
func lockOutWriters(f *os.File, wait time.Duration) (release func(), unguarded, err error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return func() {}, err, nil
	}
	setLease := func(typ int) error {
		var err error
		if cerr := rc.Control(func(fd uintptr) { _, err = unix.FcntlInt(fd, unix.F_SETLEASE, typ) }); cerr != nil {
			return cerr
		}
		return err
	}
	deadline := time.Now().Add(wait)
	for {
		err := setLease(unix.F_RDLCK)
		switch {
		case err == nil:
			return func() { setLease(unix.F_UNLCK) }, nil, nil
		case !errors.Is(err, unix.EAGAIN):
			return func() {}, fmt.Errorf("no read lease: %w", err), nil
		case time.Now().After(deadline):
			return nil, nil, fmt.Errorf("%w: a process has held it open for writing for over %v (write a temporary file and rename it into place)", ErrOpenForWriting, wait)
		}
		time.Sleep(leaseRetry)
	}
}
