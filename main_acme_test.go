package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// serve refuses -acme-* flags that cannot work, before anything listens.
func TestServeACMEFlagProblems(t *testing.T) {
	root := t.TempDir()
	base := []string{"serve", "-rules", "rules.toml", "-admin", "", "-poll", "0", "-addr", "127.0.0.1:0"}
	https := []string{"-tls-addr", "127.0.0.1:0", "-acme-domains", "a.example,b.example"}
	for _, tc := range []struct {
		desc string
		args []string
		want string
	}{
		{"ACME without HTTPS", []string{"-acme-domains", "a.example", "-acme-dir", t.TempDir()}, "-acme-domains needs -tls-addr"},
		{"no -acme-dir", https, "no -acme-dir"},
		{"-acme-dir without domains", []string{"-acme-dir", t.TempDir()}, "need -acme-domains"},
		{"-acme-dir in the asset root", append([]string{"-root", root, "-acme-dir", filepath.Join(root, "acme")}, https...), "inside the asset root"},
		{"a wildcard", []string{"-tls-addr", "127.0.0.1:0", "-acme-domains", "*.a.example", "-acme-dir", t.TempDir()}, "DNS-01"},
		{"a missing -acme-ca-root", append([]string{"-acme-dir", t.TempDir(), "-acme-ca-root", "/nonexistent.pem"}, https...), "-acme-ca-root"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var out bytes.Buffer
			if code := run(append(base, tc.args...), &out, &out); code != 2 {
				t.Errorf("exit %d, want 2; output:\n%s", code, out.String())
			}
			if !strings.Contains(out.String(), tc.want) {
				t.Errorf("output lacks %q:\n%s", tc.want, out.String())
			}
		})
	}
}
