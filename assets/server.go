package assets

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Options configures a Server. The zero value serves the embedded demo set
// with the defaults below.
type Options struct {
	Root            string        // directory to serve; "" serves the embedded demo set
	MaxFileInMemory int64         // files up to this size are held in memory with headers prepared once; default 256 KiB
	MaxMemory       int64         // bound on the in-memory set's total bytes; default 64 MiB (evicting about the least recently used)
	Revalidate      time.Duration // how often a file held in memory is stat'ed for changes; default 500ms
	Logger          *slog.Logger  // where asset problems are logged; slog.Default() when nil
}

const (
	defaultMaxFileInMemory = 256 << 10
	defaultMaxMemory       = 64 << 20
	defaultRevalidate      = 500 * time.Millisecond
	// maxTick bounds the coarse clock's step, which adds to Revalidate in how
	// late a change on disk can be seen: 500ms + 100ms keeps it under 1 s.
	maxTick = 100 * time.Millisecond
)

// Server serves one file tree. It is safe for concurrent use; its
// configuration never changes after New.
type Server struct {
	tree            *tree
	files           []string // the embedded set's files; nil for a disk root
	cache           *cache
	clock           *clock
	maxFileInMemory int64
	revalidate      int64 // nanoseconds
	log             *slog.Logger
	staleLogged     *lru.Cache[staleKey, struct{}] // stale sidecars already logged

	closeOnce sync.Once
	closeErr  error
}

// New checks opts and opens the tree it names. It fails when Root is not a
// readable directory or a limit is negative or inconsistent, naming each problem.
func New(opts Options) (*Server, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cache:           newCache(opts.MaxMemory),
		maxFileInMemory: opts.MaxFileInMemory,
		revalidate:      int64(opts.Revalidate),
		log:             opts.Logger,
		staleLogged:     newStaleLog(),
	}
	if opts.Root == "" {
		s.tree, s.files, err = openDemo()
	} else {
		s.tree, err = openDisk(opts.Root)
	}
	if err != nil {
		return nil, fmt.Errorf("assets: Root %q: %w", opts.Root, err)
	}
	s.clock = startClock(min(maxTick, max(opts.Revalidate/4, time.Millisecond)))
	return s, nil
}

// withDefaults fills in zero fields and reports every bad one at once.
func (o Options) withDefaults() (Options, error) {
	var errs []error
	for _, f := range []struct {
		name     string
		value    any
		negative bool
	}{
		{"MaxFileInMemory", o.MaxFileInMemory, o.MaxFileInMemory < 0},
		{"MaxMemory", o.MaxMemory, o.MaxMemory < 0},
		{"Revalidate", o.Revalidate, o.Revalidate < 0},
	} {
		if f.negative {
			errs = append(errs, fmt.Errorf("assets: %s is %v; want 0 (the default) or more", f.name, f.value))
		}
	}
	if o.MaxFileInMemory == 0 {
		o.MaxFileInMemory = defaultMaxFileInMemory
	}
	if o.MaxMemory == 0 {
		o.MaxMemory = defaultMaxMemory
	}
	if o.Revalidate == 0 {
		o.Revalidate = defaultRevalidate
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxFileInMemory > o.MaxMemory && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("assets: MaxFileInMemory (%d) exceeds MaxMemory (%d)", o.MaxFileInMemory, o.MaxMemory))
	}
	return o, errors.Join(errs...)
}

// Close stops the server's clock and releases the root directory. Call it
// after the last Serve has returned; later calls return the first result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.clock.close()
		s.closeErr = s.tree.close()
	})
	return s.closeErr
}

// Demo reports whether the embedded demo set is served.
func (s *Server) Demo() bool { return s.tree.root == nil }

// Files lists the embedded demo set's files (sidecars left out), sorted, for
// the start-up log line. It is nil for a disk root, which is never walked.
func (s *Server) Files() []string { return slices.Clone(s.files) }
