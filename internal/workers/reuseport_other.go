//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package workers

import (
	"errors"
	"os"
	"syscall"
)

var errNoReusePort = errors.New("SO_REUSEPORT is not supported on this system: -workers needs it")

func setReusePort(fd uintptr) error               { return errNoReusePort }
func bindReusePort(addr string) (*os.File, error) { return nil, errNoReusePort }
func startListening(fd uintptr) error             { return errNoReusePort }
func unlisten(syscall.Conn) error                 { return errNoReusePort }
