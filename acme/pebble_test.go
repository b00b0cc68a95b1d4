package acme_test

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"corsedge/acme"
)

// TestPebble issues certificates from a real ACME server, Pebble, built
// from the module proxy and run on loopback: through HTTP-01 on the plain
// listener and TLS-ALPN-01 on the HTTPS one; then sees a renewal come in
// under a client looping on fresh connections with no failed request, and
// a CA that is down leave the current certificate serving, /status saying
// why.
func TestPebble(t *testing.T) {
	bin := buildPebble(t)
	dnsAddr := mockDNS(t)
	plain, httpsA, httpsB := listen(t), listen(t), listen(t)
	// Pebble validates HTTP-01 on server A's plain port and TLS-ALPN-01 on
	// server B's HTTPS port. Certificates live 15 s: renewal is due within
	// 10 s (ARI's random time in the lifetime, or certmagic's last third).
	p := startPebble(t, bin, dnsAddr, port(plain), port(httpsB), 15*time.Second)
	a := startCorsedge(t, p, "http01.corsedge.test", plain, httpsA, func(o *acme.Options) { o.NoTLSALPN = true })
	b := startCorsedge(t, p, "tlsalpn.corsedge.test", nil, httpsB, func(*acme.Options) {})

	for _, tc := range []struct {
		desc   string
		server *corsedge
		domain string
	}{
		{"http-01 on the plain listener", a, "http01.corsedge.test"},
		{"tls-alpn-01 on the HTTPS listener, no plain listener at all", b, "tlsalpn.corsedge.test"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var leaf *x509.Certificate
			var err error
			if !eventually(20*time.Second, func() bool { leaf, err = fetch(tc.server.client(p.issuing), tc.domain); return err == nil }) {
				t.Fatalf("no certificate from Pebble within 20 s: %v", err)
			}
			if !slices.Equal(leaf.DNSNames, []string{tc.domain}) {
				t.Errorf("served names %v", leaf.DNSNames)
			}
			metrics := tc.server.metrics(t)
			for _, want := range []string{
				fmt.Sprintf("corsedge_tls_certificate_expiry_timestamp_seconds{name=%q} ", tc.domain),
				`corsedge_acme_orders_total{operation="obtain",result="success"} 1`,
			} {
				if !strings.Contains(metrics, want) {
					t.Errorf("metrics lack %q:\n%s", want, metrics)
				}
			}
		})
	}
	if t.Failed() {
		return
	}

	const domain = "tlsalpn.corsedge.test"
	client := b.client(p.issuing)
	first, err := fetch(client, domain)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("renewal in the background, no request failing meanwhile", func(t *testing.T) {
		var mu sync.Mutex
		var failures []error
		requests, renewed := 0, false
		done := make(chan struct{})
		go func() {
			defer close(done)
			deadline := time.Now().Add(25 * time.Second)
			for extra := 0; extra < 20 && time.Now().Before(deadline); { // 20 more requests once renewed
				leaf, err := fetch(client, domain)
				mu.Lock()
				requests++
				switch {
				case err != nil:
					failures = append(failures, err)
				case !bytes.Equal(leaf.Raw, first.Raw):
					renewed = true
				}
				if renewed {
					extra++
				}
				mu.Unlock()
				time.Sleep(10 * time.Millisecond) // a client, not a load test: the CPUs are shared
			}
		}()
		<-done
		if !renewed {
			t.Fatalf("no renewed certificate served within 25 s (%d requests)", requests)
		}
		if len(failures) > 0 {
			t.Errorf("%d of %d requests failed across the renewal; first: %v", len(failures), requests, failures[0])
		}
		t.Logf("%d requests on fresh connections across the renewal, none failed", requests)
		d := b.status(t).Domains[0]
		if d.RenewedAt == nil || d.LastError != nil || !d.NotAfter.After(first.NotAfter) {
			t.Errorf("status after renewal: %+v (first not_after %v)", d, first.NotAfter)
		}
	})

	t.Run("CA down: the current certificate keeps serving, /status says why", func(t *testing.T) {
		p.stop()
		var d acme.Domain
		if !eventually(20*time.Second, func() bool { d = b.status(t).Domains[0]; return d.LastError != nil }) {
			t.Fatalf("no failed renewal in /status within 20 s: %+v", d)
		}
		if !strings.Contains(d.LastError.Message, "connection refused") {
			t.Errorf("last error does not say the CA is unreachable: %q", d.LastError.Message)
		}
		leaf, err := fetch(client, domain)
		if err != nil {
			t.Fatalf("after the failed renewal: %v", err)
		}
		if got := fmt.Sprintf("%x", sha256Sum(leaf.Raw)); got != d.SHA256 {
			t.Errorf("served %s, /status says %s", got, d.SHA256)
		}
		if m := b.metrics(t); !strings.Contains(m, `corsedge_acme_orders_total{operation="renew",result="failure"} `) ||
			strings.Contains(m, `corsedge_acme_orders_total{operation="renew",result="failure"} 0`) {
			t.Errorf("metrics do not count the failed renewal:\n%s", m)
		}
	})
}
