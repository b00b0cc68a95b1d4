package assets

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// tree is the read-only file tree served: a directory on disk, walked through
// os.Root so that no name or symlink leads out of it, or the embedded demo set.
// Both go through the same code: only open differs.
type tree struct {
	fsys  fs.FS
	root  *os.Root  // nil for the embedded set
	dir   *os.File  // root's directory, for recheck; nil for the embedded set or off Linux
	watch *watcher  // watches of the directories its entries depend on; nil: none
	epoch time.Time // modification time of embedded files, which carry none
}

// openDisk opens dir as a tree.
func openDisk(dir string) (*tree, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	if fi, err := root.Stat("."); err != nil || !fi.IsDir() {
		root.Close()
		return nil, errors.Join(errors.New("not a readable directory"), err)
	}
	return &tree{fsys: root.FS(), root: root, dir: openDir(root)}, nil
}

func (t *tree) close() error {
	if t.root == nil {
		return nil
	}
	t.watch.close() //nolint:errcheck // only the watches' descriptor
	if t.dir != nil {
		t.dir.Close()
	}
	return t.root.Close()
}

// errNotRegular refuses directories, devices and FIFOs: only regular files are
// served, and a directory is never listed.
var errNotRegular = errors.New("not a regular file")

// errChanged reports a file that changed while it was read.
var errChanged = errors.New("file changed while read")

// open opens the regular file name and returns it with its version. When
// looked is not nil, the paths resolving name looked up are appended to it.
func (t *tree) open(name string, looked *[]string) (fs.File, version, error) {
	var f fs.File
	var err error
	if t.root != nil {
		if name, _, err = resolve(t.root, name, looked); err != nil {
			return nil, version{}, err
		}
		// O_NONBLOCK: a FIFO in the root must not hold the request open; it is
		// refused below. Regular files ignore the flag.
		f, err = t.root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	} else {
		f, err = t.fsys.Open(name)
	}
	if err != nil {
		return nil, version{}, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = errNotRegular
	}
	if err != nil {
		f.Close()
		return nil, version{}, err
	}
	return f, t.versionOf(fi), nil
}

// absent is the state of a name that is not a regular file.
var absent = version{size: -1}

// state stats name (following symlinks inside the tree, as open does): its
// version, or absent for anything but a regular file, errors included.
func (t *tree) state(name string) version {
	var fi fs.FileInfo
	var err error
	if t.root != nil {
		_, fi, err = resolve(t.root, name, nil)
	} else {
		fi, err = fs.Stat(t.fsys, name)
	}
	if err != nil || !fi.Mode().IsRegular() {
		return absent
	}
	return t.versionOf(fi)
}

func (t *tree) versionOf(fi fs.FileInfo) version {
	mt := fi.ModTime()
	if mt.IsZero() {
		mt = t.epoch
	}
	inode, device, changed := fileIdentity(fi)
	return version{size: fi.Size(), modTime: mt.UnixNano(), changed: changed, inode: inode, device: device}
}

// readWhole reads all of f, which had version v when opened. It returns
// errChanged unless the file holds exactly v.size bytes and still has
// version v after the read: a write in place during the read changes the size
// or the modification time, so no mix of old and new bytes is ever kept. A
// rename over the file does not matter here: f still reads the old file.
func (t *tree) readWhole(f fs.File, v version) ([]byte, error) {
	body := make([]byte, v.size)
	if _, err := io.ReadFull(f, body); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, errChanged
		}
		return nil, err
	}
	var extra [1]byte
	if n, _ := f.Read(extra[:]); n > 0 {
		return nil, errChanged
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if t.versionOf(fi) != v {
		return nil, errChanged
	}
	return body, nil
}

// unavailable reports whether a failure to read a file is the server's, not
// the request's, and may pass: permission, I/O, no descriptors or memory left,
// a stale or dead mount, a file that kept changing, a root that is gone or
// closed. Those are a 503 that no cache keeps. Every other failure is a 404:
// not found, not a regular file, a dotfile, a symlink out of the root.
func unavailable(err error) bool {
	for _, e := range []error{
		errChanged, errRootGone, os.ErrClosed,
		syscall.EACCES, syscall.EPERM, syscall.EIO, syscall.EMFILE, syscall.ENFILE,
		syscall.ENOMEM, syscall.EAGAIN, syscall.ESTALE, syscall.ENOTCONN,
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
