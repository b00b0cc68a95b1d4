package assets

import (
	"io/fs"
	"time"
)

// NewFS returns a Server over fsys, served as the embedded set is: what fsys
// returns reaches Serve as a disk's answer would, failures included.
func NewFS(fsys fs.FS) *Server {
	s, err := New(Options{})
	if err != nil {
		panic(err)
	}
	s.cur.Store(&release{tree: &tree{fsys: fsys, epoch: time.Unix(1e9, 0)}, cache: newCache(s.maxMemory), resolved: "(test)"})
	return s
}
