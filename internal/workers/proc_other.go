//go:build !linux

package workers

import (
	"os"
	"syscall"
)

// sysProcAttr puts a worker in a process group of its own. There is no
// parent-death signal here: the worker watches its parent (WatchParent).
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func executable() (string, error) { return os.Executable() }
