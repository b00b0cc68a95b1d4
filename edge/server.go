package edge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"corsedge/assets"
	"corsedge/internal/accesslog"
	"corsedge/internal/connlimit"
	"corsedge/internal/safefile"
)

// Config is what a Server needs; zero values take the defaults noted.
type Config struct {
	RulesFile string
	Assets    *assets.Server
	CacheSize int           // decision cache entries; DefaultCacheSize when 0
	Poll      time.Duration // checksum poll of the rules file; 30 s when 0, none when negative
	Debounce  time.Duration // quiet time after a file event before reloading; 100 ms when 0
	Logger    *slog.Logger  // slog.Default() when nil

	// MaxRulesSize is the largest rules file read, in bytes;
	// safefile.DefaultLimit (64 MiB) when 0.
	MaxRulesSize int64
	// MaxConnsPerIP bounds the connections one client address may hold;
	// DefaultMaxConnsPerIP when 0, no limit when negative.
	MaxConnsPerIP int
	// AccessLog receives a line per request; nil logs none. The caller
	// opens it, reopens it on SIGUSR1 and closes it after Run.
	AccessLog *accesslog.Log
}

// ShutdownTimeout bounds how long a shutdown waits for in-flight requests.
const ShutdownTimeout = 10 * time.Second

// Server serves assets with CORS headers from the current rule table.
type Server struct {
	cfg      Config
	log      *slog.Logger
	http     *fasthttp.Server
	state    atomic.Pointer[state]
	outcome  atomic.Pointer[reloadOutcome]
	metrics  metrics
	assetLog *rateLog                           // asset I/O errors, a few lines a second
	conns    atomic.Pointer[connlimit.Listener] // the public listener, once Run wraps it

	rulesReader *safefile.Reader // bounds every read of the rules file in size and time
	unguarded   atomic.Bool      // "read without a lease" was logged

	reloadMu sync.Mutex // one reload decides at a time; never held while the file is read
	decided  uint64     // Seq of the last read decided; guarded by reloadMu
}

// New loads the rules file and returns a server ready to Run. An invalid
// rules file is an error here: a server never starts without a good table.
func New(cfg Config) (*Server, error) {
	if cfg.Assets == nil {
		return nil, errors.New("edge: Config.Assets is required")
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
	s := &Server{cfg: cfg, log: cfg.Logger, assetLog: &rateLog{log: cfg.Logger, source: "assets"}}
	s.rulesReader = safefile.New(safefile.Options{Limit: cfg.MaxRulesSize})
	if err := s.load(TriggerStart); err != nil {
		return nil, err
	}
	s.http = &fasthttp.Server{
		Handler:               s.handle,
		ErrorHandler:          s.handleError,
		ConnState:             s.connState,
		Concurrency:           connConcurrency(descriptorLimit()), // below RLIMIT_NOFILE: see connConcurrency
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
		ReadTimeout:           10 * time.Second,
		WriteTimeout:          60 * time.Second, // large files over slow links
		IdleTimeout:           60 * time.Second, // also what lets Shutdown close idle keep-alives
		ReadBufferSize:        8 << 10,          // bounds the request head
		MaxRequestBodySize:    maxRequestBody,
		LazyRequestTime:       true, // nothing reads ctx.Time(): skip a clock read per request
		Logger:                fasthttpLogger{&rateLog{log: cfg.Logger, source: "fasthttp"}},
		SecureErrorLogMessage: true, // errors about bad requests never quote the request buffer
	}
	return s, nil
}

// Run serves public and, when admin is not nil, the admin endpoints on
// admin, and watches the rules file, until ctx is done; then
// it stops accepting, lets in-flight requests finish (at most
// ShutdownTimeout) and returns.
func (s *Server) Run(ctx context.Context, public, admin net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rw := s.newRulesWatch()
	var wg sync.WaitGroup
	wg.Go(func() { rw.Run(ctx, s.rulesChanged) })
	var adminSrv *http.Server
	if admin != nil {
		adminSrv = &http.Server{Handler: s.adminHandler(), ReadHeaderTimeout: 5 * time.Second}
		wg.Go(func() {
			if err := adminSrv.Serve(admin); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("admin listener stopped", "error", err)
			}
		})
	}
	served := make(chan error, 1)
	go func() { served <- s.http.Serve(s.guard(public)) }()
	var err error
	select {
	case err = <-served:
		err = fmt.Errorf("edge: serving stopped: %w", err)
	case <-ctx.Done():
		s.log.Info("shutting down", "timeout", ShutdownTimeout)
		sctx, scancel := context.WithTimeout(context.Background(), ShutdownTimeout)
		defer scancel()
		err = s.http.ShutdownWithContext(sctx)
		<-served
	}
	cancel()
	if adminSrv != nil {
		adminSrv.Close()
	}
	wg.Wait()
	return err
}
