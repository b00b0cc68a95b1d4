package edge_test

import (
	"bytes"
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"corsedge/certs"
	"corsedge/edge"
	"corsedge/internal/testpki"
)

// tlsFixture is a throwaway CA and the certificate files of one test.
type tlsFixture struct {
	ca  *testpki.CA
	dir string
}

func newTLSFixture(t testing.TB) *tlsFixture {
	return &tlsFixture{ca: testpki.NewCA(t), dir: t.TempDir()}
}

// pair issues a leaf for spec and writes it as DIR/NAME.crt and NAME.key.
func (f *tlsFixture) pair(t testing.TB, name string, spec testpki.Spec) (certs.Pair, testpki.Leaf) {
	t.Helper()
	leaf := f.ca.Issue(t, spec)
	p := certs.Pair{CertFile: filepath.Join(f.dir, name+".crt"), KeyFile: filepath.Join(f.dir, name+".key")}
	leaf.Write(t, p.CertFile, p.KeyFile)
	return p, leaf
}

// startHTTPS starts a server on rulesSrc serving HTTP and HTTPS with pairs.
func startHTTPS(t testing.TB, rulesSrc string, pairs []certs.Pair, configure ...func(*edge.Config)) *testServer {
	t.Helper()
	store, err := certs.Load(certs.Options{Pairs: pairs})
	if err != nil {
		t.Fatal(err)
	}
	return startServer(t, rulesSrc, append([]func(*edge.Config){func(c *edge.Config) { c.Certificates = store }}, configure...)...)
}

// httpsClient trusts the fixture's CA; every request opens a connection
// (and makes a full handshake) when fresh is set.
func (f *tlsFixture) httpsClient(fresh bool) *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: f.ca.Pool(), ServerName: "localhost", NextProtos: []string{"h2", "http/1.1"}},
		DisableKeepAlives: fresh,
	}}
}

// servedLeaf returns the DER of the leaf the HTTPS listener presents for sni.
func servedLeaf(t testing.TB, ts *testServer, sni string) []byte {
	t.Helper()
	c, err := tls.Dial("tcp", ts.tlsURL[len("https://"):], &tls.Config{ServerName: sni, InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].Raw
}

// serves reports whether the HTTPS listener presents leaf for localhost.
func serves(t testing.TB, ts *testServer, leaf testpki.Leaf) bool {
	return bytes.Equal(servedLeaf(t, ts, "localhost"), leaf.Cert.Raw)
}

// get fetches path over HTTPS and reads the body.
func getHTTPS(client *http.Client, ts *testServer, path string, headers ...string) (*http.Response, error) {
	req, err := http.NewRequest("GET", ts.tlsURL+path, nil)
	if err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, err
}

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
