package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// entry is one pair as loaded: the certificate handshakes use and what
// /status and the metrics say of it. Immutable once built.
type entry struct {
	cert        *tls.Certificate // Leaf set
	dnsNames    []string         // lowercase; what SNI is matched against
	names       []string         // dnsNames, then IP addresses; the CN when the leaf has no SAN
	fingerprint [sha256.Size]byte
	rank        int // keyRank: lower is preferred among pairs for one name
	loadedAt    time.Time
}

// errNoCertificate and errTruncated are the PEM problems parse reports.
var (
	errNoCertificate = errors.New("no CERTIFICATE PEM block")
	errTruncated     = errors.New("a PEM block has no END line: the file is truncated or damaged")
)

// parse builds an entry from the bytes of a certificate file and a key file.
// Unlike tls.X509KeyPair alone it refuses a damaged block after good ones
// (X509KeyPair stops at it and would serve the chain without its tail) and
// parses every certificate of the chain, not only the leaf.
func parse(p Pair, certPEM, keyPEM []byte) (*entry, error) {
	chain, err := certificates(certPEM)
	if err != nil {
		return nil, &PairError{File: p.CertFile, Err: err}
	}
	if err := wholePEM(keyPEM); err != nil {
		return nil, &PairError{File: p.KeyFile, Err: err}
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// The chain parsed above: what fails here is the key, or that it
		// does not belong to the leaf.
		return nil, &PairError{File: p.KeyFile, Err: fmt.Errorf("not a usable key for %s: %w", p.CertFile, err)}
	}
	cert.Leaf = chain[0]
	e := &entry{cert: &cert, fingerprint: sha256.Sum256(chain[0].Raw), rank: keyRank(chain[0])}
	e.dnsNames, e.names = leafNames(chain[0])
	return e, nil
}

// certificates returns the parsed certificates of a PEM file, leaf first.
func certificates(data []byte) ([]*x509.Certificate, error) {
	if err := wholePEM(data); err != nil {
		return nil, err
	}
	var chain []*x509.Certificate
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue // a key in the same file (a combined PEM) is the key file's business
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(chain)+1, err)
		}
		chain = append(chain, c)
	}
	if len(chain) == 0 {
		return nil, errNoCertificate
	}
	return chain, nil
}

// wholePEM fails when a BEGIN line is left after the last block pem.Decode
// could read: a file cut short, or a block damaged, by a half-done write.
func wholePEM(data []byte) error {
	rest := data
	for {
		b, r := pem.Decode(rest)
		if b == nil {
			break
		}
		rest = r
	}
	if bytes.Contains(rest, []byte("-----BEGIN")) {
		return errTruncated
	}
	return nil
}

// leafNames returns the DNS names SNI is matched against, lowercased, and
// every name for display. The CN counts only when the leaf has no SAN, as
// browsers have required since 2017 (RFC 6125 §6.4.4).
func leafNames(leaf *x509.Certificate) (dns, all []string) {
	for _, n := range leaf.DNSNames {
		dns = append(dns, strings.ToLower(strings.TrimSuffix(n, ".")))
	}
	all = append(all, dns...)
	for _, ip := range leaf.IPAddresses {
		all = append(all, ip.String())
	}
	if len(all) == 0 && leaf.Subject.CommonName != "" {
		cn := strings.ToLower(leaf.Subject.CommonName)
		if net.ParseIP(cn) == nil {
			dns = []string{cn}
		}
		all = []string{cn}
	}
	return dns, all
}

// keyRank orders pairs for the same name: ECDSA first (smaller, cheaper
// handshakes, supported by every current client), then Ed25519, then RSA.
func keyRank(leaf *x509.Certificate) int {
	switch leaf.PublicKey.(type) {
	case *ecdsa.PublicKey:
		return 0
	case ed25519.PublicKey:
		return 1
	case *rsa.PublicKey:
		return 2
	}
	return 3
}

// keyName says what kind of key a leaf holds, for /status.
func keyName(leaf *x509.Certificate) string {
	switch k := leaf.PublicKey.(type) {
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	}
	return leaf.PublicKeyAlgorithm.String()
}

// validity returns a warning when the leaf is not valid at now, else "".
// Such a pair is still loaded: refusing it would leave the names with no
// certificate at all, and a client that rejects it rejects it loudly.
func validity(leaf *x509.Certificate, now time.Time) string {
	return validityAt(leaf.NotBefore, leaf.NotAfter, now)
}

func validityAt(notBefore, notAfter, now time.Time) string {
	switch {
	case now.After(notAfter):
		return fmt.Sprintf("certificate EXPIRED at %s; clients will refuse it", notAfter.UTC().Format(time.RFC3339))
	case now.Before(notBefore):
		return fmt.Sprintf("certificate NOT YET VALID until %s; clients will refuse it", notBefore.UTC().Format(time.RFC3339))
	}
	return ""
}
