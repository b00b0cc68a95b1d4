package main

import (
	"bytes"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"corsedge/internal/testlog"
	"corsedge/internal/testpki"
)

// serve refuses flags that cannot make an HTTPS server (status 2), and a
// pair it cannot load is fatal at start, naming the file and why (status 1).
func TestServeTLSStartProblems(t *testing.T) {
	ca := testpki.NewCA(t)
	dir := t.TempDir()
	good := ca.Issue(t, testpki.Spec{})
	other := ca.Issue(t, testpki.Spec{})
	cert, key, otherKey := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "other.pem")
	good.Write(t, cert, key)
	testpki.WriteFile(t, otherKey, other.KeyPEM)
	base := []string{"serve", "-rules", "rules.toml", "-admin", "", "-poll", "0"}
	for _, tc := range []struct {
		desc     string
		args     []string
		wantCode int
		want     []string
	}{
		{"no listener at all", []string{"-addr", ""}, 2, []string{`-addr "" turns plain HTTP off`}},
		{"more certificates than keys", []string{"-tls-addr", "127.0.0.1:0", "-tls-cert", cert, "-tls-cert", cert, "-tls-key", key}, 2, []string{"2 -tls-cert but 1 -tls-key"}},
		{"HTTPS without a certificate", []string{"-tls-addr", "127.0.0.1:0"}, 2, []string{"-tls-addr needs"}},
		{"a certificate without HTTPS", []string{"-tls-cert", cert, "-tls-key", key}, 2, []string{"need -tls-addr"}},
		{"a key that is another certificate's", []string{"-addr", "", "-tls-addr", "127.0.0.1:0", "-tls-cert", cert, "-tls-key", otherKey}, 1,
			[]string{"cannot load the TLS certificates", otherKey + ": not a usable key for " + cert, "private key does not match"}},
		{"a missing certificate file", []string{"-addr", "", "-tls-addr", "127.0.0.1:0", "-tls-cert", cert + ".nope", "-tls-key", key}, 1,
			[]string{cert + ".nope: open: no such file or directory"}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var out bytes.Buffer
			if code := run(append(base, tc.args...), &out, &out); code != tc.wantCode {
				t.Errorf("exit %d, want %d; output:\n%s", code, tc.wantCode, out.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

// HTTPS only, on the command line the TLS benchmark uses; the certificate
// files are symlinks into another directory, so no file event announces a
// renewal: SIGHUP (certbot's --deploy-hook) reloads it.
func TestServeTLSOnly(t *testing.T) {
	ca := testpki.NewCA(t)
	store, conf, root := t.TempDir(), t.TempDir(), t.TempDir()
	first := ca.Issue(t, testpki.Spec{})
	first.Write(t, filepath.Join(store, "cert.pem"), filepath.Join(store, "key.pem"))
	cert, key := filepath.Join(conf, "cert.pem"), filepath.Join(conf, "key.pem")
	must(t, os.Symlink(filepath.Join(store, "cert.pem"), cert))
	must(t, os.Symlink(filepath.Join(store, "key.pem"), key))
	rulesFile := filepath.Join(conf, "rules.toml")
	must(t, os.WriteFile(rulesFile, []byte(oneRule), 0o644))
	testpki.WriteFile(t, filepath.Join(root, "fonts", "a.woff2"), []byte("wOF2"))
	out := &testlog.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"serve", "-addr", "", "-tls-addr", "127.0.0.1:0", "-tls-cert", cert, "-tls-key", key,
			"-root", root, "-rules", rulesFile, "-admin", "127.0.0.1:0", "-poll", "0"}, out, out)
	}()
	startRe := regexp.MustCompile(`tls_url=(https://\S+) .*admin=(http://\S+)/status`)
	var m []string
	for deadline := time.Now().Add(5 * time.Second); m == nil && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		m = startRe.FindStringSubmatch(out.String())
	}
	if m == nil {
		t.Fatalf("serve did not start on HTTPS:\n%s", out.String())
	}
	if strings.Contains(out.String(), " url=http://") {
		t.Errorf("plain HTTP is on despite -addr \"\":\n%s", out.String())
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"}, DisableKeepAlives: true}}
	served := func() []byte {
		req, _ := http.NewRequest("GET", m[1]+"/fonts/a.woff2", nil)
		req.Header.Set("Origin", "https://anyone.example")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET over HTTPS: %v", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("GET over HTTPS: %d %v", resp.StatusCode, resp.Header)
		}
		return resp.TLS.PeerCertificates[0].Raw
	}
	if !bytes.Equal(served(), first.Cert.Raw) {
		t.Fatal("not the certificate given")
	}
	renewed := ca.Issue(t, testpki.Spec{})
	renewed.Write(t, filepath.Join(store, "cert.pem"), filepath.Join(store, "key.pem"))
	must(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	ok := false
	for deadline := time.Now().Add(5 * time.Second); !ok && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		ok = bytes.Equal(served(), renewed.Cert.Raw)
	}
	if !ok {
		t.Fatalf("SIGHUP did not bring the renewed certificate within 5 s:\n%s", out.String())
	}
	resp, err := http.Get(m[2] + "/metrics")
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `corsedge_tls_reloads_total{trigger="sighup",result="success"} 1`) {
		t.Errorf("metrics do not count the SIGHUP reload:\n%s", body)
	}
	must(t, syscall.Kill(os.Getpid(), syscall.SIGTERM))
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after SIGTERM", code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no exit within 15 s of SIGTERM")
	}
}
