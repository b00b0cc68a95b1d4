package assets

import (
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// staleKey names one state of a stale sidecar, logged once.
type staleKey struct {
	name string
	v    version
}

// maxStaleLogged bounds the stale sidecar states remembered as logged: past
// it the oldest may be logged again, never more than once per request.
const maxStaleLogged = 1024

func newStaleLog() *lru.Cache[staleKey, struct{}] {
	c, err := lru.New[staleKey, struct{}](maxStaleLogged)
	if err != nil {
		panic(err) // only for a size below 1
	}
	return c
}

// staleSidecar reports whether the enc sidecar of file name (state fv), in
// state sv, is older than the file, so made from an earlier content: it is
// not served, and each such state is logged once. Equal times are fresh: gzip,
// brotli and zstd give their output the input's time.
func (s *Server) staleSidecar(name string, enc encoding, fv, sv version) bool {
	if sv.modTime >= fv.modTime {
		return false
	}
	sidecar := name + sidecarSuffix[enc]
	if seen, _ := s.staleLogged.ContainsOrAdd(staleKey{sidecar, sv}, struct{}{}); !seen {
		s.log.Warn("assets: precompressed sidecar is older than its file; serving without it",
			"sidecar", sidecar, "sidecar_mtime", time.Unix(0, sv.modTime).UTC(), "file_mtime", time.Unix(0, fv.modTime).UTC())
	}
	return true
}
