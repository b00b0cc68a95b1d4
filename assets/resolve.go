package assets

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"syscall"
)

// errHidden refuses a name whose path, resolved through its symlinks, has a
// segment starting with a dot: dotfiles are never served, whatever link leads
// to them.
var errHidden = errors.New("resolves to a dotfile or dot-directory")

// errEscapes refuses a symlink that leads out of the root, or one with an
// absolute target (os.Root refuses both too).
var errEscapes = errors.New("symlink leads out of the root")

// maxLinks bounds the symlinks followed for one name, as Linux's MAXSYMLINKS
// (40) does for the kernel's own walk: a loop is refused, not followed.
const maxLinks = 40

// resolve returns name with every symlink in it followed, inside root: a path
// with no symlink and no dot segment, and the FileInfo of what it names. name
// is a fileName (clean, relative, no dot segment). Each prefix is lstat'ed, a
// few system calls per segment: it runs when a file is opened or stat'ed, never
// on a hit in memory. A writer inside the root who swaps a directory for a
// symlink between these calls and the open can still win that race: the root
// is trusted; what this refuses is a link left in it.
//
// When looked is not nil, every path lstat'ed is appended to it, found or
// not: the names whose change can change what name resolves to (see watch).
func resolve(root *os.Root, name string, looked *[]string) (string, fs.FileInfo, error) {
	var done []string // resolved segments, none of them a symlink
	todo := strings.Split(name, "/")
	var fi fs.FileInfo
	links := 0
	for len(todo) > 0 {
		seg := todo[0]
		todo = todo[1:]
		switch {
		case seg == "" || seg == ".":
			continue
		case seg == "..":
			if len(done) == 0 {
				return "", nil, errEscapes
			}
			done = done[:len(done)-1]
			fi = nil // a directory: the parent of one
			continue
		case seg[0] == '.':
			return "", nil, errHidden
		}
		path := strings.Join(append(done, seg), "/")
		if looked != nil {
			*looked = append(*looked, path)
		}
		var err error
		fi, err = root.Lstat(path)
		if err != nil {
			return "", nil, err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			if !fi.IsDir() && len(todo) > 0 {
				return "", nil, &fs.PathError{Op: "resolve", Path: name, Err: syscall.ENOTDIR}
			}
			done = append(done, seg)
			continue
		}
		if links++; links > maxLinks {
			return "", nil, &fs.PathError{Op: "resolve", Path: name, Err: syscall.ELOOP}
		}
		target, err := root.Readlink(path)
		if err != nil {
			return "", nil, err
		}
		if strings.HasPrefix(target, "/") {
			return "", nil, errEscapes
		}
		todo = append(strings.Split(target, "/"), todo...)
	}
	if fi == nil {
		return "", nil, errNotRegular // a directory reached by "..", or the root
	}
	return strings.Join(done, "/"), fi, nil
}
