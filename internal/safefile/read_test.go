package safefile_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"corsedge/internal/safefile"
)

// within runs f and fails the test if it has not returned after d: the
// reads below must never block, however long they are allowed to take.
func within(t *testing.T, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("still blocked after %v", d)
	}
}

func TestReadFileRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		desc    string
		make    func(name string) error
		limit   int64
		want    error  // nil: the read succeeds
		wantMsg string // in the error text, besides the file's name
	}{
		{"a regular file", func(n string) error { return os.WriteFile(n, []byte("version = 1\n"), 0o644) }, 100, nil, ""},
		{"a file of exactly the limit", func(n string) error { return os.WriteFile(n, make([]byte, 100), 0o644) }, 100, nil, ""},
		{"a FIFO (open must not block)", func(n string) error { return syscall.Mkfifo(n, 0o644) }, 100, safefile.ErrNotRegular, "a named pipe (FIFO)"},
		{"a symlink to /dev/zero", func(n string) error { return os.Symlink("/dev/zero", n) }, 100, safefile.ErrNotRegular, "a character device"},
		{"a directory", func(n string) error { return os.Mkdir(n, 0o755) }, 100, safefile.ErrNotRegular, "a directory"},
		{"a file over the limit", func(n string) error { return os.WriteFile(n, make([]byte, 101), 0o644) }, 100, safefile.ErrTooLarge, "101 bytes, over the limit of 100"},
		{"a file whose size lies (procfs says 0)", func(n string) error { return os.Symlink("/proc/self/mountinfo", n) }, 10, safefile.ErrTooLarge, "grew past the limit of 10 bytes"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			name := filepath.Join(dir, strings.NewReplacer(" ", "_", "/", "_").Replace(tc.desc))
			if err := tc.make(name); err != nil {
				t.Fatal(err)
			}
			var err error
			within(t, 2*time.Second, func() { _, err = safefile.ReadFile(name, tc.limit, time.Second) })
			if tc.want == nil {
				if err != nil {
					t.Fatalf("ReadFile: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("ReadFile: %v, want %v naming the file and %q", err, tc.want, tc.wantMsg)
			}
		})
	}
}

// A file that some process holds open for writing is not read until it is
// closed; if it stays open, the read fails after the wait.
func TestReadFileWaitsForWriters(t *testing.T) {
	name := filepath.Join(t.TempDir(), "rules.toml")
	for _, tc := range []struct {
		desc      string
		closeHalf time.Duration // the writer writes half, then closes after this; 0: never
		wait      time.Duration
		want      error
	}{
		{"the writer closes within the wait", 300 * time.Millisecond, 3 * time.Second, nil},
		{"the writer keeps it open", 0, 200 * time.Millisecond, safefile.ErrOpenForWriting},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			w, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			w.WriteString("first half;")
			if tc.closeHalf > 0 {
				go func() {
					time.Sleep(tc.closeHalf)
					w.WriteString("second half")
					w.Close()
				}()
			}
			c, err := safefile.ReadFile(name, 100, tc.wait)
			if c.Unguarded != nil {
				t.Skipf("no read lease here (%v): the wait is not in force", c.Unguarded)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("ReadFile: %v, want %v", err, tc.want)
			}
			if err == nil && string(c.Data) != "first half;second half" {
				t.Errorf("read %q: a file still open for writing was read", c.Data)
			}
		})
	}
}

// A read the filesystem never answers fails after the timeout; until it
// returns, further reads fail at once and start no second stuck read.
func TestReaderBoundsAStalledRead(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	r := safefile.New(safefile.Options{
		Timeout: 100 * time.Millisecond,
		ReadFile: func(name string, limit int64, wait time.Duration) (safefile.Contents, error) {
			if calls.Add(1) == 1 {
				<-release // a stalled NFS read
			}
			return safefile.Contents{Data: []byte("ok")}, nil
		},
	})
	for _, tc := range []struct {
		desc    string
		before  func()
		want    error
		wantMsg string
	}{
		{"the stalled read", func() {}, safefile.ErrTimeout, "no answer from the filesystem after 100ms"},
		{"a read while it is stuck", func() {}, safefile.ErrTimeout, "an earlier read has not returned"},
		{"a read once it returned", func() {
			close(release)
			for range 200 {
				if _, err := r.Read("x"); err == nil {
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
		}, nil, ""},
	} {
		tc.before()
		var err error
		within(t, time.Second, func() { _, err = r.Read("rules.toml") })
		if !errors.Is(err, tc.want) || (err != nil && !strings.Contains(err.Error(), tc.wantMsg)) {
			t.Errorf("%s: %v, want %v with %q", tc.desc, err, tc.want, tc.wantMsg)
		}
	}
	if n := calls.Load(); n < 2 || n > 3 {
		t.Errorf("%d reads reached the filesystem", n)
	}
}

// Seq orders reads, failed ones too, so a caller can drop an older result.
func TestReaderSeq(t *testing.T) {
	name := filepath.Join(t.TempDir(), "rules.toml")
	r := safefile.New(safefile.Options{})
	first, err := r.Read(name)
	if err == nil {
		t.Fatal("read a missing file")
	}
	if err := os.WriteFile(name, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	second, err := r.Read(name)
	if err != nil {
		t.Fatal(err)
	}
	if !(first.Seq > 0 && second.Seq > first.Seq) {
		t.Errorf("Seq %d then %d, want increasing", first.Seq, second.Seq)
	}
}
