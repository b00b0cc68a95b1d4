package certs

import "crypto/tls"

// Pair names a certificate file (PEM, leaf first, chain after it) and the
// file of its private key.
type Pair struct {
	CertFile string
	KeyFile  string
}

// A Source offers certificates for names that no file pair covers (an ACME
// client, say). The files always win for the names they cover.
type Source interface {
	// Certificate returns a certificate for hello, or nil and no error when
	// the source has none for its name.
	Certificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error)
}
