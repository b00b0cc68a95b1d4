package scenario

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	brrr "github.com/molecule-man/go-brrr"

	"corsedge/bench/internal/load"
)

// Shape is one server's answer to one request of a scenario.
type Shape struct {
	Status int
	Header http.Header
	Body   []byte // decoded from its Content-Encoding
	TLS    string // the negotiated version, cipher suite and key exchange; "" over HTTP
	Close  bool   // the server closed the connection after the answer (Connection: close)
}

// Probe sends req once to addr, on a connection of its own, over HTTPS
// when conf is set, and returns the answer. A rotating Origin takes its first value.
func Probe(ctx context.Context, addr string, conf *tls.Config, req load.Request) (*Shape, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if req.Sites != nil {
		req, _ = req.Fixed(0)
	}
	scheme := "http://"
	if conf != nil {
		scheme = "https://"
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, scheme+addr+req.Path, nil)
	if err != nil {
		return nil, err
	}
	hr.Close = req.Close
	if req.Origin != nil {
		hr.Header.Set("Origin", req.Origin.Origin(0))
	}
	for _, f := range req.Header {
		hr.Header.Add(f[0], f[1])
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true, DisableKeepAlives: true, TLSClientConfig: conf}}
	resp, err := client.Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	body, err := decode(resp.Header.Get("Content-Encoding"), raw)
	if err != nil {
		return nil, fmt.Errorf("%s body: %v", resp.Header.Get("Content-Encoding"), err)
	}
	shape := &Shape{Status: resp.StatusCode, Header: resp.Header, Body: body, Close: resp.Close}
	if cs := resp.TLS; cs != nil {
		shape.TLS = fmt.Sprintf("%s, %s, %s", tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite), cs.CurveID)
	}
	return shape, nil
}

// Resumes reports whether the server at addr resumes a TLS session a
// client offers: two connections, the second offering the session (TLS 1.3
// ticket) the first received. A full-handshake scenario is only telling
// when the servers could resume and the load generator never lets them.
func Resumes(ctx context.Context, addr string, conf *tls.Config) (bool, error) {
	conf = conf.Clone()
	conf.ClientSessionCache = tls.NewLRUClientSessionCache(1)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: conf}}
	var resumed bool
	for range 2 {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		req, err := http.NewRequestWithContext(ctx, "GET", "https://"+addr+"/", nil)
		if err != nil {
			cancel()
			return false, err
		}
		resp, err := client.Do(req)
		if err != nil {
			cancel()
			return false, err
		}
		// Reading to the end lets the client take the ticket, which TLS 1.3
		// sends after the handshake (RFC 8446 §4.6.1).
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		cancel()
		resumed = resp.TLS != nil && resp.TLS.DidResume
	}
	return resumed, nil
}

func decode(encoding string, b []byte) ([]byte, error) {
	switch encoding {
	case "", "identity":
		return b, nil
	case "gzip":
		r, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(r)
	case "br":
		return brrr.Decompress(b)
	}
	return nil, fmt.Errorf("unknown encoding")
}

// RequestFor returns the request to send to the server at addr: the
// scenario's own, plus If-None-Match with that server's ETag for the asset
// when the scenario is conditional.
func (s *Scenario) RequestFor(ctx context.Context, addr string, conf *tls.Config) (load.Request, error) {
	if !s.Conditional {
		return s.Request, nil
	}
	full, err := Probe(ctx, addr, conf, s.Request)
	if err != nil {
		return load.Request{}, err
	}
	etag := full.Header.Get("ETag")
	if etag == "" {
		return load.Request{}, fmt.Errorf("no ETag on %s", s.Request.Path)
	}
	r := s.Request
	r.Header = append(slices.Clip(r.Header), [2]string{"If-None-Match", etag})
	return r, nil
}

// Check compares one aspect of two answers.
type Check struct {
	Name string
	Must bool // a difference means the peer is not timed; else it is noted
	get  func(*Shape) string
}

// Compare lists how got differs from corsedge's ref: diffs disqualify the
// peer, notes are reported next to its figures.
func Compare(ref, got *Shape, checks []Check) (diffs, notes []string) {
	for _, c := range checks {
		want, have := c.get(ref), c.get(got)
		if want == have {
			continue
		}
		d := fmt.Sprintf("%s %s (corsedge: %s)", c.Name, have, want)
		if c.Must {
			diffs = append(diffs, d)
		} else {
			notes = append(notes, d)
		}
	}
	return diffs, notes
}

var (
	status = Check{Name: "status", Must: true, get: func(s *Shape) string { return strconv.Itoa(s.Status) }}
	// body compares the decoded content, so a gzip answer and a br answer
	// of the same file agree.
	bodyLength = Check{Name: "body", Must: true, get: func(s *Shape) string {
		sum := sha256.Sum256(s.Body)
		return fmt.Sprintf("%d bytes, sha256 %x…", len(s.Body), sum[:6])
	}}
	// varyCORS compares the CORS tokens of Vary, in any order and case;
	// whether a server adds Accept-Encoding is not a CORS matter.
	varyCORS = Check{Name: "Vary (CORS part)", Must: true, get: func(s *Shape) string {
		var tokens []string
		for _, line := range s.Header.Values("Vary") {
			for t := range strings.SplitSeq(line, ",") {
				t = strings.ToLower(strings.TrimSpace(t))
				if t == "origin" || strings.HasPrefix(t, "access-control-request-") {
					tokens = append(tokens, t)
				}
			}
		}
		slices.Sort(tokens)
		return quote(strings.Join(tokens, ", "))
	}}
)

// exact compares a header's value(s).
func exact(name string, must bool) Check {
	return Check{Name: name, Must: must, get: func(s *Shape) string {
		return quote(strings.Join(s.Header.Values(name), ", "))
	}}
}

// presence compares only whether a header is sent.
func presence(name string) Check {
	return Check{Name: name, Must: true, get: func(s *Shape) string {
		if len(s.Header.Values(name)) == 0 {
			return "absent"
		}
		return "present"
	}}
}

func quote(v string) string {
	if v == "" {
		return "absent"
	}
	return strconv.Quote(v)
}

// tlsParams compares what the handshake negotiated (with the built-in
// clients' offer): the same version, cipher suite and key exchange, so that
// every server does the same cryptographic work.
var tlsParams = Check{Name: "TLS", Must: true, get: func(s *Shape) string { return quote(s.TLS) }}

// closes checks that the server closed the connection after answering a
// request with Connection: close (RFC 9112 §9.6).
var closes = Check{Name: "closes after Connection: close", Must: true, get: func(s *Shape) string {
	return strconv.FormatBool(s.Close)
}}

// tlsChecks returns tlsParams and the given checks: what HTTPS scenarios
// check before the HTTP answer.
func tlsChecks(more ...Check) []Check { return append([]Check{tlsParams}, more...) }

// corsChecks hold the CORS headers to the same values, except the method
// and header lists: the Fetch standard lets a server echo what was asked
// (rs/cors does) or list all it allows (corsedge does), so their values
// are only noted.
var corsChecks = []Check{
	status,
	bodyLength,
	exact("Access-Control-Allow-Origin", true),
	exact("Access-Control-Allow-Credentials", true),
	exact("Access-Control-Max-Age", true),
	exact("Access-Control-Expose-Headers", true),
	presence("Access-Control-Allow-Methods"),
	presence("Access-Control-Allow-Headers"),
	varyCORS,
	exact("Access-Control-Allow-Methods", false),
	exact("Access-Control-Allow-Headers", false),
}

// assetChecks hold the status, the content and its CORS header to the
// same values, and note differences in how it is labelled and cached.
var assetChecks = []Check{
	status,
	bodyLength,
	exact("Access-Control-Allow-Origin", true),
	presence("ETag"),
	exact("Content-Encoding", false),
	exact("Content-Type", false),
	exact("Cache-Control", false),
	exact("Vary", false),
}
