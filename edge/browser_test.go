package edge_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"corsedge/certs"
	"corsedge/internal/testpki"
)

// browserRules allow the test page's origin (http[s]://localhost:PORT) on /js/
// with credentials, a method and a header; fonts to everyone; styles to
// another site only.
const browserRules = `version = 1
[[rule]]
paths   = ["/fonts/"]
origins = ["*"]

[[rule]]
paths       = ["/js/"]
origins     = ["http://localhost:*", "https://localhost:*"]
methods     = ["POST"]
headers     = ["x-request-id"]
expose      = ["etag"]
credentials = true

[[rule]]
paths   = ["/css/"]
origins = ["https://other.example"]
`

// browserPage runs each check in the page and posts the outcomes back.
// A fetch that CORS refuses rejects with a TypeError: "blocked".
const browserPage = `<!doctype html><meta charset="utf-8"><script>
const edge = %q;
async function outcome(f) {
  try { return await f(); } catch (e) { return "blocked"; }
}
(async () => {
  const r = {};
  r.font_fetch = await outcome(async () => (await fetch(edge + "/fonts/a.woff2")).status);
  const font = async (path) => { await new FontFace("t", "url(" + edge + path + ")").load(); return "loaded"; };
  r.font_face = await outcome(() => font("/fonts/real.woff2"));
  r.font_face_refused = await outcome(() => font("/css/real.woff2"));
  r.credentialed_get = await outcome(async () => (await fetch(edge + "/js/app.js", {credentials: "include"})).status);
  r.exposed_etag = await outcome(async () => (await fetch(edge + "/js/app.js")).headers.get("etag") !== null);
  r.preflighted_post = await outcome(async () => (await fetch(edge + "/js/app.js", {method: "POST", headers: {"X-Request-ID": "1"}})).status);
  r.refused_method = await outcome(async () => (await fetch(edge + "/js/app.js", {method: "PUT"})).status);
  r.refused_header = await outcome(async () => (await fetch(edge + "/js/app.js", {headers: {"X-Secret": "1"}})).status);
  r.refused_origin = await outcome(async () => (await fetch(edge + "/css/site.css")).status);
  r.missing_file = await outcome(async () => (await fetch(edge + "/js/missing.js")).status);
  await fetch("/report", {method: "POST", body: JSON.stringify(r)});
})();
</script>`

// A real browser on another site is the judge of a CORS answer: headless
// Chromium loads a page from http://localhost:PORT and makes cross-origin
// requests to corsedge on 127.0.0.1; then the same over HTTPS, the page and
// corsedge both on certificates of a test CA that Chromium trusts by their
// key (--ignore-certificate-errors-spki-list).
func TestBrowser(t *testing.T) {
	for _, tc := range []struct {
		desc  string
		https bool
	}{
		{"http", false},
		{"https", true},
	} {
		t.Run(tc.desc, func(t *testing.T) { testBrowser(t, tc.https) })
	}
}

func testBrowser(t *testing.T, https bool) {
	chromium := findChromium(t)
	var ts *testServer
	var leaf testpki.Leaf
	edgeURL, scheme := "", "http"
	var extraFlags []string
	if https {
		f := newTLSFixture(t)
		var p certs.Pair
		p, leaf = f.pair(t, "edge", testpki.Spec{}) // localhost and 127.0.0.1: the page and corsedge alike
		ts = startHTTPS(t, browserRules, []certs.Pair{p})
		edgeURL, scheme = ts.tlsURL, "https"
		extraFlags = []string{"--ignore-certificate-errors-spki-list=" + leaf.SPKIHash()}
	} else {
		ts = startServer(t, browserRules)
		edgeURL = ts.url
	}
	font, err := os.ReadFile("../assets/demo/fonts/fontawesome-webfont.woff2")
	must(t, err)
	writeFile(t, ts.root+"/fonts/real.woff2", string(font))
	writeFile(t, ts.root+"/css/real.woff2", string(font))
	reports := make(chan map[string]any, 1)
	page := http.NewServeMux()
	page.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, browserPage, edgeURL)
	})
	page.HandleFunc("POST /report", func(w http.ResponseWriter, r *http.Request) {
		var got map[string]any
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Errorf("report: %v", err)
		}
		reports <- got
	})
	ln := listen(t)
	srv := &http.Server{Handler: page, ErrorLog: log.New(io.Discard, "", 0)} // Chromium's spare connections end in handshake errors
	if https {
		cert, err := tls.X509KeyPair(leaf.CertPEM, leaf.KeyPEM)
		must(t, err)
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	_, port, _ := strings.Cut(ln.Addr().String(), ":")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}, extraFlags...)
	cmd := exec.CommandContext(ctx, chromium, append(args, scheme+"://localhost:"+port+"/")...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()

	var got map[string]any
	select {
	case got = <-reports:
	case <-ctx.Done():
		t.Fatal("no report from the browser within 60 s")
	}
	if https && !regexp.MustCompile(`corsedge_tls_handshakes_total\{result="success",version="1.3"\} [1-9]`).MatchString(metricsText(t, ts.admin)) {
		t.Errorf("the browser made no TLS 1.3 handshake with corsedge:\n%s", grepLines(metricsText(t, ts.admin), "handshakes"))
	}
	want := map[string]any{
		"font_fetch":        200.0,
		"font_face":         "loaded",
		"font_face_refused": "blocked", // fonts load in cors mode: no ACAO, no font
		"credentialed_get":  200.0,
		"exposed_etag":      true,
		"preflighted_post":  405.0, // preflight accepted; the asset server refuses POST, readably
		"refused_method":    "blocked",
		"refused_header":    "blocked",
		"refused_origin":    "blocked",
		"missing_file":      404.0, // a 404 carries the CORS headers, so the page can read it
	}
	if !reflect.DeepEqual(got, want) {
		for k := range want {
			if !reflect.DeepEqual(got[k], want[k]) {
				t.Errorf("%s: browser saw %v, want %v", k, got[k], want[k])
			}
		}
	}
}

// findChromium returns the browser's path. Outside CI a missing browser
// skips the test, saying how to install it; in CI it fails, since .ci/run
// installs it.
func findChromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed: .ci/run should have installed it")
	}
	t.Skip("chromium not installed (apt-get install -y chromium); CI runs this test")
	return ""
}
