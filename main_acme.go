package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"corsedge/acme"
)

// acmeFlags are serve's -acme-* flags.
type acmeFlags struct {
	domains, email, ca, dir, caRoot *string
}

func defineACMEFlags(fs *flag.FlagSet) acmeFlags {
	return acmeFlags{
		domains: fs.String("acme-domains", "", "comma-separated DNS names to get certificates for from an ACME CA (needs -tls-addr and -acme-dir; -tls-cert files win for the names they cover)"),
		email:   fs.String("acme-email", "", "contact address of the ACME account (the CA's expiry warnings go there)"),
		ca:      fs.String("acme-ca", acme.LetsEncrypt, "ACME directory URL (RFC 8555); Let's Encrypt staging: "+acme.LetsEncryptStaging),
		dir:     fs.String("acme-dir", "", "directory for the ACME account key and certificates (created 0700; keep it across restarts; never inside -root); replicas may share it"),
		caRoot:  fs.String("acme-ca-root", "", "PEM file of the roots to trust for the ACME directory's HTTPS, for a private CA (default: the system's roots)"),
	}
}

// on says whether any -acme-* flag asks for ACME.
func (f acmeFlags) on() bool { return *f.domains != "" }

// manager builds the ACME manager the flags ask for; nil when they ask for none.
func (f acmeFlags) manager(addr, tlsAddr, root string, log *slog.Logger) (*acme.Manager, error) {
	if !f.on() {
		if *f.dir != "" || *f.email != "" || *f.caRoot != "" {
			return nil, errors.New("-acme-dir, -acme-email and -acme-ca-root need -acme-domains")
		}
		return nil, nil
	}
	opt := acme.Options{
		Email: *f.email, CA: *f.ca, Dir: *f.dir, AssetRoot: root,
		HTTPAddr: addr, TLSAddr: tlsAddr, Logger: log,
	}
	for _, d := range strings.Split(*f.domains, ",") {
		if d = strings.TrimSpace(d); d != "" {
			opt.Domains = append(opt.Domains, d)
		}
	}
	if *f.caRoot != "" {
		pem, err := os.ReadFile(*f.caRoot)
		if err != nil {
			return nil, fmt.Errorf("-acme-ca-root: %w", err)
		}
		opt.CARoots = x509.NewCertPool()
		if !opt.CARoots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("-acme-ca-root %s: no PEM certificate in it", *f.caRoot)
		}
	}
	return acme.New(opt)
}

// startACME starts ordering and renewing, once the listeners are bound
// (certmagic then finds the challenge ports taken and leaves them to us).
func startACME(ctx context.Context, m *acme.Manager, log *slog.Logger) (stop func(), err error) {
	if m == nil {
		return func() {}, nil
	}
	if err := m.Start(ctx); err != nil {
		return nil, err
	}
	log.Info("ACME on", "domains", strings.Join(domainNames(m), ","), "ca", m.Status().CA, "dir", m.Status().Dir)
	return m.Stop, nil
}

func domainNames(m *acme.Manager) []string {
	var names []string
	for _, d := range m.Status().Domains {
		names = append(names, d.Name)
	}
	return names
}
