package assets_test

import (
	"testing"

	"corsedge/assets"
)

// TestMediaTypes checks the fixed table: content never decides the type, only
// compressible types get their sidecar, and only active types (which can run
// script as a document) carry the sandbox policy, on 200 and 304 alike.
func TestMediaTypes(t *testing.T) {
	const html = "<!doctype html><script>alert(1)</script>"
	const (
		plain   = ""
		sidecar = "br"
		sandbox = "sandbox"
	)
	tests := []struct{ file, want, encoding, csp string }{
		{"a.woff2", "font/woff2", plain, ""},
		{"a.woff", "font/woff", plain, ""},
		{"a.ttf", "font/ttf", sidecar, ""},
		{"a.otf", "font/otf", sidecar, ""},
		{"a.eot", "application/vnd.ms-fontobject", sidecar, ""},
		{"a.js", "text/javascript; charset=utf-8", sidecar, ""},
		{"a.mjs", "text/javascript; charset=utf-8", sidecar, ""},
		{"a.cjs", "text/javascript; charset=utf-8", sidecar, ""},
		{"a.css", "text/css; charset=utf-8", sidecar, ""},
		{"a.js.map", "application/json; charset=utf-8", sidecar, ""},
		{"a.json", "application/json; charset=utf-8", sidecar, ""},
		{"site.webmanifest", "application/manifest+json", sidecar, ""},
		{"a.wasm", "application/wasm", sidecar, ""},
		{"a.txt", "text/plain; charset=utf-8", sidecar, ""},
		{"a.png", "image/png", plain, ""},
		{"a.jpg", "image/jpeg", plain, ""},
		{"a.jpeg", "image/jpeg", plain, ""},
		{"a.gif", "image/gif", plain, ""},
		{"a.webp", "image/webp", plain, ""},
		{"a.avif", "image/avif", plain, ""},
		{"favicon.ico", "image/x-icon", sidecar, ""},
		{"a.svg", "image/svg+xml", sidecar, sandbox},
		{"a.xml", "application/xml", sidecar, sandbox},
		{"a.html", "text/html; charset=utf-8", sidecar, sandbox},
		{"A.HTML", "text/html; charset=utf-8", sidecar, sandbox},
		{"UPPER.WOFF2", "font/woff2", plain, ""},
		{"Mixed.Css", "text/css; charset=utf-8", sidecar, ""},
		{"noext", "application/octet-stream", plain, ""},
		{"a.unknown", "application/octet-stream", plain, ""},
		{"a.htm", "application/octet-stream", plain, ""},
		{"a.bmp", "application/octet-stream", plain, ""},
		{"a.css.br", "application/octet-stream", plain, ""},
	}
	root := t.TempDir()
	for _, tc := range tests {
		writeTree(t, root, map[string]string{tc.file: html, tc.file + ".br": "br"})
	}
	h := newHarness(t, assets.Options{Root: root}, assets.Hints{})
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			r := h.get(t, "GET", "/"+tc.file, "Accept-Encoding: br")
			if r.status != 200 {
				t.Fatalf("status %d", r.status)
			}
			checkHeaders(t, r.header, map[string]string{
				"Content-Type": tc.want, "X-Content-Type-Options": "nosniff",
				"Content-Encoding": tc.encoding, "Content-Security-Policy": tc.csp,
			})
			r = h.get(t, "GET", "/"+tc.file, "Accept-Encoding: br", "If-None-Match: "+r.header.Get("ETag"))
			if r.status != 304 {
				t.Fatalf("revalidation: status %d", r.status)
			}
			checkHeaders(t, r.header, map[string]string{"Content-Security-Policy": tc.csp})
		})
	}
}
