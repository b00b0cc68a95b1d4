package assets

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// openDir opens the tree's root directory for recheck; nil when it cannot,
// and recheck then resolves like state.
func openDir(root *os.Root) *os.File {
	dir, err := root.Open(".")
	if err != nil {
		return nil
	}
	return dir
}

// recheck is state for a file held in memory (name, with suffix: a
// sidecar's), at its re-check: one fstatat(2) of the whole name from the
// root's descriptor, following symlinks, where state resolves the name a
// segment at a time (nine system calls three segments deep: with thousands
// of sites' files held, these re-checks were a third of a GET's CPU). The
// kernel's walk is not held inside the tree, but what it finds only keeps
// an entry when it has the very version the entry was read with, device
// and inode included: the same file, whose bytes were already served.
// Anything else drops the entry, and the next request opens the name
// through resolve.
//
// The name goes to the kernel NUL-terminated from the stack: unix.Fstatat
// would allocate that copy on the heap, at every re-check of every file
// held (each 10 s safety net's, with thousands of them).
func (t *tree) recheck(name, suffix string) version {
	var path [maxPathLen + maxSuffixLen + 1]byte
	if t.dir == nil || len(name)+len(suffix) >= len(path) {
		return t.state(name + suffix)
	}
	n := copy(path[:], name)
	n += copy(path[n:], suffix)
	path[n] = 0
	var st unix.Stat_t
	_, _, errno := unix.Syscall6(sysFstatat, t.dir.Fd(), uintptr(unsafe.Pointer(&path[0])), uintptr(unsafe.Pointer(&st)), 0, 0, 0)
	if errno != 0 || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return absent
	}
	return version{size: st.Size, modTime: st.Mtim.Nano(), changed: st.Ctim.Nano(),
		inode: uint64(st.Ino), device: uint64(st.Dev)}
}
