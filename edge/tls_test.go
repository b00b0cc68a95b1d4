package edge_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"corsedge/certs"
	"corsedge/edge"
	"corsedge/internal/testlog"
	"corsedge/internal/testpki"
)

const tlsRules = `version = 1
[[rule]]
paths   = ["/fonts/"]
origins = ["*"]

[[rule]]
paths       = ["/js/"]
origins     = ["https://app.example"]
credentials = true
`

// HTTPS answers exactly as HTTP does: one handler behind both listeners.
func TestHTTPSAnswersAsHTTP(t *testing.T) {
	f := newTLSFixture(t)
	p, _ := f.pair(t, "site", testpki.Spec{})
	ts := startHTTPS(t, tlsRules, []certs.Pair{p})
	client := f.httpsClient(false)
	for _, tc := range []struct {
		desc, method, path string
		headers            []string
	}{
		{"a font to anyone", "GET", "/fonts/a.woff2", []string{"Origin: https://x.example"}},
		{"a credentialed script", "GET", "/js/app.js", []string{"Origin: https://app.example"}},
		{"a preflight", "OPTIONS", "/js/app.js", []string{"Origin: https://app.example", "Access-Control-Request-Method: GET"}},
		{"a refused origin", "GET", "/js/app.js", []string{"Origin: https://evil.example"}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			plain := ts.do(t, tc.method, tc.path, tc.headers...)
			secure := *ts
			secure.url, secure.client = ts.tlsURL, client
			over := secure.do(t, tc.method, tc.path, tc.headers...)
			if over.TLS == nil || over.TLS.Version != tls.VersionTLS13 || over.TLS.NegotiatedProtocol != "http/1.1" {
				t.Fatalf("connection state %+v, want TLS 1.3 with ALPN http/1.1", over.TLS)
			}
			if over.StatusCode != plain.StatusCode {
				t.Errorf("status %d over HTTPS, %d over HTTP", over.StatusCode, plain.StatusCode)
			}
			for _, h := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Vary", "Access-Control-Allow-Methods", "Content-Type"} {
				if over.Header.Get(h) != plain.Header.Get(h) {
					t.Errorf("%s: %q over HTTPS, %q over HTTP", h, over.Header.Get(h), plain.Header.Get(h))
				}
			}
		})
	}
}

// TLS 1.2 is the floor (RFC 8996); handshakes are counted by version and result.
func TestTLSVersions(t *testing.T) {
	f := newTLSFixture(t)
	p, _ := f.pair(t, "site", testpki.Spec{})
	ts := startHTTPS(t, tlsRules, []certs.Pair{p})
	addr := strings.TrimPrefix(ts.tlsURL, "https://")
	for _, tc := range []struct {
		desc     string
		min, max uint16
		ok       bool
	}{
		{"TLS 1.3", tls.VersionTLS13, tls.VersionTLS13, true},
		{"TLS 1.2", tls.VersionTLS12, tls.VersionTLS12, true},
		{"TLS 1.1 is refused", tls.VersionTLS10, tls.VersionTLS11, false},
		{"TLS 1.0 is refused", tls.VersionTLS10, tls.VersionTLS10, false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: f.ca.Pool(), ServerName: "localhost", MinVersion: tc.min, MaxVersion: tc.max})
			if err == nil {
				c.Close()
			}
			if (err == nil) != tc.ok {
				t.Errorf("handshake error %v, want success %v", err, tc.ok)
			}
		})
	}
	// A socket that closes before any ClientHello is a failure of unknown version.
	c, err := net.Dial("tcp", addr)
	must(t, err)
	c.Close()
	for _, series := range []string{
		`corsedge_tls_handshakes_total{result="success",version="1.3"} 1`,
		`corsedge_tls_handshakes_total{result="success",version="1.2"} 1`,
		`corsedge_tls_handshakes_total{result="failure",version="1.1"} 1`,
		`corsedge_tls_handshakes_total{result="failure",version="1.0"} 1`,
		`corsedge_tls_handshakes_total{result="failure",version="unknown"} 1`,
	} {
		if !waitFor(2*time.Second, func() bool { return strings.Contains(metricsText(t, ts.admin), series) }) {
			t.Errorf("metrics lack %s:\n%s", series, grepLines(metricsText(t, ts.admin), "handshakes"))
		}
	}
}

func grepLines(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// kubernetesSecretLayout lays out dir as a Secret volume does: tls.crt and
// tls.key are symlinks through ..data to a timestamped directory.
func kubernetesSecretLayout(t *testing.T, dir string, leaf testpki.Leaf) certs.Pair {
	v1 := filepath.Join(dir, "..2026_01_01_v1")
	leaf.Write(t, filepath.Join(v1, "tls.crt"), filepath.Join(v1, "tls.key"))
	must(t, os.Symlink("..2026_01_01_v1", filepath.Join(dir, "..data")))
	for _, name := range []string{"tls.crt", "tls.key"} {
		must(t, os.Symlink("..data/"+name, filepath.Join(dir, name)))
	}
	return certs.Pair{CertFile: filepath.Join(dir, "tls.crt"), KeyFile: filepath.Join(dir, "tls.key")}
}

// rotations are the ways a renewal reaches the files.
var rotations = []struct {
	desc   string
	layout func(t *testing.T, dir string, leaf testpki.Leaf) certs.Pair
	rotate func(t *testing.T, p certs.Pair, leaf testpki.Leaf)
}{
	{
		desc: "rename over (certbot, most tools)",
		rotate: func(t *testing.T, p certs.Pair, leaf testpki.Leaf) {
			for _, f := range []struct {
				name string
				data []byte
			}{{p.CertFile, leaf.CertPEM}, {p.KeyFile, leaf.KeyPEM}} {
				testpki.WriteFile(t, f.name+".tmp", f.data)
				must(t, os.Rename(f.name+".tmp", f.name))
			}
		},
	},
	{
		desc: "rewrite in place",
		rotate: func(t *testing.T, p certs.Pair, leaf testpki.Leaf) {
			leaf.Write(t, p.CertFile, p.KeyFile)
		},
	},
	{
		desc:   "Kubernetes Secret ..data swap (cert-manager)",
		layout: kubernetesSecretLayout,
		rotate: func(t *testing.T, p certs.Pair, leaf testpki.Leaf) {
			dir := filepath.Dir(p.CertFile)
			v2 := filepath.Join(dir, "..2026_02_01_v2")
			leaf.Write(t, filepath.Join(v2, "tls.crt"), filepath.Join(v2, "tls.key"))
			must(t, os.Symlink("..2026_02_01_v2", filepath.Join(dir, "..data_tmp")))
			must(t, os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
			must(t, os.RemoveAll(filepath.Join(dir, "..2026_01_01_v1")))
		},
	},
}

// A renewal reaches new handshakes without one failed request from
// clients that connect all the while.
func TestCertificateRotation(t *testing.T) {
	for _, tc := range rotations {
		t.Run(tc.desc, func(t *testing.T) {
			f := newTLSFixture(t)
			old := f.ca.Issue(t, testpki.Spec{})
			p := certs.Pair{CertFile: filepath.Join(f.dir, "cert.pem"), KeyFile: filepath.Join(f.dir, "key.pem")}
			if tc.layout != nil {
				p = tc.layout(t, f.dir, old)
			} else {
				old.Write(t, p.CertFile, p.KeyFile)
			}
			ts := startHTTPS(t, tlsRules, []certs.Pair{p})
			var ok, failed atomic.Int64
			var firstErr atomic.Value
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					client := f.httpsClient(true) // a new connection, so a new handshake, per request
					for {
						select {
						case <-stop:
							return
						default:
						}
						resp, err := getHTTPS(client, ts, "/fonts/a.woff2")
						if err == nil && resp.StatusCode != 200 {
							err = fmt.Errorf("status %d", resp.StatusCode)
						}
						if err != nil {
							failed.Add(1)
							firstErr.CompareAndSwap(nil, err.Error())
							continue
						}
						ok.Add(1)
					}
				})
			}
			waitFor(2*time.Second, func() bool { return ok.Load() >= 20 })
			renewed := f.ca.Issue(t, testpki.Spec{})
			tc.rotate(t, p, renewed)
			rotated := waitFor(3*time.Second, func() bool { return serves(t, ts, renewed) })
			before := ok.Load()
			waitFor(2*time.Second, func() bool { return ok.Load() >= before+20 })
			close(stop)
			wg.Wait()
			if !rotated {
				t.Fatalf("the renewed certificate is not served within 3 s; status %+v", ts.status(t).Certificates)
			}
			t.Logf("%d requests, each on a new connection; %d failed", ok.Load()+failed.Load(), failed.Load())
			if n := failed.Load(); n > 0 {
				t.Errorf("%d of %d requests failed during the rotation; first: %v", n, n+ok.Load(), firstErr.Load())
			}
			in := ts.status(t).Certificates[0]
			if fp := renewed.Fingerprint(); in.SHA256 != fmt.Sprintf("%x", fp) || in.LastError != nil {
				t.Errorf("status after the rotation: %+v", in)
			}
		})
	}
}

// A damaged or mismatched pair never replaces the good one: the old
// certificate keeps serving, and /status, POST /reload, the log and the
// metrics say why.
func TestBadPairsAreKeptOut(t *testing.T) {
	for _, tc := range []struct {
		desc      string
		write     func(t *testing.T, p certs.Pair, good, other testpki.Leaf)
		wantFile  func(p certs.Pair) string
		wantError string
	}{
		{
			desc: "a certificate whose key is another's",
			write: func(t *testing.T, p certs.Pair, good, other testpki.Leaf) {
				testpki.WriteFile(t, p.CertFile, other.CertPEM)
			},
			wantFile:  func(p certs.Pair) string { return p.KeyFile },
			wantError: "private key does not match",
		},
		{
			desc: "a truncated certificate file",
			write: func(t *testing.T, p certs.Pair, good, other testpki.Leaf) {
				testpki.WriteFile(t, p.CertFile, good.CertPEM[:len(good.CertPEM)*2/3])
			},
			wantFile:  func(p certs.Pair) string { return p.CertFile },
			wantError: "truncated",
		},
		{
			desc: "a removed key file",
			write: func(t *testing.T, p certs.Pair, good, other testpki.Leaf) {
				must(t, os.Remove(p.KeyFile))
			},
			wantFile:  func(p certs.Pair) string { return p.KeyFile },
			wantError: "no such file",
		},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			f := newTLSFixture(t)
			p, good := f.pair(t, "site", testpki.Spec{})
			other := f.ca.Issue(t, testpki.Spec{})
			logs := &testlog.Buffer{}
			ts := startHTTPS(t, tlsRules, []certs.Pair{p}, func(c *edge.Config) { c.Logger = slogTo(logs) })
			tc.write(t, p, good, other)
			if !waitFor(3*time.Second, func() bool { return ts.status(t).Certificates[0].LastError != nil }) {
				t.Fatal("the bad pair is not reported in /status within 3 s")
			}
			in := ts.status(t).Certificates[0]
			file := tc.wantFile(p)
			if msg := in.LastError.Message; !strings.HasPrefix(msg, file+": ") || !strings.Contains(msg, tc.wantError) {
				t.Errorf("last_error %q, want %q naming %s", msg, tc.wantError, file)
			}
			if fp := good.Fingerprint(); in.SHA256 != fmt.Sprintf("%x", fp) {
				t.Errorf("status shows %s, not the good certificate", in.SHA256)
			}
			if !serves(t, ts, good) {
				t.Error("the good certificate is no longer served")
			}
			if resp, err := getHTTPS(f.httpsClient(true), ts, "/fonts/a.woff2"); err != nil || resp.StatusCode != 200 {
				t.Errorf("HTTPS request after the bad pair: %v %v", resp, err)
			}
			if !strings.Contains(metricsText(t, ts.admin), `corsedge_tls_reloads_total{trigger="fsnotify",result="failure"} 1`) {
				t.Errorf("metrics do not count the failure:\n%s", grepLines(metricsText(t, ts.admin), "tls_reloads"))
			}
			if code, body := ts.postReload(t); code != 422 || !strings.Contains(body, tc.wantError) {
				t.Errorf("POST /reload: %d %q, want 422 with the reason", code, body)
			}
			if log := logs.String(); !strings.Contains(log, "certificate reload failed") || !strings.Contains(log, file) {
				t.Errorf("the log does not name the file:\n%s", log)
			}
			// Mending the files brings a good reload that clears the error.
			good.Write(t, p.CertFile, p.KeyFile)
			if !waitFor(3*time.Second, func() bool { return ts.status(t).Certificates[0].LastError == nil }) {
				t.Errorf("a good pair does not clear last_error: %+v", ts.status(t).Certificates[0])
			}
		})
	}
}

// Operators alert on the expiry of each name; a name in several pairs
// shows the earliest.
func TestCertificateExpiryMetric(t *testing.T) {
	f := newTLSFixture(t)
	soon := time.Now().Add(10 * 24 * time.Hour).Truncate(time.Second)
	later := time.Now().Add(60 * 24 * time.Hour).Truncate(time.Second)
	pa, _ := f.pair(t, "a", testpki.Spec{Names: []string{"a.test", "*.a.test"}, NotAfter: later})
	pr, _ := f.pair(t, "a-rsa", testpki.Spec{Names: []string{"a.test"}, NotAfter: soon, Key: testpki.RSA})
	pb, _ := f.pair(t, "b", testpki.Spec{Names: []string{"b.test"}, NotAfter: later})
	ts := startHTTPS(t, tlsRules, []certs.Pair{pa, pr, pb})
	text := metricsText(t, ts.admin)
	for _, want := range []string{
		fmt.Sprintf(`corsedge_tls_certificate_expiry_timestamp_seconds{name="a.test"} %d`, soon.Unix()),
		fmt.Sprintf(`corsedge_tls_certificate_expiry_timestamp_seconds{name="*.a.test"} %d`, later.Unix()),
		fmt.Sprintf(`corsedge_tls_certificate_expiry_timestamp_seconds{name="b.test"} %d`, later.Unix()),
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s:\n%s", want, grepLines(text, "expiry"))
		}
	}
	st := ts.status(t)
	if len(st.Certificates) != 3 || st.Certificates[1].Key != "RSA 2048" || st.Certificates[0].Issuer == "" {
		t.Errorf("status certificates: %+v", st.Certificates)
	}
}

// One per-address limit holds across HTTP and HTTPS: a client at the limit
// on one port is refused on the other; on the HTTPS port by a plain close,
// since a TLS client cannot read a plaintext 429.
func TestPerIPLimitSpansHTTPS(t *testing.T) {
	f := newTLSFixture(t)
	p, _ := f.pair(t, "site", testpki.Spec{})
	ts := startHTTPS(t, tlsRules, []certs.Pair{p}, func(c *edge.Config) { c.MaxConnsPerIP = 2 })
	plain, err := net.Dial("tcp", strings.TrimPrefix(ts.url, "http://"))
	must(t, err)
	defer plain.Close()
	secure, err := tls.Dial("tcp", strings.TrimPrefix(ts.tlsURL, "https://"), &tls.Config{RootCAs: f.ca.Pool(), ServerName: "localhost"})
	must(t, err)
	defer secure.Close()
	third, err := net.Dial("tcp", strings.TrimPrefix(ts.tlsURL, "https://"))
	must(t, err)
	defer third.Close()
	third.SetReadDeadline(time.Now().Add(3 * time.Second))
	if got, err := io.ReadAll(third); len(got) != 0 || err != nil {
		t.Errorf("third connection got %q, %v; want a plain close", got, err)
	}
	if m := metricsText(t, ts.admin); !strings.Contains(m, `corsedge_connections_refused_total{reason="per_ip"} 1`+"\n") {
		t.Errorf("/metrics does not count the refusal:\n%s", grepLines(m, "refused"))
	}
}
