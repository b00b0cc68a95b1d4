package workers

import (
	"os"
	"syscall"
)

// sysProcAttr puts a worker in a process group of its own (a terminal's
// Ctrl-C reaches the supervisor, which stops the workers in order) and
// makes it get SIGTERM, and so drain, when the supervisor dies. The kernel sends it when the thread that forked the
// worker ends, not the process (golang/go#27505); Go ends a thread only
// when a goroutine locked to it returns, which nothing here does, and the
// worker watches its parent besides (WatchParent).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

// executable is the supervisor's own binary, as the kernel has it open:
// a worker restarted after the file was replaced runs the same code as the
// others (an upgrade is a hand-over of the whole server, not a worker at a
// time). Without /proc, the path it was started from.
func executable() (string, error) {
	const self = "/proc/self/exe"
	if _, err := os.Stat(self); err == nil {
		return self, nil
	}
	return os.Executable()
}
