package assets

import (
	"bytes"
	"sync"
	"time"

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

	// compressRate and compressBurst bound the bytes loads compress, so that
	// requests cannot make corsedge compress without end: when the files in
	// use exceed the hot set, every eviction and reload would compress again
	// (about 0.1 s of CPU for a 256 KiB file). At brotli 10 that is at most
	// about half a core on average, and a deploy's first burst of 16 MiB of
	// cold files is compressed at once. Past it a file is kept without its
	// generated codings (identity and fresh sidecars still serve), and is
	// read in again, compressed, at a re-check when the budget allows.
	compressRate  = 1 << 20 // bytes a second
	compressBurst = 16 << 20
)

// budget is a token bucket of bytes to compress.
type budget struct {
	mu          sync.Mutex // guards the fields below
	rate, burst float64
	tokens      float64
	at          time.Time // of the last refill
}

func newBudget(rate, burst float64) *budget {
	return &budget{rate: rate, burst: burst, tokens: burst, at: time.Now()}
}

// refill adds what the time since the last call earned; b.mu is held.
func (b *budget) refill() {
	now := time.Now()
	b.tokens = min(b.burst, b.tokens+now.Sub(b.at).Seconds()*b.rate)
	b.at = now
}

// take spends n bytes of the budget, or reports false and spends nothing.
func (b *budget) take(n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	if float64(n) > b.tokens {
		return false
	}
	b.tokens -= float64(n)
	return true
}

// ready reports whether n bytes could be compressed now.
func (b *budget) ready(n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	return float64(n) <= b.tokens
}

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
	if !s.compression.take(len(body)) {
		e.deferred = true
		return
	}
	scratch := make([]byte, 0, len(body)) // a coding that pays fits without growing
	for _, g := range generators {
		if e.variants[g.enc] != nil {
			continue // a fresh sidecar wins: the build chose its bytes
		}
		out := g.compress(scratch[:0], body)
		if !pays(len(out), len(body)) || e.cost+int64(len(out))+variantOverhead > s.maxMemory {
			continue
		}
		gv := v // Last-Modified is the file's; the tag is the coding's own bytes'
		gv.size = int64(len(out))
		e.hold(memoryVariant(g.enc, gv, bytes.Clone(out))) // exact size: cost is what is held
		e.cost += gv.size + variantOverhead
	}
}
