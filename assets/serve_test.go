package assets_test

import (
	"maps"
	"strconv"
	"testing"

	"corsedge/assets"
)

const (
	cssBody   = "body { color: #123456 }\n"
	cssBr     = "brotli bytes"
	cssGz     = "gzip bytes"
	fontBody  = "wOF2 font bytes, never compressed"
	hintsVary = "Origin"
)

// fixture is the tree most tests serve.
var fixture = map[string]string{
	"css/a.css":        cssBody,
	"css/a.css.br":     cssBr,
	"css/a.css.gz":     cssGz,
	"fonts/f.woff2":    fontBody,
	"fonts/f.woff2.br": "a sidecar no font ever gets",
}

// modes run a test against the in-memory set (with its directories watched,
// and stat'ed every Revalidate alone) and against streaming from disk.
var modes = []struct {
	desc string
	opts assets.Options
}{
	{desc: "memory"},
	{desc: "memory-nowatch", opts: assets.Options{NoWatch: true}},
	{desc: "stream", opts: assets.Options{MaxFileInMemory: 1}},
}

// with returns base with the fields of over replaced ("" removes one).
func with(base map[string]string, over map[string]string) map[string]string {
	m := maps.Clone(base)
	maps.Copy(m, over)
	return m
}

var (
	cssOK = map[string]string{
		"Access-Control-Allow-Origin": fakeCORS,
		"Content-Type":                "text/css; charset=utf-8",
		"Content-Length":              strconv.Itoa(len(cssBody)),
		"Content-Encoding":            "",
		"Vary":                        "Origin, Accept-Encoding",
		"Cache-Control":               hintCacheControl,
		"ETag":                        "{etag}",
		"Last-Modified":               "{lm}",
		"Accept-Ranges":               "bytes",
		"X-Content-Type-Options":      "nosniff",
		"Content-Range":               "",
	}
	cssBrOK = with(cssOK, map[string]string{
		"Content-Encoding": "br", "Content-Length": strconv.Itoa(len(cssBr)), "ETag": "{etagBr}", "Last-Modified": "{lmBr}",
	})
	// RFC 9110 §15.4.5: a 304 carries what updates a cache, and no content fields.
	cssNotModified = with(cssOK, map[string]string{
		"Content-Type": "", "Content-Length": "", "Accept-Ranges": "",
	})
	cssPartial = with(cssOK, map[string]string{
		"Content-Range": "bytes 0-3/" + strconv.Itoa(len(cssBody)), "Content-Length": "4",
	})
	cssUnsatisfiable = map[string]string{
		"Access-Control-Allow-Origin": fakeCORS,
		"Content-Range":               "bytes */" + strconv.Itoa(len(cssBody)),
		"Vary":                        "Origin, Accept-Encoding",
		"X-Content-Type-Options":      "nosniff",
		"Content-Type":                "",
		"Content-Encoding":            "",
		"ETag":                        "",
	}
	fontOK = map[string]string{
		"Access-Control-Allow-Origin": fakeCORS,
		"Content-Type":                "font/woff2",
		"Content-Length":              strconv.Itoa(len(fontBody)),
		"Content-Encoding":            "",
		"Vary":                        "Origin",
		"Cache-Control":               hintCacheControl,
		"X-Content-Type-Options":      "nosniff",
	}
	notFound = map[string]string{
		"Access-Control-Allow-Origin": fakeCORS,
		"Content-Type":                "text/plain; charset=utf-8",
		"Vary":                        "Origin",
		"Cache-Control":               "public, max-age=60",
		"X-Content-Type-Options":      "nosniff",
		"ETag":                        "",
		"Last-Modified":               "",
		"Content-Encoding":            "",
	}
)

// TestServe checks the exact header set of each kind of answer, over a socket.
// serveCase is one request to the fixture tree and the answer it must get;
// {etag}-style placeholders in headers and want are filled in by learn.
type serveCase struct {
	desc    string
	method  string // GET when empty
	path    string
	headers []string
	status  int
	want    map[string]string
	body    string
}

func TestServe(t *testing.T) {
	runServeCases(t, []serveCase{
		{desc: "200 identity without Accept-Encoding", path: "/css/a.css", status: 200, want: cssOK, body: cssBody},
		{desc: "200 br sidecar", path: "/css/a.css", headers: []string{"Accept-Encoding: gzip, deflate, br, zstd"}, status: 200, want: cssBrOK, body: cssBr},
		{desc: "200 gzip by q-value", path: "/css/a.css", headers: []string{"Accept-Encoding: br;q=0.5, gzip"}, status: 200,
			want: with(cssOK, map[string]string{"Content-Encoding": "gzip", "Content-Length": strconv.Itoa(len(cssGz)), "ETag": "{etagGz}"}), body: cssGz},
		{desc: "query string ignored", path: "/css/a.css?v=3", status: 200, want: cssOK, body: cssBody},
		{desc: "HEAD identity", method: "HEAD", path: "/css/a.css", status: 200, want: cssOK},
		{desc: "HEAD br", method: "HEAD", path: "/css/a.css", headers: []string{"Accept-Encoding: br"}, status: 200, want: cssBrOK},
		{desc: "If-None-Match equal", path: "/css/a.css", headers: []string{"If-None-Match: {etag}"}, status: 304, want: cssNotModified},
		{desc: "If-None-Match list with weak tag", path: "/css/a.css", headers: []string{`If-None-Match: "other", W/{etag}`}, status: 304, want: cssNotModified},
		{desc: "If-None-Match star", path: "/css/a.css", headers: []string{"If-None-Match: *"}, status: 304, want: cssNotModified},
		{desc: "If-None-Match on HEAD", method: "HEAD", path: "/css/a.css", headers: []string{"If-None-Match: {etag}"}, status: 304, want: cssNotModified},
		{desc: "If-None-Match br variant", path: "/css/a.css", headers: []string{"Accept-Encoding: br", "If-None-Match: {etagBr}"}, status: 304,
			want: with(cssNotModified, map[string]string{"ETag": "{etagBr}", "Last-Modified": "{lmBr}"})},
		{desc: "If-None-Match of identity does not match br", path: "/css/a.css", headers: []string{"Accept-Encoding: br", "If-None-Match: {etag}"}, status: 200, want: cssBrOK, body: cssBr},
		{desc: "If-None-Match other", path: "/css/a.css", headers: []string{`If-None-Match: "other"`}, status: 200, want: cssOK, body: cssBody},
		{desc: "If-None-Match wins over If-Modified-Since", path: "/css/a.css", headers: []string{`If-None-Match: "other"`, "If-Modified-Since: {lm}"}, status: 200, want: cssOK, body: cssBody},
		{desc: "If-Modified-Since equal", path: "/css/a.css", headers: []string{"If-Modified-Since: {lm}"}, status: 304, want: cssNotModified},
		{desc: "If-Modified-Since later", path: "/css/a.css", headers: []string{"If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT"}, status: 304, want: cssNotModified},
		{desc: "If-Modified-Since earlier", path: "/css/a.css", headers: []string{"If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT"}, status: 200, want: cssOK, body: cssBody},
		{desc: "If-Modified-Since invalid", path: "/css/a.css", headers: []string{"If-Modified-Since: yesterday"}, status: 200, want: cssOK, body: cssBody},
		{desc: "range first-last", path: "/css/a.css", headers: []string{"Range: bytes=0-3"}, status: 206, want: cssPartial, body: cssBody[:4]},
		{desc: "range ignores Accept-Encoding", path: "/css/a.css", headers: []string{"Range: bytes=0-3", "Accept-Encoding: br"}, status: 206, want: cssPartial, body: cssBody[:4]},
		{desc: "range with matching If-Range tag", path: "/css/a.css", headers: []string{"Range: bytes=0-3", "If-Range: {etag}"}, status: 206, want: cssPartial, body: cssBody[:4]},
		{desc: "range with matching If-Range date", path: "/css/a.css", headers: []string{"Range: bytes=0-3", "If-Range: {lm}"}, status: 206, want: cssPartial, body: cssBody[:4]},
		{desc: "range with stale If-Range tag", path: "/css/a.css", headers: []string{"Range: bytes=0-3", `If-Range: "old"`}, status: 200, want: cssOK, body: cssBody},
		{desc: "range with weak If-Range tag", path: "/css/a.css", headers: []string{"Range: bytes=0-3", "If-Range: W/{etag}"}, status: 200, want: cssOK, body: cssBody},
		{desc: "range with other If-Range date", path: "/css/a.css", headers: []string{"Range: bytes=0-3", "If-Range: Mon, 01 Jan 2001 00:00:00 GMT"}, status: 200, want: cssOK, body: cssBody},
		{desc: "range unsatisfiable", path: "/css/a.css", headers: []string{"Range: bytes=1000-"}, status: 416, want: cssUnsatisfiable},
		{desc: "multi-range is whole", path: "/css/a.css", headers: []string{"Range: bytes=0-1,4-5"}, status: 200, want: cssOK, body: cssBody},
		{desc: "range on HEAD is whole", method: "HEAD", path: "/css/a.css", headers: []string{"Range: bytes=0-3"}, status: 200, want: cssOK},
		{desc: "If-None-Match before range", path: "/css/a.css", headers: []string{"Range: bytes=0-3", "If-None-Match: {etag}"}, status: 304, want: cssNotModified},
		{desc: "woff2 never compressed", path: "/fonts/f.woff2", headers: []string{"Accept-Encoding: br, gzip"}, status: 200, want: fontOK, body: fontBody},
		{desc: "404 missing file", path: "/css/missing.css", status: 404, want: notFound, body: "404 not found\n"},
		{desc: "404 HEAD", method: "HEAD", path: "/css/missing.css", status: 404, want: notFound},
		{desc: "404 directory", path: "/css", status: 404, want: notFound, body: "404 not found\n"},
		{desc: "404 directory slash", path: "/css/", status: 404, want: notFound, body: "404 not found\n"},
		{desc: "404 root", path: "/", status: 404, want: notFound, body: "404 not found\n"},
	})
}

// runServeCases runs each case against the fixture tree in every mode.
func runServeCases(t *testing.T, tests []serveCase) {
	for _, mode := range modes {
		t.Run("mode="+mode.desc, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, fixture)
			mode.opts.Root = root
			h := newHarness(t, mode.opts, assets.Hints{Vary: hintsVary, CacheControl: hintCacheControl})
			vars := learn(t, h)
			for _, tc := range tests {
				t.Run(tc.desc, func(t *testing.T) {
					method := tc.method
					if method == "" {
						method = "GET"
					}
					headers := make([]string, len(tc.headers))
					for i, l := range tc.headers {
						headers[i] = expand(l, vars)
					}
					r := h.get(t, method, tc.path, headers...)
					if r.status != tc.status {
						t.Fatalf("status %d, want %d", r.status, tc.status)
					}
					want := maps.Clone(tc.want)
					for k, v := range want {
						want[k] = expand(v, vars)
					}
					checkHeaders(t, r.header, want)
					if r.body != tc.body {
						t.Errorf("body %q, want %q", r.body, tc.body)
					}
				})
			}
		})
	}
}

// learn fetches the validators that the cases refer to as {etag} and so on.
func learn(t *testing.T, h *harness) map[string]string {
	t.Helper()
	plain := h.get(t, "GET", "/css/a.css")
	br := h.get(t, "GET", "/css/a.css", "Accept-Encoding: br")
	gz := h.get(t, "GET", "/css/a.css", "Accept-Encoding: gzip")
	vars := map[string]string{
		"etag": plain.header.Get("ETag"), "lm": plain.header.Get("Last-Modified"),
		"etagBr": br.header.Get("ETag"), "lmBr": br.header.Get("Last-Modified"),
		"etagGz": gz.header.Get("ETag"),
	}
	if vars["etag"] == "" || vars["etag"] == vars["etagBr"] || vars["etagBr"] == vars["etagGz"] {
		t.Fatalf("each encoding needs its own entity tag: %v", vars)
	}
	for _, tag := range []string{vars["etag"], vars["etagBr"]} {
		if tag[0] != '"' || tag[len(tag)-1] != '"' {
			t.Fatalf("ETag %s is not a strong entity tag", tag)
		}
	}
	return vars
}

// TestLargeFile streams a file over MaxFileInMemory from its descriptor
// (fasthttp sends it with sendfile), whole, from an offset, and for HEAD.
func TestLargeFile(t *testing.T) {
	big := make([]byte, 3<<20)
	for i := range big {
		big[i] = byte(i * 7 % 251)
	}
	root := t.TempDir()
	writeTree(t, root, map[string]string{"big.wasm": string(big), "big.wasm.br": "br body"})
	h := newHarness(t, assets.Options{Root: root}, assets.Hints{Vary: hintsVary})
	tests := []struct {
		desc    string
		method  string
		headers []string
		status  int
		body    string
		want    map[string]string
	}{
		{"whole", "GET", nil, 200, string(big), map[string]string{"Content-Length": strconv.Itoa(len(big)), "Content-Type": "application/wasm"}},
		{"sidecar", "GET", []string{"Accept-Encoding: br"}, 200, "br body", map[string]string{"Content-Encoding": "br", "Vary": "Origin, Accept-Encoding"}},
		{"range from an offset", "GET", []string{"Range: bytes=1000000-2999999"}, 206, string(big[1000000:3000000]),
			map[string]string{"Content-Range": "bytes 1000000-2999999/" + strconv.Itoa(len(big)), "Content-Length": "2000000"}},
		{"suffix range", "GET", []string{"Range: bytes=-10"}, 206, string(big[len(big)-10:]), nil},
		{"HEAD", "HEAD", nil, 200, "", map[string]string{"Content-Length": strconv.Itoa(len(big))}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			r := h.get(t, tc.method, "/big.wasm", tc.headers...)
			if r.status != tc.status || r.body != tc.body {
				t.Errorf("status %d with %d bytes, want %d with %d", r.status, len(r.body), tc.status, len(tc.body))
			}
			checkHeaders(t, r.header, tc.want)
		})
	}
	if entries, _ := assets.CacheSize(h.srv); entries != 0 {
		t.Errorf("%d entries held in memory for a file over the limit", entries)
	}
}
