package load

import (
	"context"
	"crypto/tls"
	"strconv"
	"time"
)

// Request is one kind of request a run sends over and over.
type Request struct {
	Method string
	Path   string
	Header [][2]string // sent as given, in order
	Origin *Rotation   // when set, each request carries the next Origin of the rotation
	// Sites, when set, rotates the Origin and the path together (Path is
	// then unused but for the report); the status of a refused position is
	// Sites.Refused.
	Sites *Sites
	// Close sends Connection: close and opens a new connection for every
	// request: over TLS, a handshake per request.
	Close bool
}

// Period is the number of positions after which r's rotation repeats
// itself, each of them sent once: the Origin rotation's count, or ten a
// site (Sites.At); 0 for a request that does not rotate.
func (r Request) Period() int64 {
	switch {
	case r.Sites != nil:
		return 10 * int64(r.Sites.Count)
	case r.Origin != nil:
		return int64(r.Origin.Count)
	}
	return 0
}

// Rotation names Count distinct origins Prefix+n+Suffix, n = 1..Count.
type Rotation struct {
	Prefix, Suffix string
	Count          int
}

// Origin returns the origin at position i of the rotation (any i ≥ 0).
func (r *Rotation) Origin(i int64) string {
	return r.Prefix + strconv.FormatInt(i%int64(r.Count)+1, 10) + r.Suffix
}

// Options shape one run.
type Options struct {
	Addr     string        // host:port
	Conns    int           // keep-alive connections, one request in flight on each
	Duration time.Duration // how long to send
	Requests int64         // stop after this many responses (0: no limit); Go generator only
	Status   int           // the status every response must have; others count as errors
	Start    int64         // position in the Origin rotation to start from
	// TLS, when set, speaks HTTPS with this client configuration. The Go
	// generator resumes a session only if it has a ClientSessionCache.
	TLS *tls.Config
}

// Result is what one run measured.
type Result struct {
	Generator  string
	Requests   int64 // responses received with the expected status
	Errors     int64 // connection errors, timeouts and unexpected statuses
	FirstError string
	Elapsed    time.Duration
	P50, P99   time.Duration
	// Handshakes are the TLS handshakes completed, Resumed those of them
	// that resumed a session; Go generator only (wrk does not tell).
	Handshakes, Resumed int64
}

// RPS returns the responses per second of the run.
func (r Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Generator runs load against a server.
type Generator interface {
	Name() string
	Run(ctx context.Context, req Request, opt Options) (Result, error)
}
