package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Defaults for Options' zero values.
const (
	DefaultLimit      = 64 << 20
	DefaultTimeout    = 5 * time.Second
	DefaultWriterWait = 2 * time.Second
)

// The reasons a read is refused, each wrapped in an *fs.PathError that
// names the file.
var (
	ErrNotRegular     = errors.New("not a regular file")
	ErrTooLarge       = errors.New("file too large")
	ErrOpenForWriting = errors.New("still open for writing")
	ErrTimeout        = errors.New("read timed out")
)

// Contents is what one read found.
type Contents struct {
	Data []byte
	// Seq orders the reads of one Reader, failed ones included: of two
	// results, the one with the larger Seq read the file later.
	Seq uint64
	// Unguarded says why no read lease could be taken (writers were not
	// locked out); nil when one was.
	Unguarded error
}

// Options tune a Reader; zero values take the defaults.
type Options struct {
	Limit      int64         // largest file read, in bytes; DefaultLimit when 0
	Timeout    time.Duration // longest a Read waits for the filesystem; DefaultTimeout when 0
	WriterWait time.Duration // longest a Read waits for writers to close the file; DefaultWriterWait when 0
	// ReadFile stands in for the package's ReadFile, for tests that need a
	// filesystem that stalls.
	ReadFile func(name string, limit int64, writerWait time.Duration) (Contents, error)
}

// Reader reads files one at a time with a time bound. A read the
// filesystem never answers leaves one goroutine behind, never more: until
// it returns, every Read fails at once.
type Reader struct {
	opt  Options
	slot chan struct{} // held by the goroutine whose system calls are under way
	seq  atomic.Uint64

	mu     sync.Mutex // guards the fields below; never held across a system call
	holder uint64     // Seq of the read holding slot; 0 when none
	stuck  time.Time  // when that read began, once its caller gave up on it; zero otherwise
}

// New returns a Reader.
func New(opt Options) *Reader {
	if opt.Limit <= 0 {
		opt.Limit = DefaultLimit
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.WriterWait <= 0 {
		opt.WriterWait = DefaultWriterWait
	}
	if opt.ReadFile == nil {
		opt.ReadFile = ReadFile
	}
	return &Reader{opt: opt, slot: make(chan struct{}, 1)}
}

// Read reads name with ReadFile's checks, waiting at most the Reader's
// Timeout in all; the caller need hold no lock while it waits.
func (r *Reader) Read(name string) (Contents, error) {
	r.mu.Lock()
	stuck := r.stuck
	r.mu.Unlock()
	if !stuck.IsZero() {
		return Contents{Seq: r.seq.Add(1)}, timeoutError(name, "an earlier read has not returned for %v", time.Since(stuck).Round(time.Millisecond))
	}
	timer := time.NewTimer(r.opt.Timeout)
	defer timer.Stop()
	select {
	case r.slot <- struct{}{}:
	case <-timer.C:
		return Contents{Seq: r.seq.Add(1)}, timeoutError(name, "an earlier read took over %v", r.opt.Timeout)
	}
	seq := r.seq.Add(1) // in slot order, so in the order the reads happen
	began := time.Now()
	r.mu.Lock()
	r.holder = seq
	r.mu.Unlock()
	type result struct {
		c   Contents
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := r.opt.ReadFile(name, r.opt.Limit, r.opt.WriterWait)
		r.mu.Lock()
		r.holder, r.stuck = 0, time.Time{}
		r.mu.Unlock()
		<-r.slot
		done <- result{c, err}
	}()
	select {
	case res := <-done:
		res.c.Seq = seq
		return res.c, res.err
	case <-timer.C:
		r.mu.Lock()
		if r.holder == seq {
			r.stuck = began
		}
		r.mu.Unlock()
		return Contents{Seq: seq}, timeoutError(name, "no answer from the filesystem after %v", r.opt.Timeout)
	}
}

func timeoutError(name, format string, args ...any) error {
	return &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("%w: "+format, append([]any{ErrTimeout}, args...)...)}
}

// ReadFile reads name whole if it is a regular file of at most limit
// bytes, waiting at most writerWait for any process that holds it open for
// writing to close it. Opening never blocks (a FIFO at the path would
// block open(2) until a writer came).
func ReadFile(name string, limit int64, writerWait time.Duration) (Contents, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return Contents{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Contents{}, err
	}
	if !fi.Mode().IsRegular() {
		return Contents{}, refuse(name, ErrNotRegular, "it is %s", kind(fi.Mode()))
	}
	if fi.Size() > limit {
		return Contents{}, refuse(name, ErrTooLarge, "%d bytes, over the limit of %d", fi.Size(), limit)
	}
	release, unguarded, err := lockOutWriters(f, writerWait)
	if err != nil {
		return Contents{}, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	defer release()
	// Read at most limit+1 bytes, whatever the size said: a file that grows
	// while it is read (or a filesystem that misreports sizes) is caught.
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return Contents{}, err
	}
	if int64(len(data)) > limit {
		return Contents{}, refuse(name, ErrTooLarge, "grew past the limit of %d bytes while read", limit)
	}
	return Contents{Data: data, Unguarded: unguarded}, nil
}

func refuse(name string, reason error, format string, args ...any) error {
	return &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("%w: "+format, append([]any{reason}, args...)...)}
}

// kind names a file type that is not a regular file.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "not a regular file (" + m.Type().String() + ")"
}
