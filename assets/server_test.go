package assets_test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"corsedge/assets"
)

func TestNewErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	writeTree(t, dir, map[string]string{"file": "x"})
	tests := []struct {
		desc string
		opts assets.Options
		want []string // each must be in the error
	}{
		{"missing root", assets.Options{Root: filepath.Join(dir, "missing")}, []string{"Root", "missing"}},
		{"root is a file", assets.Options{Root: file}, []string{"Root", "file"}},
		{"negative limits, all named", assets.Options{Root: dir, MaxMemory: -1, Revalidate: -1, MaxFileInMemory: -2},
			[]string{"MaxMemory is -1", "Revalidate is -1ns", "MaxFileInMemory is -2"}},
		{"file limit over memory limit", assets.Options{Root: dir, MaxFileInMemory: 2 << 20, MaxMemory: 1 << 20}, []string{"exceeds MaxMemory"}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			srv, err := assets.New(tc.opts)
			if err == nil {
				srv.Close()
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestDemo serves the embedded set through the same path as a disk root.
func TestDemo(t *testing.T) {
	h := newHarness(t, assets.Options{}, assets.Hints{Vary: hintsVary})
	if !h.srv.Demo() {
		t.Error("Demo() is false without a Root")
	}
	wantFiles := []string{"css/demo.css", "fonts/OFL.txt", "fonts/fontawesome-webfont.woff2", "js/demo.js"}
	if got := h.srv.Files(); !slices.Equal(got, wantFiles) {
		t.Errorf("Files() = %q, want %q", got, wantFiles)
	}
	tests := []struct {
		desc, path, accept, file, contentType, encoding string
	}{
		{"font", "/fonts/fontawesome-webfont.woff2", "br", "fonts/fontawesome-webfont.woff2", "font/woff2", ""},
		{"stylesheet, br", "/css/demo.css", "br, gzip", "css/demo.css.br", "text/css; charset=utf-8", "br"},
		{"stylesheet, zstd", "/css/demo.css", "zstd", "css/demo.css.zst", "text/css; charset=utf-8", "zstd"},
		{"script, gzip", "/js/demo.js", "gzip", "js/demo.js.gz", "text/javascript; charset=utf-8", "gzip"},
		{"script, identity", "/js/demo.js", "", "js/demo.js", "text/javascript; charset=utf-8", ""},
		{"licence", "/fonts/OFL.txt", "", "fonts/OFL.txt", "text/plain; charset=utf-8", ""},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("demo", filepath.FromSlash(tc.file)))
			if err != nil {
				t.Fatal(err)
			}
			r := h.get(t, "GET", tc.path, "Accept-Encoding: "+tc.accept)
			if r.status != 200 || r.body != string(want) {
				t.Fatalf("status %d, body of %d bytes, want 200 with %s", r.status, len(r.body), tc.file)
			}
			checkHeaders(t, r.header, map[string]string{"Content-Type": tc.contentType, "Content-Encoding": tc.encoding})
			if r.header.Get("ETag") == "" || r.header.Get("Last-Modified") == "" {
				t.Errorf("validators missing: %v", r.header)
			}
		})
	}
	css := h.get(t, "GET", "/css/demo.css")
	if !strings.Contains(css.body, `url("../fonts/fontawesome-webfont.woff2")`) {
		t.Error("demo.css does not load the demo font")
	}
	if h.get(t, "GET", "/css/demo.css.br").status != 200 {
		t.Error("a sidecar is served under its own name, as on disk")
	}

	disk, err := assets.New(assets.Options{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer disk.Close()
	if disk.Demo() || disk.Files() != nil {
		t.Errorf("disk root: Demo() %v, Files() %q", disk.Demo(), disk.Files())
	}
}

// TestCacheControl checks the default policy and the caller's.
func TestCacheControl(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, fixture)
	for _, tc := range []struct{ desc, hint, want string }{
		{"default", "", "public, max-age=3600"},
		{"caller's", "public, max-age=31536000, immutable", "public, max-age=31536000, immutable"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			h := newHarness(t, assets.Options{Root: root}, assets.Hints{CacheControl: tc.hint})
			checkHeaders(t, h.get(t, "GET", "/css/a.css").header, map[string]string{"Cache-Control": tc.want, "Vary": "Accept-Encoding"})
			checkHeaders(t, h.get(t, "GET", "/missing.css").header, map[string]string{"Cache-Control": "public, max-age=60", "Vary": ""})
		})
	}
}

// TestEviction fills a small in-memory set with cold files while one file
// stays hot: the bound holds, the hot file stays, every answer is right.
func TestEviction(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{"hot.js": strings.Repeat("h", 1000)}
	for i := range 20 {
		files["cold"+strconv.Itoa(i)+".js"] = strings.Repeat(strconv.Itoa(i%10), 1000)
	}
	writeTree(t, root, files)
	// Two 1000-byte files with their overhead and generated codings (a few
	// dozen bytes each), not three.
	const maxMemory = 2*(assets.EntryOverhead+1000+2*assets.VariantOverhead) + 512
	h := newHarness(t, assets.Options{Root: root, MaxFileInMemory: 1024, MaxMemory: maxMemory}, assets.Hints{})
	for i := range 20 {
		for _, name := range []string{"hot.js", "cold" + strconv.Itoa(i) + ".js"} {
			if r := h.get(t, "GET", "/"+name); r.body != files[name] {
				t.Fatalf("%s: %d, %d bytes", name, r.status, len(r.body))
			}
		}
		if entries, bytes := assets.CacheSize(h.srv); bytes > maxMemory || entries > 2 {
			t.Fatalf("%d entries, %d bytes: over the bound of %d", entries, bytes, maxMemory)
		}
	}
	if names := assets.CachedNames(h.srv); !slices.Contains(names, "hot.js") {
		t.Errorf("the hot file was evicted: %q", names)
	}
}
