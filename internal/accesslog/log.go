package accesslog

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Options.
const (
	DefaultLines      = 4096                   // lines buffered before new ones are dropped
	DefaultFlushEvery = 100 * time.Millisecond // most time a line waits in the writer's buffer
	DefaultWriteSize  = 64 << 10               // bytes of lines written at once
)

// drainEvery is how often the writer takes the queued lines. It does not
// wait on the queue itself: a writer parked on a channel is woken for every
// line, and the wake-ups (futex calls, a P started) cost more than
// formatting the line. Record nudges it early when the queue is half full.
const drainEvery = 10 * time.Millisecond

// lineCap is the capacity each buffer is made with: a JSON line with a
// browser's User-Agent fits, so a warm log allocates nothing per line.
const lineCap = 512

// Options shape a Log.
type Options struct {
	Format Format
	// Sample is the fraction of requests logged, 0..1. Record is always
	// called for the requests that must be logged; Sampled picks the rest.
	Sample     float64
	Lines      int           // DefaultLines when 0
	FlushEvery time.Duration // DefaultFlushEvery when 0
	Logger     *slog.Logger  // for write and reopen errors; slog.Default() when nil
	// WriteSize is the most bytes one write takes, DefaultWriteSize when
	// 0; a line longer than that goes out alone. Every write ends at a
	// line's end, so processes appending to one file (-workers) never cut
	// each other's lines. Writers sharing a pipe want PIPE_BUF (4096), the
	// most a pipe keeps whole.
	WriteSize int
}

// Log is an access log: Record formats a line on the caller's goroutine into
// a buffer of its own and queues it; one writer goroutine writes the queue
// out. A Log's methods are safe for concurrent use, and Dropped is safe on a
// nil *Log.
type Log struct {
	format    Format
	every     time.Duration // flush interval
	all       bool          // Sample is 1: no random draw at all
	threshold uint64        // a request is sampled when a uniform uint64 is below this
	path      string        // "" when the Log writes to a writer it cannot reopen
	log       *slog.Logger

	// free and queue together hold the Lines buffers of the log, so a
	// send on queue never blocks: a line without a free buffer is dropped.
	free    chan []byte
	queue   chan []byte
	wake    chan struct{} // cap 1: the queue is half full, drain now
	dropped atomic.Uint64

	reopen    chan reopenRequest
	quit      chan struct{}
	done      chan struct{} // closed when the writer has flushed and stopped
	closeOnce sync.Once

	// Owned by the writer goroutine.
	out     io.Writer
	file    *os.File // nil when out is not ours to close
	buf     *bufio.Writer
	failing bool // the last write failed; logged once until one succeeds
}

type reopenRequest struct {
	file *os.File
	done chan struct{}
}

// Open returns a Log appending to the file at path, created if missing.
func Open(path string, o Options) (*Log, error) {
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	l, err := newLog(f, o)
	if err != nil {
		f.Close()
		return nil, err
	}
	l.path, l.file = path, f
	go l.run()
	return l, nil
}

// New returns a Log writing to w (standard output, a test's writer), which
// it never closes and Reopen leaves alone.
func New(w io.Writer, o Options) (*Log, error) {
	l, err := newLog(w, o)
	if err != nil {
		return nil, err
	}
	go l.run()
	return l, nil
}

func newLog(w io.Writer, o Options) (*Log, error) {
	if !(o.Sample >= 0 && o.Sample <= 1) { // NaN fails both
		return nil, fmt.Errorf("access log sample %v: want a fraction from 0 to 1", o.Sample)
	}
	if o.Format != JSON && o.Format != Combined {
		return nil, fmt.Errorf("access log: unknown format %d", o.Format)
	}
	if o.Lines <= 0 {
		o.Lines = DefaultLines
	}
	if o.FlushEvery <= 0 {
		o.FlushEvery = DefaultFlushEvery
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.WriteSize <= 0 {
		o.WriteSize = DefaultWriteSize
	}
	l := &Log{
		format:    o.Format,
		every:     o.FlushEvery,
		all:       o.Sample == 1,
		threshold: uint64(o.Sample * math.Exp2(64)), // below 2^64 since Sample < 1 here
		log:       o.Logger,
		free:      make(chan []byte, o.Lines),
		queue:     make(chan []byte, o.Lines),
		wake:      make(chan struct{}, 1),
		reopen:    make(chan reopenRequest),
		quit:      make(chan struct{}),
		done:      make(chan struct{}),
		out:       w,
		buf:       bufio.NewWriterSize(w, o.WriteSize),
	}
	if l.all {
		l.threshold = 0
	}
	for range o.Lines {
		l.free <- make([]byte, 0, lineCap)
	}
	return l, nil
}

func openFile(path string) (*os.File, error) {
	// 0640: client addresses are personal data; the group is for log readers.
	return os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
}

// Sampled draws whether a request that need not be logged is: true with the
// probability Options.Sample. It takes no lock (math/rand/v2's global
// source is per thread in the runtime).
func (l *Log) Sampled() bool {
	return l.all || rand.Uint64() < l.threshold
}

// Record formats e as a line and queues it for the writer, or drops and
// counts it when the queue is full. It never waits and, once the log's
// buffers have grown to the lines written, allocates nothing.
func (l *Log) Record(e *Entry) {
	var b []byte
	select {
	case b = <-l.free:
	default:
		l.dropped.Add(1)
		return
	}
	l.queue <- appendLine(b[:0], l.format, e)
	if len(l.queue) >= cap(l.queue)/2 {
		select {
		case l.wake <- struct{}{}:
		default: // a nudge is pending already
		}
	}
}

// Dropped returns how many lines were dropped because the queue was full
// (corsedge_access_log_dropped_total); 0 for a nil Log.
func (l *Log) Dropped() uint64 {
	if l == nil {
		return 0
	}
	return l.dropped.Load()
}

// Reopen opens the log's path anew and writes the lines queued after the
// old file has taken every line queued before, as nginx does on SIGUSR1
// after logrotate renamed the file. A Log from New has no path: nil.
func (l *Log) Reopen() error {
	if l.path == "" {
		return nil
	}
	f, err := openFile(l.path)
	if err != nil {
		return fmt.Errorf("access log: reopen: %w", err)
	}
	req := reopenRequest{file: f, done: make(chan struct{})}
	select {
	case l.reopen <- req:
		<-req.done
		return nil
	case <-l.done:
		f.Close()
		return errors.New("access log: reopen after Close")
	}
}

// Close writes out every queued line and closes the file. Lines recorded
// after Close are dropped.
func (l *Log) Close() error {
	l.closeOnce.Do(func() { close(l.quit) })
	<-l.done
	return nil
}

// run is the writer goroutine: the only one that touches out and buf.
func (l *Log) run() {
	defer close(l.done)
	tick := time.NewTicker(min(drainEvery, l.every))
	defer tick.Stop()
	lastFlush := time.Now()
	for {
		select {
		case <-l.wake:
			l.drain()
		case now := <-tick.C:
			l.drain()
			if now.Sub(lastFlush) >= l.every {
				l.flush()
				lastFlush = now
			}
		case req := <-l.reopen:
			l.drain()
			l.flush()
			l.closeFile()
			l.out, l.file = req.file, req.file
			l.buf.Reset(req.file)
			close(req.done)
		case <-l.quit:
			l.drain()
			l.flush()
			l.closeFile()
			return
		}
	}
}

// drain writes every line already queued.
func (l *Log) drain() {
	for {
		select {
		case b := <-l.queue:
			l.write(b)
		default:
			return
		}
	}
}

func (l *Log) write(b []byte) {
	if len(b) > l.buf.Available() {
		// Written out before the buffer is full, not cut where it
		// fills: a line longer than the buffer then goes out alone, in
		// one write.
		l.flush()
	}
	_, err := l.buf.Write(b)
	l.note(err)
	if cap(b) > 8*lineCap { // a line with huge fields: do not keep its buffer
		b = make([]byte, 0, lineCap)
	}
	l.free <- b[:0]
}

func (l *Log) flush() {
	if l.buf.Buffered() > 0 {
		l.note(l.buf.Flush())
	}
}

// note logs the first of a run of write errors. A bufio.Writer keeps
// failing after one error: Reset lets the next write try again.
func (l *Log) note(err error) {
	switch {
	case err == nil:
		l.failing = false
	case !l.failing:
		l.failing = true
		l.log.Error("access log write failed; lines are lost until a write succeeds", "file", l.path, "error", err)
		fallthrough
	default:
		l.buf.Reset(l.out)
	}
}

func (l *Log) closeFile() {
	if l.file != nil {
		if err := l.file.Close(); err != nil {
			l.log.Error("access log close failed", "file", l.path, "error", err)
		}
	}
}
