package accesslog_test

import (
	"bytes"
	"cmp"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"corsedge/internal/accesslog"
	"corsedge/internal/accesslog/logtest"
)

var entry = accesslog.Entry{Time: at, Method: []byte("GET"), Path: []byte("/js/app.js"), Proto: []byte("HTTP/1.1"),
	Status: 200, Bytes: 20, Origin: []byte("https://a.example"), Decision: "allowed", RuleName: "partner app", RuleNumber: 1,
	UserAgent: []byte("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")}

// With the writer stuck, Record neither blocks nor queues without bound: the
// lines past the buffer are dropped and counted.
func TestStalledWriterDrops(t *testing.T) {
	w := logtest.NewStalledWriter()
	const lines = 8
	l, err := accesslog.New(w, accesslog.Options{Sample: 1, Lines: lines, FlushEvery: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	l.Record(&entry)
	<-w.Entered // the writer is now inside Write, for good
	const n = 10_000
	for range n {
		l.Record(&entry) // would hang here if Record waited for the writer
	}
	// The writer holds no buffer while stuck in a flush, so at most lines are queued.
	if got := l.Dropped(); got < n-lines {
		t.Errorf("Dropped() = %d after %d lines into a buffer of %d, want at least %d", got, n, lines, n-lines)
	}
	w.Release()
	l.Close()
}

// Reopen after logrotate's rename: the lines recorded before it all go to
// the renamed file, those after it to a new file at the path.
func TestReopenAfterRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	l, err := accesslog.Open(path, accesslog.Options{Format: accesslog.Combined, Sample: 1})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		l.Record(&entry)
	}
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	l.Record(&entry)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		desc, name string
		want       int
	}{{"the renamed file", path + ".1", 3}, {"the new file", path, 1}} {
		b, err := os.ReadFile(f.name)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := logtest.Lines(string(b))
		if err != nil || len(lines) != f.want {
			t.Errorf("%s has %d lines (%v), want %d:\n%s", f.desc, len(lines), err, f.want, b)
		}
		if fi, _ := os.Stat(f.name); fi.Mode().Perm() != 0o640 {
			t.Errorf("%s: mode %v, want 0640", f.desc, fi.Mode())
		}
	}
}

// Lines reach the file within the flush interval, without Close.
func TestFlushesWithoutClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	l, err := accesslog.Open(path, accesslog.Options{Sample: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Record(&entry)
	deadline := time.Now().Add(5 * time.Second)
	for b, _ := os.ReadFile(path); !strings.HasSuffix(string(b), "\n"); b, _ = os.ReadFile(path) {
		if time.Now().After(deadline) {
			t.Fatal("line not written within 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSampled(t *testing.T) {
	for _, tc := range []struct {
		desc     string
		rate     float64
		min, max int // of 10,000 draws
	}{
		{"none", 0, 0, 0},
		{"all", 1, 10000, 10000},
		{"one in a hundred", 0.01, 20, 300}, // mean 100, σ ≈ 10
	} {
		l, err := accesslog.New(&strings.Builder{}, accesslog.Options{Sample: tc.rate, Lines: 1})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for range 10000 {
			if l.Sampled() {
				n++
			}
		}
		if n < tc.min || n > tc.max {
			t.Errorf("%s: %d of 10000 sampled, want %d..%d", tc.desc, n, tc.min, tc.max)
		}
		l.Close()
	}
}

func TestOptionsRefused(t *testing.T) {
	for _, tc := range []struct {
		desc string
		o    accesslog.Options
	}{
		{"rate above 1", accesslog.Options{Sample: 1.5}},
		{"negative rate", accesslog.Options{Sample: -0.1}},
		{"unknown format", accesslog.Options{Format: 7}},
	} {
		if _, err := accesslog.New(&strings.Builder{}, tc.o); err == nil {
			t.Errorf("%s: no error", tc.desc)
		}
	}
	if _, err := accesslog.ParseFormat("clf"); err == nil {
		t.Error(`ParseFormat("clf"): no error`)
	}
}

// Record allocates nothing once the log is warm, in either format.
func TestRecordAllocatesNothing(t *testing.T) {
	for _, f := range []accesslog.Format{accesslog.JSON, accesslog.Combined} {
		l, err := accesslog.Open(filepath.Join(t.TempDir(), "access.log"), accesslog.Options{Format: f, Sample: 1})
		if err != nil {
			t.Fatal(err)
		}
		if allocs := testing.AllocsPerRun(1000, func() { l.Record(&entry) }); allocs != 0 {
			t.Errorf("format %d: %v allocations per line, want 0", f, allocs)
		}
		l.Close()
	}
}

func BenchmarkRecord(b *testing.B) {
	for _, f := range []struct {
		name   string
		format accesslog.Format
	}{{"format=json", accesslog.JSON}, {"format=combined", accesslog.Combined}} {
		b.Run(f.name, func(b *testing.B) {
			l, err := accesslog.Open(filepath.Join(b.TempDir(), "access.log"), accesslog.Options{Format: f.format, Sample: 1})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				l.Record(&entry)
			}
			b.ReportMetric(float64(l.Dropped())/float64(b.N), "dropped/op")
			l.Close()
		})
	}
}

// writes records each Write's bytes, as the kernel gets them.
type writes struct {
	mu sync.Mutex
	w  [][]byte
}

func (w *writes) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.w = append(w.w, append([]byte(nil), p...))
	return len(p), nil
}

// Every write ends at a line's end and holds at most WriteSize bytes
// (a longer line alone), so that workers appending to one file or pipe
// never cut each other's lines: more lines than the buffer holds, with
// a long one among them.
func TestWritesEndAtLineEnds(t *testing.T) {
	long := entry
	long.UserAgent = []byte(strings.Repeat("x", 1000))
	for _, tc := range []struct {
		desc string
		size int
	}{{"the default write size", 0}, {"PIPE_BUF", 4096}, {"a write size below a line", 100}} {
		w := &writes{}
		l, err := accesslog.New(w, accesslog.Options{Sample: 1, WriteSize: tc.size})
		if err != nil {
			t.Fatal(err)
		}
		const n = 3000
		for i := range n {
			e := &entry
			if i%7 == 0 {
				e = &long
			}
			l.Record(e)
			if i%1000 == 999 {
				time.Sleep(30 * time.Millisecond) // let the writer take them: none dropped
			}
		}
		l.Close()
		limit := cmp.Or(tc.size, accesslog.DefaultWriteSize)
		var all []byte
		for _, b := range w.w {
			lines := bytes.Count(b, []byte("\n"))
			if !bytes.HasSuffix(b, []byte("\n")) || (len(b) > limit && lines > 1) {
				t.Errorf("%s: a write of %d bytes, %d lines, ending %q", tc.desc, len(b), lines, b[max(len(b)-20, 0):])
			}
			all = append(all, b...)
		}
		if lines, err := logtest.Lines(string(all)); err != nil || len(lines) != n || l.Dropped() != 0 {
			t.Errorf("%s: %d lines in %d writes (%v), %d dropped; want %d", tc.desc, len(lines), len(w.w), err, l.Dropped(), n)
		}
	}
}
