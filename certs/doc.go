// Package certs loads certificate/key pairs, checks each key against its
// certificate and chooses one for a TLS handshake by SNI. It knows crypto/tls
// and crypto/x509 only, no HTTP.
package certs
