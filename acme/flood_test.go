package acme

import (
	"errors"
	"strings"
	"testing"

	"crypto/tls"

	"corsedge/internal/ratelog"
	"corsedge/internal/testlog"
)

// A TLS-ALPN-01 handshake for a name this server does not order is refused
// before certmagic is asked (which would log an error for each one); other
// unknown names are left to the certificate files.
func TestChallengeForUnmanagedName(t *testing.T) {
	m := &Manager{domains: map[string]bool{"cdn.example": true}}
	for _, tc := range []struct {
		desc    string
		hello   tls.ClientHelloInfo
		refused bool
	}{
		{"a challenge for another name", tls.ClientHelloInfo{ServerName: "evil.example", SupportedProtos: []string{ALPN}}, true},
		{"a challenge without SNI", tls.ClientHelloInfo{SupportedProtos: []string{ALPN}}, true},
		{"an ordinary handshake for another name", tls.ClientHelloInfo{ServerName: "other.example", SupportedProtos: []string{"http/1.1"}}, false},
	} {
		cert, err := m.Certificate(&tc.hello)
		if cert != nil || errors.Is(err, errNotManaged) != tc.refused || (!tc.refused && err != nil) {
			t.Errorf("%s: %v, %v; refused want %t", tc.desc, cert, err, tc.refused)
		}
	}
}

// certmagic's warnings and errors reach the log at most ratelog.Burst a
// window (the window's summary counts the rest).
func TestZapBridgeLimitsWarnings(t *testing.T) {
	log, buf := testlog.New()
	z := zapLogger(log).With()
	for range 100 {
		z.Error("tls-alpn challenge")
	}
	if n := len(buf.Lines("tls-alpn challenge")); n > ratelog.Burst+1 { // the second may turn once
		t.Errorf("%d error lines from 100 in about a second, want at most %d:\n%s", n, ratelog.Burst+1, buf.String())
	}
	z.Info("obtained certificate")
	if !strings.Contains(buf.String(), "obtained certificate") {
		t.Error("an info line was dropped")
	}
}
