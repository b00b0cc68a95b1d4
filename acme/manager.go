package acme

import (
	"context"
	"corsedge/certs"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/valyala/fasthttp"
)

// LetsEncrypt is the default CA: Let's Encrypt's production directory.
// LetsEncryptStaging has no rate limits worth the name but is not trusted
// by browsers: use it to try a setup.
const (
	LetsEncrypt        = certmagic.LetsEncryptProductionCA
	LetsEncryptStaging = certmagic.LetsEncryptStagingCA
)

// Options say which names a Manager keeps certificates for, from which CA.
type Options struct {
	Domains []string // DNS names, no wildcards (those need DNS-01)
	Email   string   // the ACME account's contact; optional, but the CA warns of expiry there
	CA      string   // the CA's directory URL; LetsEncrypt when ""
	// CARoots, when not nil, are the only roots trusted for the CA's own
	// HTTPS (a private CA such as Pebble); nil trusts the system's roots.
	CARoots *x509.CertPool
	// Dir holds the account key and the certificates; created 0700. Several
	// replicas may share it: certmagic's lock files make one of them order
	// a certificate while the others wait for it and load it.
	Dir string
	// AssetRoot is the served directory; Dir must not be in it. "" when no
	// directory is served.
	AssetRoot string
	// HTTPAddr is the plain HTTP listen address, where HTTP-01 is answered;
	// "" turns HTTP-01 off. TLSAddr is the HTTPS one, where TLS-ALPN-01 is.
	HTTPAddr, TLSAddr string
	// NoTLSALPN turns TLS-ALPN-01 off (a TLS terminator in front of the
	// HTTPS port would answer it instead of corsedge).
	NoTLSALPN bool
	// RenewCheckInterval is how often certificates are checked for
	// renewal; certmagic's 10 minutes when 0.
	RenewCheckInterval time.Duration
	Logger             *slog.Logger // slog.Default() when nil
}

// Manager obtains and renews the certificates of Options.Domains in the
// background and hands them to handshakes (it is a certs.Source).
type Manager struct {
	opt     Options
	domains map[string]bool // lowercase
	cache   *certmagic.Cache
	magic   *certmagic.Config
	issuer  *certmagic.ACMEIssuer
	log     *slog.Logger

	httpChallenge fasthttp.RequestHandler

	mu     sync.Mutex
	events map[string]*domainEvents // by domain; guarded by mu

	counts [numOps][2]atomic.Uint64 // [operation][1 for success]
}

// domainEvents is what /status says of one domain's ACME orders.
type domainEvents struct {
	lastOK   time.Time
	lastErr  *Error
	attempts uint64 // failures since the last success
}

// New checks opt and prepares the Manager; nothing is ordered before Start.
func New(opt Options) (*Manager, error) {
	if err := check(&opt); err != nil {
		return nil, err
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if err := os.MkdirAll(opt.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("acme: -acme-dir: %w", err)
	}
	m := &Manager{opt: opt, domains: map[string]bool{}, log: opt.Logger, events: map[string]*domainEvents{}}
	for _, d := range opt.Domains {
		m.domains[d] = true
	}
	zl := zapLogger(opt.Logger)
	m.cache = certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert:   func(certmagic.Certificate) (*certmagic.Config, error) { return m.magic, nil },
		RenewCheckInterval: opt.RenewCheckInterval,
		Logger:             zl,
	})
	m.magic = certmagic.New(m.cache, certmagic.Config{
		Storage: &certmagic.FileStorage{Path: opt.Dir},
		Logger:  zl,
		// Let's Encrypt ended OCSP in 2025; other CAs' staples are not
		// worth a fetch per certificate either (browsers do not ask).
		OCSP:           certmagic.OCSPConfig{DisableStapling: true},
		OnEvent:        m.onEvent,
		ShouldEmitFunc: func(event string) bool { return event == "cert_obtained" || event == "cert_failed" },
	})
	httpHost, httpPort, err := hostPort(opt.HTTPAddr)
	if err != nil {
		return nil, err
	}
	_, tlsPort, err := hostPort(opt.TLSAddr)
	if err != nil {
		return nil, err
	}
	m.issuer = certmagic.NewACMEIssuer(m.magic, certmagic.ACMEIssuer{
		CA:           opt.CA,
		Email:        opt.Email,
		Agreed:       true,
		TrustedRoots: opt.CARoots,
		// The challenges are answered by corsedge's listeners. certmagic
		// tries to listen on these ports for its own solver and, finding
		// them taken (by corsedge: Start runs once they are bound), relies
		// on ServeHTTPChallenge and Certificate instead.
		ListenHost:              httpHost,
		AltHTTPPort:             httpPort,
		AltTLSALPNPort:          tlsPort,
		DisableHTTPChallenge:    opt.HTTPAddr == "",
		DisableTLSALPNChallenge: opt.NoTLSALPN,
		Logger:                  zl,
	})
	m.magic.Issuers = []certmagic.Issuer{m.issuer}
	m.httpChallenge = m.newHTTPChallenge()
	return m, nil
}

// check validates opt and normalises its domains and CA.
func check(opt *Options) error {
	var errs []error
	if len(opt.Domains) == 0 {
		errs = append(errs, errors.New("no -acme-domains"))
	}
	for i, d := range opt.Domains {
		d = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(d), "."))
		opt.Domains[i] = d
		switch {
		case strings.Contains(d, "*"):
			errs = append(errs, fmt.Errorf("%q: a wildcard needs the DNS-01 challenge, which corsedge does not answer", d))
		case net.ParseIP(d) != nil:
			errs = append(errs, fmt.Errorf("%q: an IP address, not a DNS name", d))
		case d == "" || !strings.Contains(d, ".") || strings.ContainsAny(d, "/: "):
			errs = append(errs, fmt.Errorf("%q: not a DNS name a public CA would certify", d))
		}
	}
	if opt.CA == "" {
		opt.CA = LetsEncrypt
	} else if !strings.HasPrefix(opt.CA, "https://") {
		errs = append(errs, fmt.Errorf("-acme-ca %q: an ACME directory URL starts with https:// (RFC 8555 §6.1)", opt.CA))
	}
	if opt.TLSAddr == "" {
		errs = append(errs, errors.New("ACME needs -tls-addr: certificates are for HTTPS, and TLS-ALPN-01 is answered there"))
	}
	if opt.HTTPAddr == "" && opt.NoTLSALPN {
		errs = append(errs, errors.New("no challenge left: HTTP-01 needs -addr, TLS-ALPN-01 is turned off"))
	}
	if err := checkDir(opt.Dir, opt.AssetRoot); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("acme: %w", errors.Join(errs...))
	}
	return nil
}

// checkDir refuses a storage directory that is missing, or inside (or
// equal to) the asset root: the account key must never be a served file.
func checkDir(dir, root string) error {
	if dir == "" {
		return errors.New("no -acme-dir: the account key and certificates must survive restarts")
	}
	if root == "" {
		return nil
	}
	d, err1 := resolved(dir)
	r, err2 := resolved(root)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	if rel, err := filepath.Rel(r, d); err == nil && (rel == "." || !strings.HasPrefix(rel, "..")) {
		return fmt.Errorf("-acme-dir %s is inside the asset root %s: the account key would be served", dir, root)
	}
	return nil
}

// resolved is path made absolute with its symlinks followed, as far as the
// path exists (the storage directory may not yet).
func resolved(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	var tail []string
	for p := abs; ; p = filepath.Dir(p) {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			slices.Reverse(tail)
			return filepath.Join(append([]string{r}, tail...)...), nil
		}
		if p == filepath.Dir(p) {
			return abs, nil
		}
		tail = append(tail, filepath.Base(p))
	}
}

// hostPort splits a listen address; "" is port 0.
func hostPort(addr string) (string, int, error) {
	if addr == "" {
		return "", 0, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("acme: listen address %q: %w", addr, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return "", 0, fmt.Errorf("acme: listen address %q: port %q is not a number", addr, port)
	}
	return host, n, nil
}

// Start loads the certificates already in Dir and orders, in the
// background, those missing or due; the listeners must be bound by then.
// Renewal checks run until Stop.
func (m *Manager) Start(ctx context.Context) error {
	return m.magic.ManageAsync(ctx, m.opt.Domains)
}

// Stop ends the renewal checks.
func (m *Manager) Stop() { m.cache.Stop() }

// errNotManaged refuses a TLS-ALPN-01 handshake for a name this server does
// not order: no CA validates it, and answering it would let anyone make
// certmagic look for a token file (and log an error) per handshake.
var errNotManaged = errors.New("acme: tls-alpn-01 for a name not in -acme-domains")

// Certificate answers handshakes for the managed names, TLS-ALPN-01
// challenge handshakes (RFC 8737: ALPN "acme-tls/1" alone) included; nil
// for other names, so that the certificate files answer them.
func (m *Manager) Certificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if !m.domains[strings.ToLower(hello.ServerName)] {
		if certs.IsChallenge(hello) {
			return nil, errNotManaged
		}
		return nil, nil
	}
	return m.magic.GetCertificate(hello)
}

// ALPN is the protocol of TLS-ALPN-01 handshakes, which the HTTPS listener
// must offer beside http/1.1.
const ALPN = certs.ChallengeALPN
