package rules

import (
	"io/fs"
	"syscall"
	"time"
)

// inodeAndChange returns the file's inode and its change time, which every
// write and rename moves (the modification time can be set back by anyone).
func inodeAndChange(fi fs.FileInfo, mod time.Time) (uint64, time.Time) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino, time.Unix(st.Ctim.Sec, st.Ctim.Nsec)
	}
	return 0, mod
}
