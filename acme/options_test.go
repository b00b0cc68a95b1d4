package acme_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"corsedge/acme"
)

func TestNewRefuses(t *testing.T) {
	root := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(root, link); err != nil {
		t.Fatal(err)
	}
	good := func() acme.Options {
		return acme.Options{Domains: []string{"a.example"}, Dir: filepath.Join(t.TempDir(), "acme"), AssetRoot: root,
			HTTPAddr: ":80", TLSAddr: ":443"}
	}
	for _, tc := range []struct {
		desc   string
		change func(*acme.Options)
		want   string
	}{
		{"no domains", func(o *acme.Options) { o.Domains = nil }, "no -acme-domains"},
		{"a wildcard", func(o *acme.Options) { o.Domains = []string{"*.a.example"} }, "needs the DNS-01 challenge"},
		{"an IP address", func(o *acme.Options) { o.Domains = []string{"192.0.2.1"} }, "an IP address"},
		{"a bare label", func(o *acme.Options) { o.Domains = []string{"localhost"} }, "not a DNS name"},
		{"a CA URL over plain HTTP", func(o *acme.Options) { o.CA = "http://ca.example/dir" }, "starts with https://"},
		{"no HTTPS listener", func(o *acme.Options) { o.TLSAddr = "" }, "needs -tls-addr"},
		{"no challenge left", func(o *acme.Options) { o.HTTPAddr, o.NoTLSALPN = "", true }, "no challenge left"},
		{"no dir", func(o *acme.Options) { o.Dir = "" }, "no -acme-dir"},
		{"the dir is the asset root", func(o *acme.Options) { o.Dir = root }, "inside the asset root"},
		{"the dir is inside the asset root", func(o *acme.Options) { o.Dir = filepath.Join(root, "certs", "acme") }, "inside the asset root"},
		{"the dir is inside the root through a symlink", func(o *acme.Options) { o.Dir = filepath.Join(link, "acme") }, "inside the asset root"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			o := good()
			tc.change(&o)
			_, err := acme.New(o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one with %q", err, tc.want)
			}
		})
	}
	t.Run("good: the dir is made 0700, beside the root", func(t *testing.T) {
		o := good()
		o.Dir = filepath.Join(filepath.Dir(root), filepath.Base(root)+"-acme") // a name sharing the root's prefix
		if _, err := acme.New(o); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(o.Dir)
		if err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("dir %v, err %v", fi.Mode(), err)
		}
	})
}

// The HTTP-01 path is answered before any rule or asset on the plain
// listener, even where a "*" rule covers "/" and a file sits at that path
// (an unknown token is a 404 without CORS headers); over HTTPS it is an
// ordinary path, and every other path is untouched.
func TestChallengePath(t *testing.T) {
	c := startCorsedge(t, &pebble{directory: "https://127.0.0.1:9/dir"}, "a.corsedge.test", listen(t), listen(t),
		func(o *acme.Options) {})
	for _, tc := range []struct {
		desc       string
		client     *http.Client
		url        string
		wantStatus int
		wantACAO   string
	}{
		{"an unknown token on the plain listener", http.DefaultClient, c.plain + "/.well-known/acme-challenge/unknown", 404, ""},
		{"an escaped prefix is the same path", http.DefaultClient, c.plain + "/%2Ewell-known/acme-challenge/unknown", 404, ""},
		{"a font on the plain listener", http.DefaultClient, c.plain + "/fonts/a.woff2", 200, "*"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			req, _ := http.NewRequest("GET", tc.url, nil)
			req.Header.Set("Origin", "https://page.example")
			resp, err := tc.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus || resp.Header.Get("Access-Control-Allow-Origin") != tc.wantACAO {
				t.Errorf("%d, ACAO %q; want %d, %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), tc.wantStatus, tc.wantACAO)
			}
		})
	}
}
