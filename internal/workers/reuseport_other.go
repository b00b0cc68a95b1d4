//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package workers

import "errors"

func setReusePort(fd uintptr) error {
	return errors.New("SO_REUSEPORT is not supported on this system: -workers needs it")
}
