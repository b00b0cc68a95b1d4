// Package acme obtains and renews, with certmagic, the certificates of the
// names no certificate file covers, from any RFC 8555 CA, answering its
// HTTP-01 and TLS-ALPN-01 challenges on corsedge's own listeners.
package acme
