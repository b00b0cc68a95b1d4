package assets_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"corsedge/assets"
)

// stylesheet returns about n bytes of plausible CSS, the same on every run:
// varied selectors, properties and values, so that it compresses about as
// real CSS does (to a quarter or so), not as a repeated line would.
func stylesheet(n int) string {
	words := []string{"header", "nav", "btn", "card", "title", "item", "list", "grid", "modal", "footer",
		"active", "primary", "muted", "icon", "badge", "form", "input", "label", "table", "row"}
	props := []string{"margin", "padding", "color", "background", "border", "font-size", "line-height",
		"display", "width", "max-width", "opacity", "z-index", "transition", "gap", "border-radius"}
	r := rand.New(rand.NewPCG(7, 11))
	var b strings.Builder
	for b.Len() < n {
		fmt.Fprintf(&b, ".%s-%s", words[r.IntN(len(words))], words[r.IntN(len(words))])
		if r.IntN(3) == 0 {
			fmt.Fprintf(&b, ":hover > .%s", words[r.IntN(len(words))])
		}
		b.WriteString(" {\n")
		for range 2 + r.IntN(4) {
			p := props[r.IntN(len(props))]
			switch r.IntN(3) {
			case 0:
				fmt.Fprintf(&b, "  %s: %dpx;\n", p, r.IntN(64))
			case 1:
				fmt.Fprintf(&b, "  %s: #%06x;\n", p, r.IntN(1<<24))
			default:
				fmt.Fprintf(&b, "  %s: %d.%02drem %dpx;\n", p, r.IntN(4), r.IntN(100), r.IntN(32))
			}
		}
		b.WriteString("}\n")
	}
	return b.String()[:n]
}

// decode undoes the coding a response names, with a decoder other than the
// encoder for gzip (the standard library's).
func decode(t *testing.T, r *response) string {
	t.Helper()
	switch enc := r.header.Get("Content-Encoding"); enc {
	case "":
		return r.body
	case "br":
		out, err := fasthttp.AppendUnbrotliBytes(nil, []byte(r.body))
		if err != nil {
			t.Fatalf("br body: %v", err)
		}
		return string(out)
	case "gzip":
		zr, err := gzip.NewReader(strings.NewReader(r.body))
		if err != nil {
			t.Fatalf("gzip body: %v", err)
		}
		out, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("gzip body: %v", err)
		}
		return string(out)
	default:
		t.Fatalf("Content-Encoding %q", enc)
		return ""
	}
}

var (
	css10k    = stylesheet(10 << 10)
	script    = strings.Repeat("export function f(a, b) { return a + b * 2; }\n", 200)
	manifest  = `{"icons": [` + strings.Repeat(`{"src": "/i.png", "sizes": "192x192"}, `, 60) + `{}]}`
	iconLike  = strings.Repeat("\x00\x00\x01\x00 bitmap rows ", 300) // ico: mostly uncompressed bitmaps
	pngLike   = strings.Repeat("IDAT compressible-looking bytes ", 300)
	woff2Like = strings.Repeat("wOF2 compressible-looking bytes ", 300)
	tinyCSS   = "a{color:red}\n" // under minSaving: nothing to win
)

// TestGeneratedEncodings serves compressible files that have no sidecar: br
// and gzip are made in memory, decode to the file, each carry their own ETag
// and answer their own 304; woff2, png and tiny files get no coding at all.
func TestGeneratedEncodings(t *testing.T) {
	files := map[string]string{
		"a.css": css10k, "m.js": script, "site.webmanifest": manifest, "favicon.ico": iconLike,
		"i.png": pngLike, "f.woff2": woff2Like, "tiny.css": tinyCSS,
	}
	root := t.TempDir()
	writeTree(t, root, files)
	h := newHarness(t, assets.Options{Root: root}, assets.Hints{Vary: hintsVary})
	tests := []struct {
		desc   string
		path   string
		accept string // Accept-Encoding; "" sends none
		want   string // Content-Encoding; "" for identity
		vary   string
	}{
		{"css br", "/a.css", "br, gzip", "br", "Origin, Accept-Encoding"},
		{"css gzip", "/a.css", "gzip", "gzip", "Origin, Accept-Encoding"},
		{"css q prefers gzip", "/a.css", "br;q=0.5, gzip", "gzip", "Origin, Accept-Encoding"},
		{"css no field", "/a.css", "", "", "Origin, Accept-Encoding"},
		{"css identity preferred", "/a.css", "identity, br;q=0.9", "", "Origin, Accept-Encoding"},
		{"js br", "/m.js", "gzip, deflate, br, zstd", "br", "Origin, Accept-Encoding"},
		{"webmanifest gzip", "/site.webmanifest", "gzip", "gzip", "Origin, Accept-Encoding"},
		{"ico br", "/favicon.ico", "br", "br", "Origin, Accept-Encoding"},
		{"zstd alone: none generated", "/a.css", "zstd", "", "Origin, Accept-Encoding"},
		{"png never", "/i.png", "br, gzip", "", "Origin"},
		{"woff2 never", "/f.woff2", "br, gzip", "", "Origin"},
		{"tiny css does not pay", "/tiny.css", "br, gzip", "", "Origin, Accept-Encoding"},
	}
	tags := map[string]string{} // path + coding -> ETag
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			var headers []string
			if tc.accept != "" {
				headers = append(headers, "Accept-Encoding: "+tc.accept)
			}
			r := h.get(t, "GET", tc.path, headers...)
			if r.status != 200 {
				t.Fatalf("status %d", r.status)
			}
			checkHeaders(t, r.header, map[string]string{
				"Content-Encoding": tc.want, "Vary": tc.vary, "Content-Length": strconv.Itoa(len(r.body)),
			})
			file := files[tc.path[1:]]
			if got := decode(t, r); got != file {
				t.Fatalf("decoded body: %d bytes, want the file's %d", len(got), len(file))
			}
			if tc.want != "" && len(r.body) >= len(file)*9/10 {
				t.Errorf("%s body %d bytes for a %d-byte file: it does not pay", tc.want, len(r.body), len(file))
			}
			etag := r.header.Get("ETag")
			if wantSuffix := "-" + tc.want + `"`; tc.want != "" && !strings.HasSuffix(etag, wantSuffix) {
				t.Errorf("ETag %s, want the suffix %s", etag, wantSuffix)
			}
			if old, ok := tags[tc.path+" "+tc.want]; ok && old != etag {
				t.Errorf("ETag %s, earlier %s for the same coding", etag, old)
			}
			tags[tc.path+" "+tc.want] = etag

			// RFC 9110 §13.1.2: the coding's own tag gives 304, with that tag.
			nm := h.get(t, "GET", tc.path, append(headers, "If-None-Match: "+etag)...)
			if nm.status != 304 || nm.body != "" {
				t.Errorf("If-None-Match its own tag: %d %q, want 304", nm.status, nm.body)
			}
			checkHeaders(t, nm.header, map[string]string{"ETag": etag, "Vary": tc.vary, "Content-Encoding": ""})
		})
	}
	seen := map[string]string{}
	for key, etag := range tags {
		if other, dup := seen[etag]; dup {
			t.Errorf("%s and %s share the ETag %s", key, other, etag)
		}
		seen[etag] = key
	}
	// Another coding's tag is another representation: no 304.
	if r := h.get(t, "GET", "/a.css", "Accept-Encoding: gzip", "If-None-Match: "+tags["/a.css br"]); r.status != 200 {
		t.Errorf("gzip request with the br tag: %d, want 200", r.status)
	}
	if errs := h.served(); len(errs) > 0 {
		t.Errorf("Serve returned %v", errs)
	}
}

// TestGeneratedSidecarPrecedence: a fresh sidecar is served as the build made
// it; a stale one is skipped and the generated coding serves in its place.
func TestGeneratedSidecarPrecedence(t *testing.T) {
	const brSidecar, gzSidecar = "br sidecar bytes", "gz sidecar bytes"
	tests := []struct {
		desc     string
		files    map[string]string
		stale    string // sidecar made an hour older than the file; "" none
		accept   string
		encoding string
		body     string // exact body on the wire; "" means it decodes to the file
	}{
		{"fresh br sidecar wins", map[string]string{"c.css": css10k, "c.css.br": brSidecar}, "", "br", "br", brSidecar},
		{"fresh gz sidecar wins", map[string]string{"c.css": css10k, "c.css.gz": gzSidecar}, "", "gzip", "gzip", gzSidecar},
		{"gzip generated beside a br sidecar", map[string]string{"c.css": css10k, "c.css.br": brSidecar}, "", "gzip", "gzip", ""},
		{"stale br sidecar: generated br", map[string]string{"c.css": css10k, "c.css.br": brSidecar}, "c.css.br", "br", "br", ""},
		{"stale gz sidecar: generated gzip", map[string]string{"c.css": css10k, "c.css.gz": gzSidecar}, "c.css.gz", "gzip", "gzip", ""},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, tc.files)
			if tc.stale != "" {
				now := time.Now()
				setMtime(t, root, "c.css", now)
				setMtime(t, root, tc.stale, now.Add(-time.Hour))
			}
			h := newHarness(t, assets.Options{Root: root, Logger: slog.New(slog.DiscardHandler)}, assets.Hints{})
			r := h.get(t, "GET", "/c.css", "Accept-Encoding: "+tc.accept)
			checkHeaders(t, r.header, map[string]string{"Content-Encoding": tc.encoding})
			if tc.body != "" && r.body != tc.body {
				t.Errorf("body %q, want the sidecar's %q", r.body, tc.body)
			}
			if tc.body == "" && decode(t, r) != css10k {
				t.Errorf("body (%d bytes) does not decode to the file", len(r.body))
			}
		})
	}
}

// TestGeneratedMemoryBound: generated codings are charged against MaxMemory,
// so a bound that would hold two files unencoded holds only one with them.
func TestGeneratedMemoryBound(t *testing.T) {
	const overhead = assets.EntryOverhead
	root := t.TempDir()
	other := stylesheet(len(css10k) + 1)[1:] // same size, other bytes
	writeTree(t, root, map[string]string{"a.css": css10k, "b.css": other})
	sizeOf := func(h *harness, path, accept string) int {
		return len(h.get(t, "GET", path, "Accept-Encoding: "+accept).body)
	}

	roomy := newHarness(t, assets.Options{Root: root}, assets.Hints{})
	br, gz := sizeOf(roomy, "/a.css", "br"), sizeOf(roomy, "/a.css", "gzip")
	if br >= len(css10k) || gz >= len(css10k) {
		t.Fatalf("br %d, gzip %d bytes: not generated for a %d-byte file", br, gz, len(css10k))
	}
	if _, bytes := assets.CacheSize(roomy.srv); bytes != int64(overhead+len(css10k)+br+gz)+2*assets.VariantOverhead {
		t.Errorf("charged %d bytes, want %d (overhead + identity %d + br %d + gzip %d + two codings' overhead)",
			bytes, int64(overhead+len(css10k)+br+gz)+2*assets.VariantOverhead, len(css10k), br, gz)
	}

	// Room for two entries of identity alone, not for two with their codings.
	bound := int64(2 * (overhead + len(css10k) + gz))
	tight := newHarness(t, assets.Options{Root: root, MaxMemory: bound, MaxFileInMemory: int64(len(css10k))}, assets.Hints{})
	sizeOf(tight, "/a.css", "br")
	sizeOf(tight, "/b.css", "br")
	if got := assets.CachedNames(tight.srv); len(got) != 1 || got[0] != "b.css" {
		t.Errorf("held %q, want only [b.css]: the codings' bytes count against the bound", got)
	}
	if _, bytes := assets.CacheSize(tight.srv); bytes > bound {
		t.Errorf("charged %d bytes over the bound %d", bytes, bound)
	}
}

// TestGeneratedChange: a change of the file on disk replaces every generated
// coding, bytes and tags, within about Revalidate.
func TestGeneratedChange(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"c.css": css10k})
	h := newHarness(t, assets.Options{Root: root, Revalidate: 20 * time.Millisecond}, assets.Hints{})
	codings := []string{"br", "gzip", ""}
	old := map[string]string{}
	for _, enc := range codings {
		old[enc] = h.get(t, "GET", "/c.css", "Accept-Encoding: "+enc).header.Get("ETag")
	}
	changed := stylesheet(12 << 10)
	replace(t, root, "c.css", changed)
	for start := time.Now(); h.get(t, "GET", "/c.css").body != changed; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 2*time.Second {
			t.Fatal("new file not served after 2s")
		}
	}
	for _, enc := range codings {
		r := h.get(t, "GET", "/c.css", "Accept-Encoding: "+enc)
		checkHeaders(t, r.header, map[string]string{"Content-Encoding": enc})
		if decode(t, r) != changed {
			t.Errorf("%q: body does not decode to the new file", enc)
		}
		if etag := r.header.Get("ETag"); etag == old[enc] {
			t.Errorf("%q: ETag %s unchanged", enc, etag)
		}
	}
}

// TestGeneratedAllocs: a hit on a generated coding costs no allocation.
func TestGeneratedAllocs(t *testing.T) {
	p := newInProcess(t, map[string]string{"a.css": css10k}, assets.Options{})
	for _, accept := range []string{"Accept-Encoding: br, gzip", "Accept-Encoding: gzip"} {
		p.request("/a.css", accept)
		p.serve()
		if enc := p.ctx.Response.Header.ContentEncoding(); len(enc) == 0 {
			t.Fatalf("%s: no coding generated", accept)
		}
		if allocs := testing.AllocsPerRun(200, p.serve); allocs != 0 {
			t.Errorf("%s: %v allocations per request, want 0", accept, allocs)
		}
	}
}

// BenchmarkGenerate measures the one-time compression per load, in ns per
// KiB of the file and the sizes it reaches.
func BenchmarkGenerate(b *testing.B) {
	for _, tc := range []struct {
		name string
		body string
	}{
		{"file=css-10k", css10k},
		{"file=css-100k", stylesheet(100 << 10)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			body := []byte(tc.body)
			var br, gz []byte
			for b.Loop() {
				br, gz = assets.GenerateCodings(body)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(float64(len(body))/1024), "ns/KiB")
			b.ReportMetric(float64(len(br))/float64(len(body)), "br-ratio")
			b.ReportMetric(float64(len(gz))/float64(len(body)), "gzip-ratio")
			if !bytes.Equal(must(fasthttp.AppendUnbrotliBytes(nil, br)), body) {
				b.Fatal("br does not round-trip")
			}
		})
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// Requests that miss the same cold file at once share one load (read, hash,
// compress): after a deploy every client asks for the same bundle, and each
// load of a 200 KiB stylesheet costs a tenth of a second of CPU.
func TestConcurrentMissesShareOneLoad(t *testing.T) {
	root := t.TempDir()
	css := stylesheet(200 << 10)
	writeTree(t, root, map[string]string{"css/big.css": css})
	h := newHarness(t, assets.Options{Root: root}, assets.Hints{})
	const clients = 16
	start := make(chan struct{})
	results := make(chan *response, clients)
	for range clients {
		go func() {
			<-start
			results <- h.get(t, "GET", "/css/big.css", "Accept-Encoding: br")
		}()
	}
	close(start)
	for range clients {
		r := <-results
		if r.status != 200 || decode(t, r) != css {
			t.Fatalf("status %d, %d bytes decoded; want 200 and the file", r.status, len(decode(t, r)))
		}
	}
	// One load is the rule; a second is allowed for a client scheduled only
	// after the first load finished and before its entry was stored.
	if n := assets.Loaded(h.srv); n < 1 || n > 2 {
		t.Errorf("%d concurrent misses made %d loads, want 1 (at most 2)", clients, n)
	}
}

// Loads compress within a budget: past it a file is served without its
// generated codings (not compressed on every miss when the hot set churns),
// and once the budget allows, a re-check reads it in again, compressed.
func TestCompressionBudget(t *testing.T) {
	root := t.TempDir()
	css := stylesheet(20 << 10)
	writeTree(t, root, map[string]string{"css/a.css": css})
	h := newHarness(t, assets.Options{Root: root, Revalidate: 10 * time.Millisecond}, assets.Hints{})
	assets.SetCompressionBudget(h.srv, 0, 1<<10) // less than the file: nothing is compressed
	if r := h.get(t, "GET", "/css/a.css", "Accept-Encoding: br"); r.status != 200 || r.header.Get("Content-Encoding") != "" || r.body != css {
		t.Fatalf("over budget: %d, Content-Encoding %q; want 200 identity", r.status, r.header.Get("Content-Encoding"))
	}
	assets.SetCompressionBudget(h.srv, 1<<30, 1<<30)
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := h.get(t, "GET", "/css/a.css", "Accept-Encoding: br")
		if r.header.Get("Content-Encoding") == "br" && decode(t, r) == css {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the file was not compressed once the budget allowed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := assets.Loaded(h.srv); n != 2 {
		t.Errorf("%d loads, want 2 (deferred, then compressed)", n)
	}
}
