package assets

import (
	"bytes"

	"github.com/valyala/fasthttp"
)

// Compression without sidecars: a compressible file read into memory gets a
// br and a gzip coding made once, at load, for each coding no fresh sidecar
// gives. They live only in the entry (never on disk), are charged against the
// hot-set bound, and go with it when the file changes.

const (
	// brotliQuality 10 comes within 3% of `brotli -q 11` on real CSS and JS
	// at about half its CPU (0.3-0.5 ms per KiB here, so at most about 0.1 s
	// for a 256 KiB file); quality 9 is 40× cheaper but 8-11% bigger.
	brotliQuality = 10
	// gzipLevel 9 costs 20-35 µs per KiB, noise beside brotli, and is 2-4%
	// smaller than level 6 for clients without br (browsers over plain HTTP).
	gzipLevel = fasthttp.CompressBestCompression
	// minSaving is the least a generated coding must save, besides a tenth of
	// the file: less does not pay for the Content-Encoding line (22 bytes),
	// the memory, and a response a few bytes smaller in the same packet.
	minSaving = 64
)

// generators are the codings made at load, each with its compressor (the
// ones fasthttp already links in: go-brrr, byte-compatible with the C
// reference brotli, and klauspost/compress gzip).
var generators = [...]struct {
	enc      encoding
	compress func(dst, src []byte) []byte
}{
	{encBrotli, func(dst, src []byte) []byte { return fasthttp.AppendBrotliBytesLevel(dst, src, brotliQuality) }},
	{encGzip, func(dst, src []byte) []byte { return fasthttp.AppendGzipBytesLevel(dst, src, gzipLevel) }},
}

// pays reports whether a coding of size n is worth keeping for a file of size
// size: it must save at least a tenth of it and at least minSaving bytes.
func pays(n, size int) bool {
	saved := size - n
	return saved >= minSaving && saved >= size/10
}

// generate adds to e, read from body in state v, each generated coding that
// no fresh sidecar gave, that pays, and that keeps e within the hot-set bound
// (an entry over it would not be kept, and would be compressed on every miss).
func (s *Server) generate(e *entry, v version, body []byte) {
	if len(body) <= minSaving {
		return
	}
	scratch := make([]byte, 0, len(body)) // a coding that pays fits without growing
	for _, g := range generators {
		if e.variants[g.enc] != nil {
			continue // a fresh sidecar wins: the build chose its bytes
		}
		out := g.compress(scratch[:0], body)
		if !pays(len(out), len(body)) || e.cost+int64(len(out)) > s.maxMemory {
			continue
		}
		gv := v // Last-Modified is the file's; the tag is the coding's own bytes'
		gv.size = int64(len(out))
		e.variants[g.enc] = memoryVariant(g.enc, gv, bytes.Clone(out)) // exact size: cost is what is held
		e.cost += gv.size
	}
}
