package edge

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"corsedge/acme"
	"corsedge/assets"
	"corsedge/certs"
	"corsedge/internal/accesslog"
	"corsedge/internal/connlimit"
	"corsedge/internal/httpstop"
	"corsedge/internal/ratelog"
	"corsedge/internal/safefile"
	"corsedge/internal/watch"
	"corsedge/rules"
)

// Config is what a Server needs; zero values take the defaults noted.
type Config struct {
	Version   string // the build, shown in /status
	RulesFile string
	Assets    *assets.Server
	CacheSize int           // decision cache entries; DefaultCacheSize when 0
	Poll      time.Duration // checksum poll of the rules file; 30 s when 0, none when negative
	Debounce  time.Duration // quiet time after a file event before reloading; 100 ms when 0
	Logger    *slog.Logger  // slog.Default() when nil

	// MaxRulesSize is the largest rules file read, in bytes;
	// safefile.DefaultLimit (64 MiB) when 0.
	MaxRulesSize int64
	// MaxConnsPerIP bounds the connections one client address may hold
	// (HTTP and HTTPS together); DefaultMaxConnsPerIP when 0, no limit when
	// negative.
	MaxConnsPerIP int
	// Certificates answer HTTPS handshakes; required to serve
	// Listeners.HTTPS. Their files are watched and reloaded with the rules.
	Certificates *certs.Store
	// AccessLog receives a line per request; nil logs none. The caller
	// opens it, reopens it on SIGUSR1 and closes it after Run.
	AccessLog *accesslog.Log

	// ShutdownDelay is how long a shutdown keeps serving after /readyz
	// turns 503, before it stops accepting: the time load balancers take
	// to stop sending (about 5 s behind a Kubernetes Service). 0: none.
	ShutdownDelay time.Duration
	// ReadTimeout bounds reading a request, IdleTimeout the wait for the
	// next one on a keep-alive connection, WriteTimeout writing a
	// response; DefaultReadTimeout, DefaultIdleTimeout and
	// DefaultWriteTimeout when 0.
	ReadTimeout, IdleTimeout, WriteTimeout time.Duration
	// NoDurationHistogram leaves out corsedge_request_duration_seconds and
	// its two clock reads a request (about 1% of a cached preflight's CPU
	// end to end; see bench/, suite ops).
	NoDurationHistogram bool
	// ReloadGuard, when above 0, holds back a reload that would refuse more
	// than this percentage of the recently allowed requests (see guard.go)
	// until POST /reload?force=1; the old table keeps serving.
	ReloadGuard float64
	// ACME, when not nil, answers HTTP-01 on the plain listener and
	// TLS-ALPN-01 on HTTPS (as Certificates' Fallback), and shows in
	// /status and the metrics.
	ACME *acme.Manager
}

// Timeout defaults.
const (
	DefaultReadTimeout  = 10 * time.Second
	DefaultWriteTimeout = 60 * time.Second // large files over slow links
	DefaultIdleTimeout  = 60 * time.Second
)

// Listeners are the sockets a Server serves; HTTP or HTTPS must be set.
type Listeners struct {
	HTTP  net.Listener // plain HTTP; nil for none
	HTTPS net.Listener // TLS with Config.Certificates; nil for none
	Admin net.Listener // the admin endpoints; nil for none
}

// ShutdownTimeout bounds how long a shutdown waits for in-flight requests.
const ShutdownTimeout = 10 * time.Second

// Server serves assets with CORS headers from the current rule table.
type Server struct {
	cfg      Config
	log      *slog.Logger
	http     *fasthttp.Server // plain HTTP
	https    *fasthttp.Server // HTTPS: the same but for its write buffer (tlsWriteBuffer)
	state    atomic.Pointer[state]
	outcome  atomic.Pointer[reloadOutcome]
	metrics  metrics
	tls      *tls.Config                        // of every HTTPS connection; nil without Config.Certificates
	assetLog *ratelog.Logger                    // asset I/O errors, a few lines a second
	conns    atomic.Pointer[connlimit.Listener] // the public listener, once Run wraps it
	timed    bool                               // handle reads the clock: the histogram or the access log is on

	rulesReader *safefile.Reader                // bounds every read of the rules file in size and time
	unguarded   atomic.Bool                     // "read without a lease" was logged
	draining    atomic.Bool                     // set once shutdown begins: /readyz says 503, responses close their connection
	started     time.Time                       // when New was called, for /status
	handedOver  atomic.Bool                     // a new process serves the same sockets: drain without ShutdownDelay
	admin       atomic.Pointer[httpstop.Server] // Listeners.Admin's, while Serve serves it

	traffic     trafficRecord // recent (Origin, prefix) pairs, for the preview and the guard
	reloadGuard reloadGuard

	loader   *rules.Loader                 // the rules file and its includes, parsed files kept by SHA-256
	watcher  atomic.Pointer[watch.Watcher] // once Serve runs: told the include directories after each load
	reloadMu sync.Mutex                    // one reload decides at a time; never held while the file is read
	decided  uint64                        // Seq of the last read decided; guarded by reloadMu
}

// New loads the rules file and returns a server ready to Run. An invalid
// rules file is an error here: a server never starts without a good table.
func New(cfg Config) (*Server, error) {
	if cfg.Assets == nil {
		return nil, errors.New("edge: Config.Assets is required")
	}
	if cfg.ACME != nil && cfg.Certificates == nil {
		return nil, errors.New("edge: Config.ACME needs Config.Certificates (with the ACME manager as its Fallback)")
	}
	if cfg.Poll == 0 {
		cfg.Poll = 30 * time.Second
	}
	if cfg.Debounce == 0 {
		cfg.Debounce = 100 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	for _, t := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&cfg.ReadTimeout, DefaultReadTimeout}, {&cfg.WriteTimeout, DefaultWriteTimeout}, {&cfg.IdleTimeout, DefaultIdleTimeout}} {
		if *t.v == 0 {
			*t.v = t.def
		}
	}
	s := &Server{cfg: cfg, log: cfg.Logger, assetLog: ratelog.New(cfg.Logger, "assets"),
		timed: !cfg.NoDurationHistogram || cfg.AccessLog != nil, started: time.Now()}
	s.rulesReader = safefile.New(safefile.Options{Limit: cfg.MaxRulesSize})
	s.loader = rules.NewLoader(s.readIncluded)
	s.traffic.bound = cmp.Or(max(cfg.CacheSize, 0), DefaultCacheSize) // the cache's own bound
	s.metrics.init(s)
	if err := s.load(TriggerStart); err != nil {
		return nil, err
	}
	if cfg.Certificates != nil {
		s.tls = s.tlsConfig()
		s.logCertificates()
	}
	s.http = s.newFastHTTP(plainWriteBuffer)
	s.https = s.newFastHTTP(tlsWriteBuffer)
	return s, nil
}

// plainWriteBuffer is the plain HTTP server's write buffer, fasthttp's
// default. A response bigger than it goes out in one writev from where it
// lies: fasthttp does that on a bare *net.TCPConn, and connlimit.Conn
// gathers the buffer's flush with the rest for the same writev. A larger
// buffer only adds a copy (woff2 over HTTP: 1.11 -> 1.28 x nginx's with
// 24 KiB).
const plainWriteBuffer = 4 << 10

// tlsWriteBuffer is the HTTPS server's write buffer. A TLS connection gets
// no writev: with fasthttp's 4 KiB default a 20 KiB font went out as three
// writes and TLS records (4 KiB, 16 KiB, the rest), where nginx makes two;
// 24 KiB holds the head and such a body (bench, tls-woff2: CPU/request 1.11
// -> 0.95 x nginx's).
const tlsWriteBuffer = 24 << 10

// newFastHTTP is one public fasthttp server. HTTP and HTTPS each get one,
// the same in all but that buffer and Concurrency (see publicListeners).
func (s *Server) newFastHTTP(writeBuffer int) *fasthttp.Server {
	cfg := s.cfg
	return &fasthttp.Server{
		Handler:               s.handle,
		ErrorHandler:          s.handleError,
		ConnState:             s.connState,
		Concurrency:           connConcurrency(descriptorLimit()), // below RLIMIT_NOFILE: see connConcurrency
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
		ReadTimeout:           cfg.ReadTimeout, // left to the connections on a TCP listener: see timeByConns
		WriteTimeout:          cfg.WriteTimeout,
		IdleTimeout:           cfg.IdleTimeout,
		CloseOnShutdown:       true,    // responses in flight at shutdown say Connection: close
		ReadBufferSize:        8 << 10, // bounds the request head
		WriteBufferSize:       writeBuffer,
		MaxRequestBodySize:    maxRequestBody,
		LazyRequestTime:       true, // nothing reads ctx.Time(): skip a clock read per request
		Logger:                fasthttpLogger{ratelog.New(cfg.Logger, "fasthttp")},
		SecureErrorLogMessage: true, // errors about bad requests never quote the request buffer
	}
}

// servers are the fasthttp servers in use, for counts and shutdown.
func (s *Server) servers() []*fasthttp.Server { return []*fasthttp.Server{s.http, s.https} }

// openConnections and rejectedConnections add up both servers' counts.
func (s *Server) openConnections() (n int) {
	for _, srv := range s.servers() {
		n += int(max(srv.GetOpenConnectionsCount(), 0))
	}
	return n
}

func (s *Server) rejectedConnections() (n uint64) {
	for _, srv := range s.servers() {
		n += uint64(srv.GetRejectedConnectionsCount())
	}
	return n
}

// shutdown stops both servers: they stop accepting and finish what is in
// flight, within ctx. It closes the listeners itself first: a Serve
// goroutine that has not registered its listener with fasthttp yet (a
// SIGTERM during start-up) would otherwise be missed by ShutdownWithContext
// and serve on forever. Running past ctx is logged, not an error: the bound
// is the promise.
func (s *Server) shutdown(ctx context.Context, public []public) error {
	for _, p := range public {
		p.ln.Close()
	}
	errs := make(chan error, 2)
	for _, srv := range s.servers() {
		go func() { errs <- srv.ShutdownWithContext(ctx) }()
	}
	var err error
	for range 2 {
		switch e := <-errs; {
		case e == nil, errors.Is(e, net.ErrClosed): // closed above
		case errors.Is(e, context.DeadlineExceeded):
			s.log.Warn("requests still in flight at the shutdown bound were cut off", "timeout", ShutdownTimeout)
		default:
			err = errors.Join(err, e)
		}
	}
	return err
}

// Run serves public (plain HTTP) and, when admin is not nil, the admin
// endpoints: Serve with those two listeners.
func (s *Server) Run(ctx context.Context, public, admin net.Listener) error {
	return s.Serve(ctx, Listeners{HTTP: public, Admin: admin})
}

// Serve serves the listeners and watches the rules and certificate files,
// until ctx is done; then it drains (see drain), stops accepting, lets
// in-flight requests finish (at most ShutdownTimeout) and returns. One
// handler answers HTTP and HTTPS alike, on two fasthttp servers that differ
// only in their write buffer.
func (s *Server) Serve(ctx context.Context, l Listeners) error {
	public, err := s.publicListeners(l)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rw := s.newRulesWatch()
	var wg sync.WaitGroup
	wg.Go(func() { rw.Run(ctx, s.filesChanged) })
	var admin *httpstop.Server
	if l.Admin != nil {
		admin = httpstop.New(&http.Server{Handler: s.adminHandler(), ReadHeaderTimeout: 5 * time.Second}, l.Admin)
		s.admin.Store(admin)
		wg.Go(func() {
			if err := admin.Serve(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("admin listener stopped", "error", err)
			}
		})
	}
	served := make(chan error, len(public))
	for _, p := range public {
		go func() { served <- p.srv.Serve(p.ln) }()
	}
	waiting := len(public)
	select {
	case err = <-served: // connlimit retries what clients and the descriptor limit cause: this is for good
		waiting--
		if err == nil {
			err = errors.New("a listener closed")
		}
		err = fmt.Errorf("edge: serving stopped: %w", err)
	case <-ctx.Done():
		s.drain()
	}
	s.log.Info("shutting down", "timeout", ShutdownTimeout)
	sctx, scancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer scancel()
	if serr := s.shutdown(sctx, public); err == nil {
		err = serr
	}
	for range waiting {
		<-served
	}
	cancel()
	if admin != nil {
		admin.Stop(time.Second)
	}
	wg.Wait()
	return err
}

// public is a listener and the fasthttp server that serves it.
type public struct {
	ln  net.Listener
	srv *fasthttp.Server
}

// publicListeners guards the public listeners (one per-address limit for
// both) and puts TLS on the HTTPS one. Each fasthttp server bounds its own
// connections by Concurrency: with two, each gets half the descriptors.
func (s *Server) publicListeners(l Listeners) ([]public, error) {
	var raw []net.Listener
	for _, ln := range []net.Listener{l.HTTP, l.HTTPS} {
		if ln != nil {
			raw = append(raw, ln)
		}
	}
	switch {
	case len(raw) == 0:
		return nil, errors.New("edge: no public listener: HTTP, HTTPS or both")
	case l.HTTPS != nil && s.tls == nil:
		return nil, errors.New("edge: an HTTPS listener needs Config.Certificates")
	}
	share := max(connConcurrency(descriptorLimit())/len(raw), 1)
	s.http.Concurrency, s.https.Concurrency = share, share
	timeByConns(s.http, l.HTTP)
	timeByConns(s.https, l.HTTPS)
	guarded := s.guard(raw, l.HTTPS != nil)
	out := []public{{guarded[0], s.http}}
	if l.HTTPS != nil {
		last := len(guarded) - 1
		tls := public{&tlsListener{Listener: guarded[last], config: s.tls, counts: &s.metrics.handshakes}, s.https}
		if last == 0 {
			out[0] = tls
		} else {
			out = append(out, tls)
		}
	}
	return out, nil
}

// HandOver says a new process now accepts on the same sockets (a binary
// upgrade): the drain that follows skips ShutdownDelay, since no load
// balancer needs to notice anything, and the admin listener stops
// accepting at once, so that the new process's /readyz and /status alone
// answer on the shared socket (this one's /readyz says 503 while it drains).
func (s *Server) HandOver() {
	if s.handedOver.Swap(true) {
		return
	}
	if a := s.admin.Load(); a != nil {
		a.StopAccepting()
	}
}

// drain takes the server out of rotation before it stops: /readyz answers
// 503 and every response closes its connection at once, and for
// ShutdownDelay the server keeps accepting and serving while load
// balancers notice. Clients that kept a connection then come back on a new
// one, which the balancer sends elsewhere.
func (s *Server) drain() {
	s.draining.Store(true)
	if s.cfg.ShutdownDelay <= 0 || s.handedOver.Load() {
		return
	}
	s.log.Info("draining: /readyz answers 503, still serving", "shutdown_delay", s.cfg.ShutdownDelay)
	time.Sleep(s.cfg.ShutdownDelay)
}
