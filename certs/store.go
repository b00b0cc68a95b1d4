package certs

import (
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"corsedge/internal/safefile"
)

// DefaultMaxFileSize bounds each certificate and key file read: a chain of
// a few certificates is a few KB.
const DefaultMaxFileSize = 1 << 20

// Options say which pairs a Store loads; zero values take the defaults.
type Options struct {
	Pairs       []Pair // in order; the first serves handshakes whose SNI no pair covers
	MaxFileSize int64  // DefaultMaxFileSize when 0
	// Fallback, when not nil, is asked for names that no pair covers, before
	// the first pair answers for them.
	Fallback Source
}

// PairError is a problem with one file of a pair.
type PairError struct {
	File string
	Err  error
}

func (e *PairError) Error() string { return e.File + ": " + e.Err.Error() }
func (e *PairError) Unwrap() error { return e.Err }

// Result is what a reload did with one pair.
type Result uint8

const (
	Unchanged Result = iota // the files hold the bytes read last time
	Loaded                  // a new certificate serves new handshakes
	Failed                  // the files could not be used; the pair's previous certificate keeps serving
)

// Outcome is one pair's part of a reload.
type Outcome struct {
	Pair    Pair
	Result  Result
	Err     error  // when Failed: names the file and says why
	Warning string // when Loaded: the certificate is expired or not yet valid
}

// Store holds the certificates in service, one per pair, and chooses among
// them for each handshake. Reloads replace a pair's certificate only with a
// good one.
type Store struct {
	opt    Options
	reader *safefile.Reader
	view   atomic.Pointer[view]

	mu    sync.Mutex   // one reload at a time; guards pairs
	pairs []*pairState // in Options.Pairs order
}

// pairState is one pair's loaded certificate and its last reload.
type pairState struct {
	pair    Pair
	good    *entry               // serving; nil only before the first good load
	sums    [2][sha256.Size]byte // of the cert and key bytes last read, good or bad
	read    bool                 // sums hold a read
	lastErr *Error               // the last reload's failure; nil after a good one
}

// Load reads, checks and loads every pair. Any problem with any pair is an
// error naming its file: a server never starts without all its certificates.
func Load(opt Options) (*Store, error) {
	if len(opt.Pairs) == 0 && opt.Fallback == nil {
		return nil, errors.New("certs: no certificate/key pair")
	}
	if opt.MaxFileSize <= 0 {
		opt.MaxFileSize = DefaultMaxFileSize
	}
	s := &Store{opt: opt, reader: safefile.New(safefile.Options{Limit: opt.MaxFileSize})}
	for _, p := range opt.Pairs {
		s.pairs = append(s.pairs, &pairState{pair: p})
	}
	var errs []error
	for _, o := range s.Reload() {
		if o.Result == Failed {
			errs = append(errs, o.Err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// Reload reads every pair again and swaps in, for new handshakes, each one
// that changed and is good; a pair whose files are missing, damaged or do
// not match keeps its previous certificate. Connections already open keep
// the certificate they were made with.
func (s *Store) Reload() []Outcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Outcome, len(s.pairs))
	changed := false
	for i, ps := range s.pairs {
		out[i] = s.reloadPair(ps)
		changed = changed || out[i].Result != Unchanged
	}
	if changed || s.view.Load() == nil {
		s.view.Store(s.compile())
	}
	return out
}

// reloadPair reads one pair and loads it if it changed and is good.
func (s *Store) reloadPair(ps *pairState) Outcome {
	o := Outcome{Pair: ps.pair}
	var data [2][]byte
	var sums [2][sha256.Size]byte
	for i, file := range [2]string{ps.pair.CertFile, ps.pair.KeyFile} {
		c, err := s.reader.Read(file)
		if err != nil {
			ps.read = false // whatever comes next is new, even the bytes read before
			return ps.failed(o, readError(file, err))
		}
		data[i], sums[i] = c.Data, sha256.Sum256(c.Data)
	}
	if ps.read && sums == ps.sums {
		o.Result = Unchanged
		return o
	}
	ps.sums, ps.read = sums, true
	e, err := parse(ps.pair, data[0], data[1])
	if err != nil {
		return ps.failed(o, err)
	}
	e.loadedAt = time.Now()
	warning := validity(e.cert.Leaf, e.loadedAt)
	if warning != "" && ps.good != nil && validity(ps.good.cert.Leaf, e.loadedAt) == "" {
		// Loading an expired pair at start beats serving none; replacing a
		// valid one with it (an old backup restored) would take HTTPS down.
		return ps.failed(o, fmt.Errorf("%s: %s; the valid certificate in service stays", ps.pair.CertFile, warning))
	}
	ps.good, ps.lastErr = e, nil
	o.Result, o.Warning = Loaded, warning
	return o
}

// failed records a pair's failed reload; its good certificate stays.
func (ps *pairState) failed(o Outcome, err error) Outcome {
	ps.lastErr = &Error{Message: err.Error(), At: time.Now()}
	o.Result, o.Err = Failed, err
	return o
}

// readError names the file once: safefile's errors are *fs.PathErrors.
func readError(file string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return &PairError{File: file, Err: err}
}

// view is the compiled, immutable form handshakes read: certificates by
// name, ECDSA before RSA for each name, and the status of every pair.
type view struct {
	exact     map[string][]*tls.Certificate // by lowercase DNS name
	wildcard  map[string][]*tls.Certificate // "*.example.com" by "example.com"
	byDefault []*tls.Certificate            // the first pair (and its twins for the same names), then the rest
	infos     []Info                        // in pair order
	expiry    map[string]time.Time          // the earliest NotAfter per name
}

func (s *Store) compile() *view {
	v := &view{exact: map[string][]*tls.Certificate{}, wildcard: map[string][]*tls.Certificate{}, expiry: map[string]time.Time{}}
	var good []*entry
	for _, ps := range s.pairs {
		v.infos = append(v.infos, ps.info())
		if ps.good != nil {
			good = append(good, ps.good)
		}
	}
	// Stable: among pairs of one key kind, the order of the flags decides.
	ranked := slices.Clone(good)
	slices.SortStableFunc(ranked, func(a, b *entry) int { return a.rank - b.rank })
	for _, e := range ranked {
		for _, n := range e.dnsNames {
			if rest, ok := strings.CutPrefix(n, "*."); ok {
				v.wildcard[rest] = appendNew(v.wildcard[rest], e.cert)
			} else {
				v.exact[n] = appendNew(v.exact[n], e.cert)
			}
		}
		for _, n := range e.names {
			if t, ok := v.expiry[n]; !ok || e.cert.Leaf.NotAfter.Before(t) {
				v.expiry[n] = e.cert.Leaf.NotAfter
			}
		}
	}
	if len(good) > 0 {
		first := good[0]
		if len(first.dnsNames) > 0 {
			n := first.dnsNames[0]
			if rest, ok := strings.CutPrefix(n, "*."); ok {
				v.byDefault = slices.Clone(v.wildcard[rest])
			} else {
				v.byDefault = slices.Clone(v.exact[n])
			}
		}
		for _, e := range good {
			v.byDefault = appendNew(v.byDefault, e.cert)
		}
	}
	return v
}

func appendNew(list []*tls.Certificate, c *tls.Certificate) []*tls.Certificate {
	if slices.Contains(list, c) {
		return list
	}
	return append(list, c)
}

// GetCertificate chooses the certificate for a handshake (tls.Config's
// GetCertificate): the pairs naming the SNI exactly, else those whose
// wildcard covers its first label (RFC 6125 §6.4.3), else the Fallback, else
// the first pair. A TLS-ALPN-01 validation goes to the Fallback alone.
// Among several it takes the first the client supports,
// ECDSA before RSA.
func (s *Store) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	v := s.view.Load()
	// Go's server refuses an SNI with a trailing dot; case is the client's.
	name := strings.ToLower(hello.ServerName)
	if s.opt.Fallback != nil && IsChallenge(hello) {
		return s.opt.Fallback.Certificate(hello)
	}
	if name != "" {
		if list := v.exact[name]; list != nil {
			return supported(hello, list), nil
		}
		if _, parent, ok := strings.Cut(name, "."); ok {
			if list := v.wildcard[parent]; list != nil {
				return supported(hello, list), nil
			}
		}
		if s.opt.Fallback != nil {
			if c, err := s.opt.Fallback.Certificate(hello); c != nil || err != nil {
				return c, err
			}
		}
	}
	if len(v.byDefault) == 0 {
		return nil, fmt.Errorf("certs: no certificate for %q", name)
	}
	// SupportsCertificate also checks the name, which no default pair
	// covers: ask it about the key and the algorithms only.
	anyName := *hello
	anyName.ServerName = ""
	return supported(&anyName, v.byDefault), nil
}

// supported returns the first certificate of list the client can use, or
// the first one when it can use none (the handshake then fails, saying why).
func supported(hello *tls.ClientHelloInfo, list []*tls.Certificate) *tls.Certificate {
	if len(list) > 1 {
		for _, c := range list {
			if hello.SupportsCertificate(c) == nil {
				return c
			}
		}
	}
	return list[0]
}
