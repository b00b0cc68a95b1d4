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

// staleSidecar reports whether the sidecar of file name for enc, in state sv,
// is older than the file in state fv: it was made from an earlier content and
// is not served, in favour of a fresh sidecar or identity. Equal times are
// fresh: gzip, brotli and zstd give their output the input's time. Each stale
// state is logged once, not on every request that meets it.
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
