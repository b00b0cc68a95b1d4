package edge_test

import (
	"io"
	"net/http"
	"testing"
)

const cacheRules = `version = 1
[[rule]]
paths   = ["/fonts/", "/js/"]
origins = ["*"]

[[cache]]
paths   = ["/fonts/"]
control = "public, max-age=31536000, immutable"

[[cache]]
paths   = ["/js/"]
control = "public, max-age=600"
`

// Cache-Control comes from the [[cache]] entry with the longest prefix, a
// default elsewhere, a short lifetime on 404, and follows a reload.
func TestCacheControlFromRules(t *testing.T) {
	ts := startServer(t, cacheRules)
	for _, tc := range []struct {
		desc, path string
		wantStatus int
		want       string
	}{
		{"fonts entry", "/fonts/a.woff2", 200, "public, max-age=31536000, immutable"},
		{"js entry", "/js/app.js", 200, "public, max-age=600"},
		{"no entry: the default", "/css/site.css", 200, "public, max-age=3600"},
		{"404: short lifetime", "/fonts/missing.woff2", 404, "public, max-age=60"},
	} {
		resp := ts.raw(t, "GET", tc.path, "Origin: https://a.example")
		if resp.StatusCode != tc.wantStatus || resp.Header.Get("Cache-Control") != tc.want {
			t.Errorf("%s: GET %s = %d, Cache-Control %q; want %d, %q", tc.desc, tc.path, resp.StatusCode, resp.Header.Get("Cache-Control"), tc.wantStatus, tc.want)
		}
	}
	etag := ts.raw(t, "GET", "/js/app.js").Header.Get("ETag")
	if resp := ts.raw(t, "GET", "/js/app.js", "If-None-Match: "+etag); resp.StatusCode != 304 || resp.Header.Get("Cache-Control") != "public, max-age=600" {
		t.Errorf("304: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}

	writeFile(t, ts.rulesFile, cacheRules+"\n[[cache]]\npaths = [\"/js/v\"]\ncontrol = \"no-store\"\n")
	resp, err := ts.client.Post(ts.admin+"/reload", "", nil)
	must(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("reload: %d", resp.StatusCode)
	}
	writeFile(t, ts.root+"/js/v2.js", "v2")
	if got := ts.raw(t, "GET", "/js/v2.js").Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("after reload, /js/v2.js Cache-Control %q, want no-store", got)
	}
	if got := ts.raw(t, "GET", "/js/app.js").Header.Get("Cache-Control"); got != "public, max-age=600" {
		t.Errorf("after reload, /js/app.js Cache-Control %q, want the /js/ entry", got)
	}
}
