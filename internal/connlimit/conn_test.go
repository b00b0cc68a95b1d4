package connlimit_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"corsedge/internal/connlimit"
)

// pair returns a served connection accepted through a Listener configured
// by configure, and the client's end.
func pair(t *testing.T, configure func(*connlimit.Listener)) (*connlimit.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := connlimit.New(ln, 0, nil)
	configure(l)
	t.Cleanup(func() { l.Close() })
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	served, ok := c.(*connlimit.Conn)
	if !ok {
		t.Fatalf("Accept handed out a %T, want *connlimit.Conn", c)
	}
	return served, client
}

// A read deadline fires no earlier than the last one asked for and at most
// slack after it: a kept earlier one is made up for, a kept later one lags.
func TestLazyReadDeadline(t *testing.T) {
	const slack = 200 * time.Millisecond
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	for _, tc := range []struct {
		desc     string
		asked    []time.Duration // deadlines asked for in turn, from now
		min, max time.Duration   // when the read must time out
	}{
		{"later than the socket's: kept, the early firing read again", []time.Duration{ms(50), ms(300)}, ms(300), ms(300) + slack},
		{"earlier by less than slack: kept, fires that much late", []time.Duration{ms(300), ms(150)}, ms(290), ms(150) + slack},
		{"earlier by more than slack: moved", []time.Duration{ms(2000), ms(100)}, ms(100), ms(100) + slack},
		{"the fasthttp pattern: idle, then read", []time.Duration{ms(400), ms(100), ms(300)}, ms(300), ms(300) + slack},
	} {
		c, _ := pair(t, func(l *connlimit.Listener) { l.LazyDeadlines(slack) })
		began := time.Now()
		for _, d := range tc.asked {
			if err := c.SetReadDeadline(began.Add(d)); err != nil {
				t.Fatal(err)
			}
		}
		_, err := c.Read(make([]byte, 1))
		took := time.Since(began)
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("%s: Read: %v, want a timeout", tc.desc, err)
		}
		// The upper bound has room for a loaded machine; the lower is exact.
		if took < tc.min || took > tc.max+300*time.Millisecond {
			t.Errorf("%s: timed out after %v, want %v to %v", tc.desc, took, tc.min, tc.max)
		}
	}
}

// A zero deadline clears a kept one; a read then waits for data.
func TestLazyReadDeadlineCleared(t *testing.T) {
	c, client := pair(t, func(l *connlimit.Listener) { l.LazyDeadlines(time.Second) })
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	c.SetReadDeadline(time.Time{})
	go func() {
		time.Sleep(400 * time.Millisecond)
		client.Write([]byte("x"))
	}()
	if n, err := c.Read(make([]byte, 1)); n != 1 || err != nil {
		t.Errorf("Read after clearing the deadline: %d, %v; want the byte sent at 400 ms", n, err)
	}
}

// A write deadline fires within slack of the one asked for: kept when it
// moves by less, moved when by more.
func TestLazyWriteDeadline(t *testing.T) {
	const slack = 500 * time.Millisecond
	for _, tc := range []struct {
		desc     string
		first    time.Duration
		then     time.Duration
		min, max time.Duration
	}{
		{"later by less than slack: kept", 300 * time.Millisecond, 700 * time.Millisecond, 300 * time.Millisecond, 650 * time.Millisecond},
		{"later by more than slack: moved", 300 * time.Millisecond, 1500 * time.Millisecond, 1400 * time.Millisecond, 2000 * time.Millisecond},
	} {
		c, _ := pair(t, func(l *connlimit.Listener) { l.LazyDeadlines(slack) })
		began := time.Now()
		c.SetWriteDeadline(began.Add(tc.first))
		c.SetWriteDeadline(began.Add(tc.then))
		if took := writeUntilTimeout(t, c, began); took < tc.min || took > tc.max {
			t.Errorf("%s: timed out after %v, want %v to %v", tc.desc, took, tc.min, tc.max)
		}
	}
}

// writeUntilTimeout writes to c, whose client never reads, until a write
// times out (the buffers fill and Write blocks), and returns when that
// was from began.
func writeUntilTimeout(t *testing.T, c net.Conn, began time.Time) time.Duration {
	t.Helper()
	chunk := make([]byte, 1<<20)
	var err error
	for err == nil && time.Since(began) < 5*time.Second {
		_, err = c.Write(chunk)
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Write: %v, want a timeout", err)
	}
	return time.Since(began)
}

// writeSyscalls is this process's write system calls so far (write,
// writev, sendfile...: /proc/self/io's syscw).
func writeSyscalls(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Fatalf("no /proc/self/io to count write calls: %v", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "syscw: "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("/proc/self/io has no syscw line")
	return 0
}

// A full buffer's write and the next go out together in one system call,
// in order; a kept write goes out before a Read, a ReadFrom or a Close.
func TestGatheredWrites(t *testing.T) {
	const size = 16
	full := bytes.Repeat([]byte("h"), size)
	gathering := func(l *connlimit.Listener) { l.Gather(size) }

	t.Run("desc=the next write", func(t *testing.T) {
		c, client := pair(t, gathering)
		before := writeSyscalls(t)
		c.Write(full)
		n, err := c.Write([]byte("body"))
		if calls := writeSyscalls(t) - before; calls != 1 || n != 4 || err != nil {
			t.Errorf("two writes: %d system calls, Write = %d, %v; want 1 call, 4, nil", calls, n, err)
		}
		expect(t, client, string(full)+"body")
	})
	t.Run("desc=a write of another size goes out alone", func(t *testing.T) {
		c, client := pair(t, gathering)
		c.Write([]byte("short"))
		expect(t, client, "short")
	})
	t.Run("desc=before a read", func(t *testing.T) {
		c, client := pair(t, gathering)
		c.Write(full)
		go func() { // answers only once it has the kept write
			if _, err := io.ReadFull(client, make([]byte, size)); err == nil {
				client.Write([]byte("?"))
			}
		}()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := c.Read(make([]byte, 1)); n != 1 || err != nil {
			t.Errorf("Read: %d, %v; the kept write was not sent first", n, err)
		}
	})
	t.Run("desc=before a file sent with ReadFrom", func(t *testing.T) {
		c, client := pair(t, gathering)
		name := filepath.Join(t.TempDir(), "f")
		if err := os.WriteFile(name, []byte("from a file"), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		c.Write(full)
		if _, err := c.ReadFrom(f); err != nil {
			t.Fatal(err)
		}
		expect(t, client, string(full)+"from a file")
	})
	t.Run("desc=before close", func(t *testing.T) {
		c, client := pair(t, gathering)
		c.Write(full)
		c.Close()
		client.SetReadDeadline(time.Now().Add(5 * time.Second))
		got, err := io.ReadAll(client)
		if string(got) != string(full) || err != nil {
			t.Errorf("after Close the client read %q, %v; want %q", got, err, full)
		}
	})
}

// expect reads len(want) bytes from c and compares them with want.
func expect(t *testing.T, c net.Conn, want string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != want {
		t.Errorf("client read %q, %v; want %q", got, err, want)
	}
}

// Without LazyDeadlines every deadline goes through: a later one asked
// for replaces an earlier one at once.
func TestDeadlinesWithoutSlack(t *testing.T) {
	c, _ := pair(t, func(*connlimit.Listener) {})
	began := time.Now()
	c.SetReadDeadline(began.Add(50 * time.Millisecond))
	c.SetReadDeadline(began.Add(300 * time.Millisecond))
	c.SetReadDeadline(began.Add(150 * time.Millisecond)) // earlier again: kept with slack, not here
	_, err := c.Read(make([]byte, 1))
	if took := time.Since(began); !errors.Is(err, os.ErrDeadlineExceeded) || took < 150*time.Millisecond || took > 280*time.Millisecond {
		t.Errorf("Read: %v after %v, want a timeout at 150 ms", err, took)
	}
}
