// Package testpki issues throwaway certificates for tests: a CA and leaves
// signed by it, ECDSA or RSA, written as PEM files.
package testpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// CA is a throwaway certificate authority.
type CA struct {
	Cert *x509.Certificate
	key  crypto.Signer
}

// Leaf is a certificate issued by a CA, with its key, as PEM.
type Leaf struct {
	Cert    *x509.Certificate
	CertPEM []byte // the leaf, then the CA: a chain as servers send it
	KeyPEM  []byte
}

// Key kinds a leaf can have.
const (
	ECDSA = "ecdsa"
	RSA   = "rsa"
)

// Spec says what to issue; zero values take the defaults.
type Spec struct {
	Names     []string // DNS names and IP addresses; none: "localhost" and 127.0.0.1
	Key       string   // ECDSA (P-256, the default) or RSA (2048)
	NotBefore time.Time
	NotAfter  time.Time // default: a day from now
	CN        string    // subject common name
}

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey // one 2048-bit key for every RSA leaf: generating one costs 100 ms or more
)

// NewCA makes a CA.
func NewCA(t testing.TB) *CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "corsedge test CA", Organization: []string{"corsedge tests"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &CA{Cert: cert, key: key}
}

// Pool is a certificate pool holding only the CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

var serial struct {
	sync.Mutex
	n int64
}

// Issue signs a leaf as spec says.
func (ca *CA) Issue(t testing.TB, spec Spec) Leaf {
	t.Helper()
	var key crypto.Signer
	switch spec.Key {
	case "", ECDSA:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		key = k
	case RSA:
		rsaOnce.Do(func() { rsaKey, _ = rsa.GenerateKey(rand.Reader, 2048) })
		key = rsaKey
	default:
		t.Fatalf("testpki: unknown key kind %q", spec.Key)
	}
	if spec.Names == nil && spec.CN == "" {
		spec.Names = []string{"localhost", "127.0.0.1"}
	}
	if spec.NotBefore.IsZero() {
		spec.NotBefore = time.Now().Add(-time.Hour)
	}
	if spec.NotAfter.IsZero() {
		spec.NotAfter = time.Now().Add(24 * time.Hour)
	}
	serial.Lock()
	serial.n++
	n := serial.n + 1
	serial.Unlock()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(n),
		Subject:      pkix.Name{CommonName: spec.CN},
		NotBefore:    spec.NotBefore,
		NotAfter:     spec.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if spec.Key == RSA {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	for _, name := range spec.Names {
		if ip := net.ParseIP(name); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, name)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})...)
	return Leaf{Cert: cert, CertPEM: certPEM, KeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})}
}

// SPKIHash is the base64 SHA-256 of the leaf's public key info, as
// Chromium's --ignore-certificate-errors-spki-list takes it.
func (l Leaf) SPKIHash() string {
	sum := sha256.Sum256(l.Cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Fingerprint is the hex SHA-256 of the leaf, as /status shows it.
func (l Leaf) Fingerprint() [sha256.Size]byte { return sha256.Sum256(l.Cert.Raw) }

// Write writes the leaf's chain and key to certFile and keyFile, creating
// their directories.
func (l Leaf) Write(t testing.TB, certFile, keyFile string) {
	t.Helper()
	WriteFile(t, certFile, l.CertPEM)
	WriteFile(t, keyFile, l.KeyPEM)
}

// WriteFile writes data to name in place, creating its directory.
func WriteFile(t testing.TB, name string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
