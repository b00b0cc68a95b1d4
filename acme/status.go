package acme

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"iter"
	"time"
)

// Operation is what an ACME order was for: a label of the metrics.
type Operation uint8

const (
	Obtain Operation = iota // a name's first certificate (none in Dir)
	Renew                   // a certificate due for renewal
	numOps
)

// OperationNames are the label values of each Operation.
var OperationNames = [numOps]string{"obtain", "renew"}

// Error is a domain's last failed order; a good one clears it.
type Error struct {
	Message string    `json:"message"`
	At      time.Time `json:"at"`
	// Failures counts the orders failed in a row; certmagic retries them
	// with back-off (1, 2, 2, 5, 10 minutes, … up to 6 hours between tries).
	Failures uint64 `json:"failures"`
}

// Status is the acme section of /status.
type Status struct {
	CA      string   `json:"ca"`
	Dir     string   `json:"dir"`
	Domains []Domain `json:"domains"`
}

// Domain is one managed name and the certificate serving it.
type Domain struct {
	Name string `json:"name"`
	// NotAfter and the rest describe the certificate in service; zero (and
	// SHA256 empty) while none has been obtained.
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	Issuer    string    `json:"issuer"`
	SHA256    string    `json:"sha256"`
	// RenewedAt is this process's last successful order for the name.
	RenewedAt *time.Time `json:"renewed_at"`
	LastError *Error     `json:"last_error"`
}

// Status describes every managed domain, in the order given.
func (m *Manager) Status() Status {
	st := Status{CA: m.opt.CA, Dir: m.opt.Dir}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, name := range m.opt.Domains {
		d := Domain{Name: name}
		for _, c := range m.cache.AllMatchingCertificates(name) {
			if c.Leaf == nil || (!d.NotAfter.IsZero() && !c.Leaf.NotAfter.After(d.NotAfter)) {
				continue // the newest serves: certmagic replaces a renewed one
			}
			sum := sha256.Sum256(c.Leaf.Raw)
			d.NotBefore, d.NotAfter, d.Issuer, d.SHA256 = c.Leaf.NotBefore, c.Leaf.NotAfter, c.Leaf.Issuer.String(), hex.EncodeToString(sum[:])
		}
		if ev := m.events[name]; ev != nil {
			if !ev.lastOK.IsZero() {
				at := ev.lastOK
				d.RenewedAt = &at
			}
			if ev.lastErr != nil {
				e := *ev.lastErr
				d.LastError = &e
			}
		}
		st.Domains = append(st.Domains, d)
	}
	return st
}

// Expiry yields each managed name that has a certificate, with its
// NotAfter, for corsedge_tls_certificate_expiry_timestamp_seconds.
func (m *Manager) Expiry() iter.Seq2[string, time.Time] {
	return func(yield func(string, time.Time) bool) {
		for _, d := range m.Status().Domains {
			if !d.NotAfter.IsZero() && !yield(d.Name, d.NotAfter) {
				return
			}
		}
	}
}

// Orders returns how many orders of op succeeded and failed.
func (m *Manager) Orders(op Operation) (ok, failed uint64) {
	return m.counts[op][1].Load(), m.counts[op][0].Load()
}

// onEvent records certmagic's outcome of each order (one attempt: a retry
// is another event) for /status and the metrics.
func (m *Manager) onEvent(_ context.Context, event string, data map[string]any) error {
	name, _ := data["identifier"].(string)
	op := Obtain
	if renewal, _ := data["renewal"].(bool); renewal {
		op = Renew
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ev := m.events[name]
	if ev == nil {
		ev = &domainEvents{}
		m.events[name] = ev
	}
	switch event {
	case "cert_obtained":
		m.counts[op][1].Add(1)
		ev.lastOK, ev.lastErr, ev.attempts = time.Now(), nil, 0
	case "cert_failed":
		m.counts[op][0].Add(1)
		ev.attempts++
		msg := "unknown error"
		if err, ok := data["error"].(error); ok {
			msg = err.Error()
		}
		ev.lastErr = &Error{Message: msg, At: time.Now(), Failures: ev.attempts}
		m.log.Error("ACME order failed; the current certificate, if any, keeps serving",
			"domain", name, "operation", OperationNames[op], "failures", ev.attempts, "error", msg)
	}
	return nil
}
