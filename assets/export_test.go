package assets

import (
	"slices"
)

// Hooks for package assets_test: the parsers, reached without a server.

// ChooseEncoding returns the coding chosen for the Accept-Encoding field lines
// (nil: no field) when the sidecars marked in have exist: "br", "zstd",
// "gzip" or "identity".
func ChooseEncoding(lines []string, have [3]bool) string {
	var a acceptance
	for _, l := range lines {
		a.add([]byte(l))
	}
	list, n := a.ranked()
	for _, enc := range list[:n] {
		if enc == encIdentity || have[enc] {
			return map[encoding]string{encBrotli: "br", encZstd: "zstd", encGzip: "gzip", encIdentity: "identity"}[enc]
		}
	}
	panic("ranked does not end with identity")
}

// ResolveRange applies a Range field to a body of size bytes: status 200
// (whole body), 206 with [start, start+length), or 416.
func ResolveRange(field string, size int64) (status int, start, length int64) {
	spec, ok := parseRange([]byte(field))
	if !ok {
		return 200, 0, size
	}
	start, length, out := spec.resolve(size)
	switch out {
	case rangePartial:
		return 206, start, length
	case rangeUnsatisfiable:
		return 416, 0, 0
	}
	return 200, 0, size
}

// CacheSize reports the in-memory set's entries and charged bytes.
func CacheSize(s *Server) (entries int, bytes int64) {
	c := s.cur.Load().cache
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.ring), c.bytes
}

// CachedNames lists the names held in memory, sorted.
func CachedNames(s *Server) []string {
	c := s.cur.Load().cache
	c.mu.RLock()
	defer c.mu.RUnlock()
	names := make([]string, len(c.ring))
	for i, e := range c.ring {
		names[i] = e.name
	}
	slices.Sort(names)
	return names
}

// ETagListMatches runs the If-Match (strong) or If-None-Match (weak) list parser.
func ETagListMatches(list, etag string, strong bool) bool {
	return etagListMatches([]byte(list), []byte(etag), strong)
}

// FileName runs the path guard on a cleaned request path.
func FileName(p string) (name string, ok bool) {
	n, ok := fileName([]byte(p))
	return string(n), ok
}

// MaxPathLen is the longest request path looked up.
const MaxPathLen = maxPathLen

// GenerateCodings runs the load-time compressors on body as a compressible
// file with no sidecar: the br and gzip codings kept, nil for one that does
// not pay.
func GenerateCodings(body []byte) (br, gz []byte) {
	s := &Server{maxMemory: DefaultMaxMemory}
	e := &entry{cost: entryOverhead + int64(len(body))}
	s.generate(e, version{size: int64(len(body))}, body)
	if v := e.variants[encBrotli]; v != nil {
		br = v.body
	}
	if v := e.variants[encGzip]; v != nil {
		gz = v.body
	}
	return br, gz
}

// Loaded counts the files read into memory since New.
func Loaded(s *Server) uint64 { return s.loaded.Load() }

// SetCompressionBudget replaces the bytes a second (and the burst) that
// loads may compress.
func SetCompressionBudget(s *Server, rate, burst float64) {
	b := s.compression
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rate, b.burst, b.tokens = rate, burst, burst
}

// EntryOverhead and VariantOverhead are what the in-memory set charges an
// entry, and each coding beyond identity, on top of their bytes.
const (
	EntryOverhead   = entryOverhead
	VariantOverhead = variantOverhead
)
