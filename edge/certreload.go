package edge

import (
	"errors"
	"strings"

	"corsedge/certs"
)

// reloadCertificates reloads every certificate pair (each one alone: a bad
// pair keeps its previous certificate), logs each change or failure with
// its file and reason, and counts the reload. It returns the problem of
// every pair still rejected (now, or with the same bytes before) joined;
// nil when none is or there are no certificates.
func (s *Server) reloadCertificates(trigger Trigger) error {
	store := s.cfg.Certificates
	if store == nil {
		return nil
	}
	result := resultUnchanged
	for _, o := range store.Reload() {
		switch o.Result {
		case certs.Loaded:
			if result == resultUnchanged {
				result = resultSuccess
			}
			s.logLoaded(o.Pair, o.Warning, "trigger", trigger)
		case certs.Failed:
			result = resultFailure
			s.log.Error("certificate reload failed; the previous certificate keeps serving",
				"trigger", trigger, "cert", o.Pair.CertFile, "key", o.Pair.KeyFile, "error", o.Err)
		}
	}
	s.metrics.countTLSReload(trigger, result)
	var errs []error
	for _, in := range store.Info() {
		if in.LastError != nil {
			errs = append(errs, errors.New(in.LastError.Message))
		}
	}
	return errors.Join(errs...)
}

// logCertificates logs every pair loaded at start, loudly when one is
// expired or not yet valid.
func (s *Server) logCertificates() {
	for _, in := range s.cfg.Certificates.Info() {
		s.logLoaded(certs.Pair{CertFile: in.CertFile, KeyFile: in.KeyFile}, in.Warning, "trigger", TriggerStart)
	}
	s.metrics.countTLSReload(TriggerStart, resultSuccess)
}

// logLoaded says which certificate now serves for pair.
func (s *Server) logLoaded(p certs.Pair, warning string, args ...any) {
	for _, in := range s.cfg.Certificates.Info() {
		if in.CertFile != p.CertFile || in.KeyFile != p.KeyFile {
			continue
		}
		args = append(args, "cert", in.CertFile, "names", strings.Join(in.Names, ","), "key", in.Key,
			"not_after", in.NotAfter, "sha256", in.SHA256)
		if warning != "" {
			s.log.Error("CERTIFICATE LOADED BUT NOT VALID NOW: "+warning, args...)
			return
		}
		s.log.Info("certificate loaded", args...)
		return
	}
}
