package certs_test

import (
	"bytes"
	"crypto/tls"
	"iter"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"corsedge/certs"
	"corsedge/internal/testpki"
)

// fixture is a CA and the pairs written for one test.
type fixture struct {
	t   *testing.T
	ca  *testpki.CA
	dir string
}

func newFixture(t *testing.T) *fixture {
	return &fixture{t: t, ca: testpki.NewCA(t), dir: t.TempDir()}
}

// pair issues a leaf and writes it as NAME.crt and NAME.key.
func (f *fixture) pair(name string, spec testpki.Spec) (certs.Pair, testpki.Leaf) {
	f.t.Helper()
	leaf := f.ca.Issue(f.t, spec)
	p := certs.Pair{CertFile: filepath.Join(f.dir, name+".crt"), KeyFile: filepath.Join(f.dir, name+".key")}
	leaf.Write(f.t, p.CertFile, p.KeyFile)
	return p, leaf
}

// serve answers TLS handshakes on 127.0.0.1 with the store's choice.
func serve(t *testing.T, store *certs.Store) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{GetCertificate: store.GetCertificate})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				c.(*tls.Conn).Handshake()
				c.Close()
			}()
		}
	}()
	return ln.Addr().String()
}

// served returns the leaf a client saying sni (none when "") is given.
func served(t *testing.T, addr, sni string, cfg *tls.Config) []byte {
	t.Helper()
	if cfg == nil {
		cfg = &tls.Config{}
	}
	cfg = cfg.Clone()
	cfg.ServerName, cfg.InsecureSkipVerify = sni, true // the test looks at what is served, not whether it verifies
	c, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatalf("handshake with SNI %q: %v", sni, err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].Raw
}

func TestChooseBySNI(t *testing.T) {
	f := newFixture(t)
	pa, a := f.pair("a", testpki.Spec{Names: []string{"a.test", "www.a.test"}})
	pb, b := f.pair("b", testpki.Spec{Names: []string{"*.b.test"}})
	pr, r := f.pair("a-rsa", testpki.Spec{Names: []string{"a.test", "www.a.test"}, Key: testpki.RSA})
	pc, c := f.pair("cn", testpki.Spec{CN: "cn.test"})
	// RSA listed before ECDSA for the same names: ECDSA is still preferred.
	store, err := certs.Load(certs.Options{Pairs: []certs.Pair{pr, pa, pb, pc}})
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, store)
	rsaOnly := &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}}
	for _, tc := range []struct {
		desc string
		sni  string
		cfg  *tls.Config
		want testpki.Leaf
	}{
		{"an exact name", "a.test", nil, a},
		{"another name of the same pair", "www.a.test", nil, a},
		{"names are matched without case", "WWW.A.Test", nil, a},
		{"a wildcard covers one label", "x.b.test", nil, b},
		{"a wildcard covers no more than one label: the first pair's names, ECDSA first", "y.x.b.test", nil, a},
		{"a wildcard never covers its parent", "b.test", nil, a},
		{"the CN counts when the leaf has no SAN", "cn.test", nil, c},
		{"an unknown name gets the first pair's names", "other.test", nil, a},
		{"an unknown name, a client that supports only RSA: the first pair", "other.test", rsaOnly, r},
		{"no SNI gets the first pair's names, ECDSA first", "", nil, a},
		{"a client that supports only RSA gets the RSA pair", "a.test", rsaOnly, r},
		{"a TLS 1.2 client with ECDSA suites gets ECDSA", "a.test", &tls.Config{MaxVersion: tls.VersionTLS12}, a},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got := served(t, addr, tc.sni, tc.cfg); !bytes.Equal(got, tc.want.Cert.Raw) {
				t.Errorf("served %s, want %s", subject(t, got), tc.want.Cert.DNSNames)
			}
		})
	}
}

func subject(t *testing.T, der []byte) string {
	return strings.Join(parseLeaf(t, der).DNSNames, ",")
}

func TestLoadRefusesBadPairs(t *testing.T) {
	f := newFixture(t)
	good, leaf := f.pair("good", testpki.Spec{})
	_, other := f.pair("other", testpki.Spec{})
	cut := leaf.CertPEM[:len(leaf.CertPEM)-40] // inside the CA certificate after the leaf
	for _, tc := range []struct {
		desc     string
		cert     []byte
		key      []byte
		missing  string // "cert" or "key": that file is not written
		wantFile string // "cert" or "key"
		want     string
	}{
		{"a key that belongs to another certificate", leaf.CertPEM, other.KeyPEM, "", "key", "private key does not match"},
		{"a chain cut short after the leaf", cut, leaf.KeyPEM, "", "cert", "truncated"},
		{"a key cut short", leaf.CertPEM, leaf.KeyPEM[:len(leaf.KeyPEM)/2], "", "key", "truncated"},
		{"an empty certificate file", nil, leaf.KeyPEM, "", "cert", "no CERTIFICATE PEM block"},
		{"an empty key file", leaf.CertPEM, nil, "", "key", "failed to find any PEM data"},
		{"the key given as certificate", leaf.KeyPEM, leaf.KeyPEM, "", "cert", "no CERTIFICATE PEM block"},
		{"a missing certificate file", nil, leaf.KeyPEM, "cert", "cert", "no such file"},
		{"a missing key file", leaf.CertPEM, nil, "key", "key", "no such file"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			dir := t.TempDir()
			p := certs.Pair{CertFile: filepath.Join(dir, "tls.crt"), KeyFile: filepath.Join(dir, "tls.key")}
			if tc.missing != "cert" {
				testpki.WriteFile(t, p.CertFile, tc.cert)
			}
			if tc.missing != "key" {
				testpki.WriteFile(t, p.KeyFile, tc.key)
			}
			_, err := certs.Load(certs.Options{Pairs: []certs.Pair{good, p}})
			if err == nil {
				t.Fatal("Load succeeded")
			}
			file := map[string]string{"cert": p.CertFile, "key": p.KeyFile}[tc.wantFile]
			if !strings.HasPrefix(err.Error(), file+": ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want %q naming %s", err, tc.want, file)
			}
		})
	}
}

func TestReloadKeepsTheGoodPair(t *testing.T) {
	f := newFixture(t)
	p, first := f.pair("site", testpki.Spec{})
	store, err := certs.Load(certs.Options{Pairs: []certs.Pair{p}})
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, store)
	second := f.ca.Issue(t, testpki.Spec{})
	past := time.Now().Add(-48 * time.Hour)
	expired := f.ca.Issue(t, testpki.Spec{NotBefore: past, NotAfter: past.Add(time.Hour)})
	steps := []struct {
		desc      string
		cert, key []byte
		removeKey bool
		want      certs.Result
		serving   testpki.Leaf
		wantError string // in Info's LastError; "" for none
	}{
		{"the same bytes again", first.CertPEM, first.KeyPEM, false, certs.Unchanged, first, ""},
		{"a new certificate with the old key", second.CertPEM, first.KeyPEM, false, certs.Failed, first, "private key does not match"},
		{"the same bad bytes again: unchanged, still rejected", second.CertPEM, first.KeyPEM, false, certs.Unchanged, first, "private key does not match"},
		{"its key arrives", second.CertPEM, second.KeyPEM, false, certs.Loaded, second, ""},
		{"an expired pair over the valid one (a backup restored)", expired.CertPEM, expired.KeyPEM, false, certs.Failed, second, "EXPIRED"},
		{"a truncated certificate", second.CertPEM[:100], second.KeyPEM, false, certs.Failed, second, "truncated"},
		{"the first pair back", first.CertPEM, first.KeyPEM, false, certs.Loaded, first, ""},
		{"its key removed", first.CertPEM, nil, true, certs.Failed, first, "no such file"},
		{"the same pair back: read anew, so the error clears", first.CertPEM, first.KeyPEM, false, certs.Loaded, first, ""},
	}
	for _, st := range steps {
		testpki.WriteFile(t, p.CertFile, st.cert)
		if st.removeKey {
			os.Remove(p.KeyFile)
		} else {
			testpki.WriteFile(t, p.KeyFile, st.key)
		}
		out := store.Reload()
		if len(out) != 1 || out[0].Result != st.want {
			t.Fatalf("%s: outcome %+v, want result %d", st.desc, out, st.want)
		}
		if got := served(t, addr, "localhost", nil); !bytes.Equal(got, st.serving.Cert.Raw) {
			t.Errorf("%s: served another certificate than expected", st.desc)
		}
		in := store.Info()[0]
		switch {
		case st.wantError == "" && in.LastError != nil:
			t.Errorf("%s: last error %q, want none", st.desc, in.LastError.Message)
		case st.wantError != "" && (in.LastError == nil || !strings.Contains(in.LastError.Message, st.wantError)):
			t.Errorf("%s: last error %+v, want %q", st.desc, in.LastError, st.wantError)
		}
		if fp := st.serving.Fingerprint(); in.SHA256 != hexString(fp[:]) {
			t.Errorf("%s: status fingerprint %s is not the served certificate's", st.desc, in.SHA256)
		}
	}
}

func TestExpiredCertificatesLoadWithAWarning(t *testing.T) {
	f := newFixture(t)
	past := time.Now().Add(-48 * time.Hour)
	future := time.Now().Add(48 * time.Hour)
	for _, tc := range []struct {
		desc string
		spec testpki.Spec
		want string
	}{
		{"expired", testpki.Spec{NotBefore: past, NotAfter: past.Add(time.Hour)}, "EXPIRED"},
		{"not yet valid", testpki.Spec{NotBefore: future, NotAfter: future.Add(time.Hour)}, "NOT YET VALID"},
		{"valid", testpki.Spec{}, ""},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			p, leaf := f.pair(strings.ReplaceAll(tc.desc, " ", "-"), tc.spec)
			store, err := certs.Load(certs.Options{Pairs: []certs.Pair{p}})
			if err != nil {
				t.Fatal(err)
			}
			in := store.Info()[0]
			if !strings.Contains(in.Warning, tc.want) || (tc.want == "") != (in.Warning == "") {
				t.Errorf("warning %q, want %q", in.Warning, tc.want)
			}
			for name, at := range store.Expiry() {
				if !at.Equal(leaf.Cert.NotAfter) {
					t.Errorf("expiry of %s: %v, want %v", name, at, leaf.Cert.NotAfter)
				}
			}
		})
	}
}

// fallback answers for one name, and every TLS-ALPN-01 validation, as an
// ACME source would.
type fallback struct {
	name string
	cert *tls.Certificate
}

func (f fallback) Certificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if hello.ServerName == f.name || slices.Equal(hello.SupportedProtos, []string{"acme-tls/1"}) {
		return f.cert, nil
	}
	return nil, nil
}

func (f fallback) Expiry() iter.Seq2[string, time.Time] {
	return func(yield func(string, time.Time) bool) { yield(f.name, f.cert.Leaf.NotAfter) }
}

func TestFilesWinOverTheFallback(t *testing.T) {
	f := newFixture(t)
	p, file := f.pair("file", testpki.Spec{Names: []string{"files.test", "*.files.test"}})
	acme := f.ca.Issue(t, testpki.Spec{Names: []string{"acme.test", "files.test"}})
	acmeCert, err := tls.X509KeyPair(acme.CertPEM, acme.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	store, err := certs.Load(certs.Options{Pairs: []certs.Pair{p}, Fallback: fallback{"acme.test", &acmeCert}})
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, store)
	for _, tc := range []struct {
		desc, sni string
		want      testpki.Leaf
		alpn      []string
	}{
		{"a name the files cover", "files.test", file, nil},
		{"a name their wildcard covers", "x.files.test", file, nil},
		{"a name only the fallback has", "acme.test", acme, nil},
		{"a name nobody has: the first pair", "nobody.test", file, nil},
		{"a TLS-ALPN-01 validation of a name the files cover: the fallback", "files.test", acme, []string{"acme-tls/1"}},
		{"acme-tls/1 beside http/1.1 is no validation", "files.test", file, []string{"acme-tls/1", "http/1.1"}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got := served(t, addr, tc.sni, &tls.Config{NextProtos: tc.alpn}); !bytes.Equal(got, tc.want.Cert.Raw) {
				t.Errorf("served %s", subject(t, got))
			}
		})
	}
	expiry := maps.Collect(store.Expiry())
	for name, want := range map[string]time.Time{"files.test": file.Cert.NotAfter, "acme.test": acme.Cert.NotAfter} {
		if !expiry[name].Equal(want) {
			t.Errorf("expiry of %s: %v, want %v", name, expiry[name], want)
		}
	}
}
