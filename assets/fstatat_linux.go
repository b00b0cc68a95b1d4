//go:build linux && !(386 || arm || mips || mipsle || ppc || sparc64)

package assets

import "golang.org/x/sys/unix"

// sysFstatat is the fstatat(2) that fills unix.Stat_t (x/sys/unix's own
// Fstatat uses the same number; fstatat64_linux.go for the 32-bit ones).
const sysFstatat = unix.SYS_NEWFSTATAT
