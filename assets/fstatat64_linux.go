//go:build linux && (386 || arm || mips || mipsle || ppc || sparc64)

package assets

import "golang.org/x/sys/unix"

// sysFstatat is the fstatat(2) that fills unix.Stat_t on 32-bit Linux.
const sysFstatat = unix.SYS_FSTATAT64
