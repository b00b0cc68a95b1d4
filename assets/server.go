package assets

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Options configures a Server. The zero value serves the embedded demo set
// with the defaults below.
type Options struct {
	Root            string // directory to serve; "" serves the embedded demo set
	MaxFileInMemory int64  // files up to this size are held in memory with headers prepared once; default 256 KiB
	MaxMemory       int64  // bound on the in-memory set's total bytes, sidecars and generated br/gzip included; default 64 MiB (evicting about the least recently used)
	// Revalidate is how often a file held in memory is stat'ed for changes
	// when no directory watch reports them; default 500ms. On Linux the
	// directories of the files held are watched (inotify): a change is seen
	// by the first request after the kernel reports it, and a file is
	// stat'ed only every RevalidateWatched (default 10s), for the changes
	// no event reports (a write through mmap, or through a hard link in a
	// directory not watched). A file on NFS, SMB, FUSE, 9p or another
	// filesystem where inotify is silent, or beyond the watch limit
	// (fs.inotify.max_user_watches), is stat'ed every Revalidate. NoWatch
	// turns the watches off.
	Revalidate        time.Duration
	RevalidateWatched time.Duration
	NoWatch           bool
	RootCheck         time.Duration // how often Root is stat'ed for a switch to another directory; default 1s
	Logger            *slog.Logger  // where asset problems are logged; slog.Default() when nil
}

// The defaults of Options.MaxFileInMemory and Options.MaxMemory.
const (
	DefaultMaxFileInMemory = 256 << 10
	DefaultMaxMemory       = 64 << 20
)

const (
	defaultRevalidate        = 500 * time.Millisecond
	defaultRevalidateWatched = 10 * time.Second
	defaultRootCheck         = time.Second
	// maxTick bounds the coarse clock's step, which adds to Revalidate in how
	// late a change on disk can be seen: 500ms + 100ms keeps it under 1 s.
	maxTick = 100 * time.Millisecond
)

// Server serves one file tree: the embedded set, or the directory Root
// names, followed when Root comes to name another one. It is safe for
// concurrent use; its configuration never changes after New.
type Server struct {
	cur             atomic.Pointer[release] // the release served; read once per request
	rootPath        string                  // Options.Root; "" for the embedded set
	files           []string                // the embedded set's files; nil for a disk root
	clock           *clock
	log             *slog.Logger
	maxFileInMemory int64
	maxMemory       int64
	revalidate      int64                          // nanoseconds
	revalidateWatch int64                          // nanoseconds: RevalidateWatched
	watch           bool                           // watch the directories of the files held
	staleLogged     *lru.Cache[staleKey, struct{}] // stale sidecars already logged
	loaded          atomic.Uint64                  // files read into memory since start
	rechecks        atomic.Uint64                  // entries stat'ed for changes since start
	compression     *budget                        // bytes loads may compress (see compressRate)
	hits, misses    atomic.Uint64                  // requests answered from memory or not (Stats)

	switchMu sync.Mutex // guards the fields below and serialises switches
	retired  []retiring // releases switched away from, not yet closed
	rootLost bool       // the root path did not resolve at the last check (logged once)
	failed   struct {   // the last directory that could not be opened (logged once)
		id  dirID
		err error
	}

	watchStop, watchDone chan struct{} // nil for the embedded set
	closeOnce            sync.Once
	closeErr             error
}

// New checks opts and opens the tree it names. It fails when Root is not a
// readable directory or a limit is negative or inconsistent, naming each problem.
func New(opts Options) (*Server, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{
		rootPath:        opts.Root,
		log:             opts.Logger,
		maxFileInMemory: opts.MaxFileInMemory,
		maxMemory:       opts.MaxMemory,
		revalidate:      int64(opts.Revalidate),
		revalidateWatch: int64(opts.RevalidateWatched),
		watch:           !opts.NoWatch,
		staleLogged:     newStaleLog(),
		compression:     newBudget(compressRate, compressBurst),
	}
	var r *release
	if opts.Root == "" {
		var t *tree
		t, s.files, err = openDemo()
		r = &release{tree: t, cache: newCache(opts.MaxMemory), resolved: "(embedded)"}
	} else {
		r, err = s.openRelease()
	}
	if err != nil {
		return nil, fmt.Errorf("assets: Root %q: %w", opts.Root, err)
	}
	s.cur.Store(r)
	s.clock = startClock(min(maxTick, max(opts.Revalidate/4, time.Millisecond)))
	if opts.Root != "" {
		s.watchStop, s.watchDone = make(chan struct{}), make(chan struct{})
		go s.watchRoot(opts.RootCheck)
	}
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
		{"RevalidateWatched", o.RevalidateWatched, o.RevalidateWatched < 0},
		{"RootCheck", o.RootCheck, o.RootCheck < 0},
	} {
		if f.negative {
			errs = append(errs, fmt.Errorf("assets: %s is %v; want 0 (the default) or more", f.name, f.value))
		}
	}
	if o.MaxFileInMemory == 0 {
		o.MaxFileInMemory = DefaultMaxFileInMemory
	}
	if o.MaxMemory == 0 {
		o.MaxMemory = DefaultMaxMemory
	}
	if o.Revalidate == 0 {
		o.Revalidate = defaultRevalidate
	}
	if o.RevalidateWatched == 0 {
		o.RevalidateWatched = defaultRevalidateWatched
	}
	if o.RootCheck == 0 {
		o.RootCheck = defaultRootCheck
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxFileInMemory > o.MaxMemory && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("assets: MaxFileInMemory (%d) exceeds MaxMemory (%d)", o.MaxFileInMemory, o.MaxMemory))
	}
	return o, errors.Join(errs...)
}

// Close stops the server's clock and root check and releases the root
// directories. Call it after the last Serve has returned; later calls return
// the first result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		if s.watchStop != nil {
			close(s.watchStop)
			<-s.watchDone
		}
		s.clock.close()
		s.switchMu.Lock()
		defer s.switchMu.Unlock()
		errs := []error{s.cur.Load().tree.close()}
		for _, old := range s.retired {
			errs = append(errs, old.r.tree.close())
		}
		s.retired = nil
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// Demo reports whether the embedded demo set is served.
func (s *Server) Demo() bool { return s.rootPath == "" }

// Files lists the embedded demo set's files (sidecars left out), sorted, for
// the start-up log line. It is nil for a disk root, which is never walked.
func (s *Server) Files() []string { return slices.Clone(s.files) }
