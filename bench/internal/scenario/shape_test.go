package scenario

import (
	"net/http"
	"strings"
	"testing"
)

func TestCompare(t *testing.T) {
	ref := &Shape{Status: 204, Header: http.Header{
		"Access-Control-Allow-Origin":      {"https://app.example.com"},
		"Access-Control-Allow-Credentials": {"true"},
		"Access-Control-Allow-Methods":     {"GET, HEAD, POST"},
		"Access-Control-Max-Age":           {"600"},
		"Vary":                             {"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"},
	}}
	tests := []struct {
		desc         string
		edit         func(*Shape)
		diffs, notes []string
	}{
		{desc: "same answer", edit: func(*Shape) {}},
		{desc: "other status", edit: func(s *Shape) { s.Status = 200 }, diffs: []string{"status 200"}},
		{desc: "other ACAO", edit: func(s *Shape) { s.Header.Set("Access-Control-Allow-Origin", "*") },
			diffs: []string{`Access-Control-Allow-Origin "*"`}},
		{desc: "missing credentials", edit: func(s *Shape) { s.Header.Del("Access-Control-Allow-Credentials") },
			diffs: []string{"Access-Control-Allow-Credentials absent"}},
		{desc: "echoed method is only noted", edit: func(s *Shape) { s.Header.Set("Access-Control-Allow-Methods", "POST") },
			notes: []string{`Access-Control-Allow-Methods "POST"`}},
		{desc: "Vary on several lines, other order, extra token",
			edit: func(s *Shape) {
				s.Header["Vary"] = []string{"access-control-request-headers, Accept-Encoding", "Access-Control-Request-Method", "origin"}
			}},
		{desc: "Vary without Origin", edit: func(s *Shape) {
			s.Header.Set("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers")
		}, diffs: []string{"Vary (CORS part)"}},
		{desc: "a body where corsedge sends none", edit: func(s *Shape) { s.Body = []byte("<html>") },
			diffs: []string{"body 6 bytes"}},
	}
	for _, tc := range tests {
		got := &Shape{Status: ref.Status, Header: ref.Header.Clone()}
		tc.edit(got)
		diffs, notes := Compare(ref, got, corsChecks)
		if !matches(diffs, tc.diffs) || !matches(notes, tc.notes) {
			t.Errorf("%s: diffs %q, notes %q; want diffs %q, notes %q", tc.desc, diffs, notes, tc.diffs, tc.notes)
		}
	}
}

// matches reports whether each got item starts with the want item at its index.
func matches(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !strings.HasPrefix(got[i], want[i]) {
			return false
		}
	}
	return true
}

func TestCompareTLS(t *testing.T) {
	ref := &Shape{Status: 204, Header: http.Header{}, TLS: "TLS 1.3, TLS_AES_128_GCM_SHA256, X25519", Close: true}
	tests := []struct {
		desc  string
		edit  func(*Shape)
		diffs []string
	}{
		{desc: "same handshake, closed", edit: func(*Shape) {}},
		{desc: "another cipher suite", edit: func(s *Shape) { s.TLS = "TLS 1.3, TLS_AES_256_GCM_SHA384, X25519" }, diffs: []string{"TLS"}},
		{desc: "another key exchange", edit: func(s *Shape) { s.TLS = "TLS 1.3, TLS_AES_128_GCM_SHA256, X25519MLKEM768" }, diffs: []string{"TLS"}},
		{desc: "plain HTTP", edit: func(s *Shape) { s.TLS = "" }, diffs: []string{"TLS absent"}},
		{desc: "kept open after Connection: close", edit: func(s *Shape) { s.Close = false }, diffs: []string{"closes after Connection: close false"}},
	}
	for _, tc := range tests {
		got := *ref
		tc.edit(&got)
		diffs, _ := Compare(ref, &got, tlsChecks(closes))
		if !matches(diffs, tc.diffs) {
			t.Errorf("%s: diffs %q, want %q", tc.desc, diffs, tc.diffs)
		}
	}
}
