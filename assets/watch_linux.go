package assets

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// startWatching watches for c's entries the directories of t, a disk tree;
// nil (no watches: every entry is stat'ed every Revalidate) when inotify
// cannot be had.
func startWatching(t *tree, c *cache, log *slog.Logger) *watcher {
	if t.dir == nil {
		return nil
	}
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		log.Warn("asset files are re-checked every Revalidate: no inotify", "error", err)
		return nil
	}
	// Non-blocking, so that the runtime's poller waits for it and a
	// Close wakes the read.
	f := os.NewFile(uintptr(fd), "inotify")
	base := fmt.Sprintf("/proc/self/fd/%d", t.dir.Fd())
	return newWatcher(&inotify{f: f, base: base, buf: make([]byte, 64<<10)}, c, log)
}

// inotify is watchSys on Linux. Directories are named through
// /proc/self/fd/N of the tree's root, so that a root path switched to
// another release is never watched by mistake. The names after it were
// resolved with no symlink in them; if one became a symlink since, the
// watch is of the wrong directory and only the safety net's stat sees
// that directory's changes.
type inotify struct {
	f    *os.File
	base string
	buf  []byte // read only by the event loop
}

// watchMask is every event that can change what a path names or holds:
// writes, truncation, attributes (utimes, chmod, link count), and names
// made, removed or renamed; and the watched directory's own end.
const watchMask = unix.IN_MODIFY | unix.IN_ATTRIB | unix.IN_CLOSE_WRITE |
	unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO |
	unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR

// lostMask is what ends a watch or moves its directory away from its path.
const lostMask = unix.IN_IGNORED | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_UNMOUNT

// silentFilesystems are the filesystems where inotify does not report
// changes made by other hosts or by a user-space server (statfs f_type).
var silentFilesystems = map[int64]string{
	0x6969:     "nfs",
	0xff534d42: "cifs",
	0xfe534d42: "smb2",
	0x517b:     "smb",
	0x65735546: "fuse",
	0x01021997: "9p",
	0x00c36400: "ceph",
	0x47504653: "gpfs",
	0x0bd00bd0: "lustre",
	0x013111a8: "ibrix",
	0x6b414653: "afs",
	0x786f4256: "vboxsf",
	0x19830326: "fhgfs",
}

// errSilentFilesystem refuses a watch that would report nothing.
var errSilentFilesystem = errors.New("inotify is silent on this filesystem")

func (n *inotify) add(dir string) (int32, error) {
	p := n.base
	mask := uint32(watchMask)
	if dir != "" {
		p += "/" + dir
		mask |= unix.IN_DONT_FOLLOW // the root's own path is the magic link to follow
	}
	var st unix.Statfs_t
	if err := unix.Statfs(p, &st); err != nil {
		return 0, err
	}
	if name, ok := silentFilesystems[int64(st.Type)]; ok {
		return 0, fmt.Errorf("%w (%s)", errSilentFilesystem, name)
	}
	wd, err := unix.InotifyAddWatch(int(n.f.Fd()), p, mask)
	return int32(wd), err
}

func (n *inotify) remove(wd int32) {
	unix.InotifyRmWatch(int(n.f.Fd()), uint32(wd)) //nolint:errcheck // EINVAL: the kernel removed it already
}

func (n *inotify) close() error { return n.f.Close() }

func (n *inotify) read() ([]watchEvent, error) {
	k, err := n.f.Read(n.buf)
	if err != nil {
		return nil, err
	}
	var evs []watchEvent
	for off := 0; off+unix.SizeofInotifyEvent <= k; {
		raw := (*unix.InotifyEvent)(unsafe.Pointer(&n.buf[off]))
		name := n.buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(raw.Len)]
		for len(name) > 0 && name[len(name)-1] == 0 { // NUL padded
			name = name[:len(name)-1]
		}
		evs = append(evs, watchEvent{wd: raw.Wd, name: string(name),
			lost: raw.Mask&lostMask != 0, overflow: raw.Mask&unix.IN_Q_OVERFLOW != 0})
		off += unix.SizeofInotifyEvent + int(raw.Len)
	}
	return evs, nil
}

// errWatchLimit reports a watch refused for lack of watches.
func errWatchLimit(err error) bool { return errors.Is(err, unix.ENOSPC) }
