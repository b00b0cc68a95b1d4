//go:build unix

package assets

import (
	"io/fs"
	"syscall"
)

// fileIdentity returns the inode and device of a file on disk, which tell a
// file replaced by rename from the one it replaced, and its inode change time
// in Unix nanoseconds, which tells a rewrite in place that kept size and mtime.
func fileIdentity(fi fs.FileInfo) (inode, device uint64, changed int64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino), uint64(st.Dev), changeTime(st)
	}
	return 0, 0, 0
}
