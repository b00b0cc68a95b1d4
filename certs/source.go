package certs

import (
	"crypto/tls"
	"iter"
	"time"
)

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

// An ExpiringSource also says when each of its certificates expires, so
// that Store.Expiry covers them too.
type ExpiringSource interface {
	Source
	Expiry() iter.Seq2[string, time.Time]
}

// ChallengeALPN is the ALPN protocol of TLS-ALPN-01 validations (RFC 8737 §6.2).
const ChallengeALPN = "acme-tls/1"

// IsChallenge says whether hello is a TLS-ALPN-01 validation: it offers
// "acme-tls/1" and nothing else (RFC 8737 §3). Only the Fallback (ACME)
// can answer it; a file's certificate would fail the validation.
func IsChallenge(hello *tls.ClientHelloInfo) bool {
	return len(hello.SupportedProtos) == 1 && hello.SupportedProtos[0] == ChallengeALPN
}
