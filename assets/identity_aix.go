package assets

import "syscall"

// changeTime is unknown here: size, modification time and inode alone tell a
// changed file.
func changeTime(*syscall.Stat_t) int64 { return 0 }
