package certs

import (
	"encoding/hex"
	"iter"
	"maps"
	"slices"
	"time"
)

// Info describes one pair for /status.
type Info struct {
	CertFile  string    `json:"cert_file"`
	KeyFile   string    `json:"key_file"`
	Names     []string  `json:"names"`
	Key       string    `json:"key"` // "ECDSA P-256", "RSA 2048"
	Issuer    string    `json:"issuer"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	SHA256    string    `json:"sha256"` // of the leaf certificate (DER), as browsers show it
	LoadedAt  time.Time `json:"loaded_at"`
	Warning   string    `json:"warning,omitempty"` // expired or not yet valid, as of this Info
	LastError *Error    `json:"last_error"`
}

// Error is a pair's last failed reload; a good reload clears it.
type Error struct {
	Message string    `json:"message"`
	At      time.Time `json:"at"`
}

func (ps *pairState) info() Info {
	in := Info{CertFile: ps.pair.CertFile, KeyFile: ps.pair.KeyFile, LastError: ps.lastErr}
	if e := ps.good; e != nil {
		leaf := e.cert.Leaf
		in.Names, in.Key, in.Issuer = e.names, keyName(leaf), leaf.Issuer.String()
		in.NotBefore, in.NotAfter, in.LoadedAt = leaf.NotBefore, leaf.NotAfter, e.loadedAt
		in.SHA256 = hex.EncodeToString(e.fingerprint[:])
	}
	return in
}

// Pairs returns the pairs the Store loads, in order.
func (s *Store) Pairs() []Pair { return slices.Clone(s.opt.Pairs) }

// Info describes every pair, in the order they were given.
func (s *Store) Info() []Info {
	v := s.view.Load()
	out := slices.Clone(v.infos)
	now := time.Now()
	for i := range out {
		if !out[i].NotAfter.IsZero() {
			out[i].Warning = validityAt(out[i].NotBefore, out[i].NotAfter, now)
		}
	}
	return out
}

// Expiry yields each certificate name, sorted, with the earliest NotAfter
// among the pairs that carry it: what an alert on renewal must watch. An
// ExpiringSource Fallback adds the names the pairs do not cover exactly.
func (s *Store) Expiry() iter.Seq2[string, time.Time] {
	v := s.view.Load()
	expiry := v.expiry
	if fb, ok := s.opt.Fallback.(ExpiringSource); ok {
		expiry = maps.Clone(v.expiry)
		for n, at := range fb.Expiry() {
			if _, files := v.expiry[n]; !files {
				expiry[n] = at
			}
		}
	}
	return func(yield func(string, time.Time) bool) {
		for _, n := range slices.Sorted(maps.Keys(expiry)) {
			if !yield(n, expiry[n]) {
				return
			}
		}
	}
}
