package certs_test

import (
	"crypto/x509"
	"encoding/hex"
	"testing"
)

func parseLeaf(t *testing.T, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func hexString(b []byte) string { return hex.EncodeToString(b) }
