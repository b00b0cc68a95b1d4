//go:build unix

package edge

import "syscall"

// descriptorLimit returns the soft RLIMIT_NOFILE, 0 when unknown. Go raises
// it to the hard limit at start.
func descriptorLimit() uint64 {
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) != nil {
		return 0
	}
	return rl.Cur
}
