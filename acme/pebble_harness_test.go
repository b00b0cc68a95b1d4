package acme_test

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/dns"

	"corsedge/acme"
	"corsedge/assets"
	"corsedge/certs"
	"corsedge/edge"
	"corsedge/internal/testlog"
	"corsedge/internal/testpki"
)

// pebbleVersion is the Pebble the test builds from the module proxy.
const pebbleVersion = "v2.10.3"

// buildPebble installs Pebble's command into a temporary directory; the Go
// build cache makes every run after the first a link.
func buildPebble(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	// go test puts the go command that runs it first on PATH.
	cmd := exec.Command("go", "install", "github.com/letsencrypt/pebble/v2/cmd/pebble@"+pebbleVersion)
	cmd.Dir = bin
	cmd.Env = append(os.Environ(), "GOBIN="+bin, "GOWORK=off", "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building Pebble %s: %v\n%s", pebbleVersion, err, out)
	}
	return filepath.Join(bin, "pebble")
}

// mockDNS answers every A query with 127.0.0.1 and everything else (AAAA,
// CAA) with no record, over UDP and TCP (Pebble asks over TCP), so that
// Pebble's validation of any name comes to the loopback listeners.
func mockDNS(t *testing.T) string {
	t.Helper()
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		for _, qq := range q.Question {
			if qq.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, &dns.A{
					Hdr: dns.RR_Header{Name: qq.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 1},
					A:   net.IPv4(127, 0, 0, 1),
				})
			}
		}
		w.WriteMsg(m)
	})
	ln := listen(t)
	pc, err := net.ListenPacket("udp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	for _, srv := range []*dns.Server{{Listener: ln, Handler: handler}, {PacketConn: pc, Handler: handler}} {
		go srv.ActivateAndServe()
		t.Cleanup(func() { srv.Shutdown() })
	}
	return ln.Addr().String()
}

// pebble is a running Pebble: its directory URL, the roots to trust for its
// own HTTPS and for the certificates it issues, and how to stop it.
type pebble struct {
	directory string
	apiRoots  *x509.CertPool // Pebble's own HTTPS (a testpki CA)
	issuing   *x509.CertPool // the root of the certificates it issues
	stop      func()
}

// startPebble runs Pebble on loopback, validating HTTP-01 on httpPort and
// TLS-ALPN-01 on tlsPort, issuing certificates valid for validity.
func startPebble(t *testing.T, bin, dnsAddr string, httpPort, tlsPort int, validity time.Duration) *pebble {
	t.Helper()
	ca := testpki.NewCA(t)
	dir := t.TempDir()
	certFile, keyFile, conf := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "pebble.json")
	ca.Issue(t, testpki.Spec{}).Write(t, certFile, keyFile)
	api, mgmt := freeAddr(t), freeAddr(t)
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress": api, "managementListenAddress": mgmt,
		"certificate": certFile, "privateKey": keyFile,
		"httpPort": httpPort, "tlsPort": tlsPort,
		"ocspResponderURL": "", "externalAccountBindingRequired": false, "keyAlgorithm": "ecdsa",
		"retryAfter": map[string]int{"authz": 1, "order": 1},
		"profiles": map[string]any{"default": map[string]any{
			"description": "short-lived, so that renewals come within the test", "validityPeriod": int(validity.Seconds())}},
	}}
	data, _ := json.Marshal(cfg)
	testpki.WriteFile(t, conf, data)
	cmd := exec.Command(bin, "-config", conf, "-dnsserver", dnsAddr)
	// No random sleeps before validations, no nonces refused on purpose,
	// no authorization reused: every renewal solves a challenge again.
	cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0")
	out := &testlog.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop := func() {
		cmd.Process.Kill()
		<-exited
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("Pebble's log:\n%s", out.String())
		}
	})
	p := &pebble{directory: "https://" + api + "/dir", apiRoots: ca.Pool(), stop: stop}
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
	var root []byte
	if !eventually(10*time.Second, func() bool {
		root = get(client, "https://"+mgmt+"/roots/0")
		return root != nil && get(client, p.directory) != nil
	}) {
		t.Fatalf("Pebble did not start:\n%s", out.String())
	}
	p.issuing = x509.NewCertPool()
	if !p.issuing.AppendCertsFromPEM(root) {
		t.Fatalf("Pebble's root is no PEM: %q", root)
	}
	return p
}

// get returns the body of a 200 answer to url, or nil.
func get(c *http.Client, url string) []byte {
	resp, err := c.Get(url)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		return nil
	}
	return body
}

// freeAddr returns a loopback address nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln := listen(t)
	ln.Close()
	return ln.Addr().String()
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func port(ln net.Listener) int { return ln.Addr().(*net.TCPAddr).Port }

func eventually(d time.Duration, f func() bool) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if f() {
			return true
		}
	}
	return f()
}

// corsedge is a server wired as main wires it: ACME as the Fallback of
// the certificate store, started once the listeners are bound.
type corsedge struct {
	manager *acme.Manager
	https   string // listen address
	plain   string // base URL; "" without a plain listener
	admin   string // base URL
	log     *testlog.Buffer
}

const rulesSrc = `version = 1
[[rule]]
paths   = ["/"]
origins = ["*"]
`

func startCorsedge(t *testing.T, p *pebble, domain string, httpLn, tlsLn net.Listener, configure func(*acme.Options)) *corsedge {
	t.Helper()
	dir, root := t.TempDir(), t.TempDir()
	rulesFile := filepath.Join(dir, "rules.toml")
	testpki.WriteFile(t, rulesFile, []byte(rulesSrc))
	testpki.WriteFile(t, filepath.Join(root, "fonts", "a.woff2"), []byte("wOF2"))
	log, buf := testlog.New()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("corsedge %s log:\n%s", domain, buf.String())
		}
	})
	opt := acme.Options{
		Domains: []string{domain}, Email: "ops@" + domain, CA: p.directory, CARoots: p.apiRoots,
		Dir: filepath.Join(dir, "acme"), AssetRoot: root, TLSAddr: tlsLn.Addr().String(),
		RenewCheckInterval: 250 * time.Millisecond, Logger: log,
	}
	if httpLn != nil {
		opt.HTTPAddr = httpLn.Addr().String()
	}
	configure(&opt)
	m, err := acme.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	store, err := certs.Load(certs.Options{Fallback: m})
	if err != nil {
		t.Fatal(err)
	}
	files, err := assets.New(assets.Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	srv, err := edge.New(edge.Config{RulesFile: rulesFile, Assets: files, Poll: -1, Logger: log, Certificates: store, ACME: m})
	if err != nil {
		t.Fatal(err)
	}
	admin := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, edge.Listeners{HTTP: httpLn, HTTPS: tlsLn, Admin: admin}) }()
	if p.issuing != nil { // a CA that runs: start ordering
		if err := m.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		m.Stop()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	c := &corsedge{manager: m, https: tlsLn.Addr().String(), admin: "http://" + admin.Addr().String(), log: buf}
	if httpLn != nil {
		c.plain = "http://" + httpLn.Addr().String()
	}
	return c
}

// client makes a fresh connection (and a full handshake) per request to
// the corsedge HTTPS listener, for any name, trusting only roots.
func (c *corsedge) client(roots *x509.CertPool) *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", c.https)
		},
		TLSClientConfig:   &tls.Config{RootCAs: roots},
		DisableKeepAlives: true,
	}}
}

// fetch GETs a font over HTTPS as a page on another site would, and returns
// the leaf served, or an error saying what was wrong.
func fetch(client *http.Client, domain string) (*x509.Certificate, error) {
	req, _ := http.NewRequest("GET", "https://"+domain+"/fonts/a.woff2", nil)
	req.Header.Set("Origin", "https://page.example")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		return nil, fmt.Errorf("status %d, ACAO %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	return resp.TLS.PeerCertificates[0], nil
}

// status reads the acme section of /status.
func (c *corsedge) status(t *testing.T) acme.Status {
	t.Helper()
	resp, err := http.Get(c.admin + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct{ ACME *acme.Status }
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || st.ACME == nil {
		t.Fatalf("/status: %v, acme section %v", err, st.ACME)
	}
	return *st.ACME
}

// metrics returns the /metrics text.
func (c *corsedge) metrics(t *testing.T) string {
	t.Helper()
	body := get(http.DefaultClient, c.admin+"/metrics")
	if body == nil {
		t.Fatal("/metrics did not answer 200")
	}
	return string(body)
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
