package connlimit_test

import (
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"corsedge/internal/connlimit"
)

// failing is a listener whose Accept fails with errs in turn, then hands out
// conn (or fails with the last error for ever when conn is nil).
type failing struct {
	net.Listener
	errs []error
	conn net.Conn
}

func (f *failing) Accept() (net.Conn, error) {
	if len(f.errs) > 1 || len(f.errs) == 1 && f.conn != nil {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return nil, err
	}
	if f.conn != nil {
		return f.conn, nil
	}
	return nil, f.errs[0]
}

func (f *failing) Close() error { return nil }

func acceptErr(errno syscall.Errno) error {
	return &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept", errno)}
}

func TestAcceptRetriesShortages(t *testing.T) {
	for _, tc := range []struct {
		desc        string
		errs        []error
		wantRetried uint64
		wantErr     bool
	}{
		{"descriptors run out, then come back", []error{acceptErr(syscall.EMFILE), acceptErr(syscall.EMFILE), acceptErr(syscall.ENFILE)}, 3, false},
		{"buffers and a reset client", []error{acceptErr(syscall.ENOBUFS), acceptErr(syscall.ECONNRESET)}, 2, false},
		{"a closed listener ends Accept", []error{net.ErrClosed}, 0, true},
		{"an unknown error ends Accept", []error{acceptErr(syscall.EBADF)}, 0, true},
	} {
		c1, c2 := net.Pipe()
		var heard int
		l := connlimit.New(&failing{errs: tc.errs, conn: c1}, 4, func(error) { heard++ })
		c, err := l.Accept()
		if tc.wantErr != (err != nil) || !tc.wantErr && c != c1 {
			t.Errorf("%s: Accept = %v, %v", tc.desc, c, err)
		}
		if got := l.Retried(); got != tc.wantRetried || heard != int(tc.wantRetried) {
			t.Errorf("%s: %d retried, %d heard of, want %d", tc.desc, got, heard, tc.wantRetried)
		}
		c1.Close()
		c2.Close()
	}
}

// Close ends a backoff: a server shutting down while out of descriptors stops.
func TestCloseEndsBackoff(t *testing.T) {
	l := connlimit.New(&failing{errs: []error{acceptErr(syscall.EMFILE)}}, 0, nil)
	done := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		done <- err
	}()
	for l.Retried() < 3 { // backoff has begun and grown
		time.Sleep(time.Millisecond)
	}
	l.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: %v, want net.ErrClosed", err)
	}
}

// One client address holds at most maxPerIP connections; the next one gets
// a 429, and a released slot is taken again.
func TestPerAddressLimit(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := connlimit.New(ln, 2, nil)
	defer l.Close()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	dial()
	dial()
	third := dial()
	a, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Accept(); err != nil {
		t.Fatal(err)
	}
	next := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept() // refuses the third, then waits for the fourth
		next <- c
	}()
	third.SetReadDeadline(time.Now().Add(5 * time.Second))
	answer, _ := io.ReadAll(third)
	if !strings.HasPrefix(string(answer), "HTTP/1.1 429 ") {
		t.Errorf("third connection got %q, want a 429", answer)
	}
	if got := l.RefusedPerIP(); got != 1 {
		t.Errorf("RefusedPerIP = %d, want 1", got)
	}
	l.Release(a)
	a.Close()
	dial()
	select {
	case c := <-next:
		c.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("a released slot was not taken again")
	}
}

// Listeners made Beside one another share one per-address count: a client
// at its limit on one port is refused on the other, and a slot released on
// either is free on both.
func TestBesideSharesTheLimit(t *testing.T) {
	a, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	la := connlimit.New(a, 1, nil)
	lb := la.Beside(b)
	defer la.Close()
	defer lb.Close()
	accepted := make(chan net.Conn, 2)
	for _, l := range []*connlimit.Listener{la, lb} {
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				accepted <- c
			}
		}()
	}
	first, err := net.Dial("tcp", a.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	held := <-accepted
	refused, err := net.Dial("tcp", b.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer refused.Close()
	refused.SetReadDeadline(time.Now().Add(3 * time.Second))
	if got, _ := io.ReadAll(refused); !strings.HasPrefix(string(got), "HTTP/1.1 429") {
		t.Fatalf("the other port answered %q, want 429", got)
	}
	if la.RefusedPerIP() != 1 {
		t.Errorf("RefusedPerIP on the first listener: %d, want 1 (shared)", la.RefusedPerIP())
	}
	lb.Release(held)
	held.Close()
	again, err := net.Dial("tcp", b.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	select {
	case c := <-accepted:
		c.Close()
	case <-time.After(3 * time.Second):
		t.Fatal("a released slot is not free on the other listener")
	}
}

// A Silent listener (its connections speak TLS) refuses by closing: the
// client reads no plaintext it would take for a broken handshake.
func TestSilentRefusesWithoutAnswer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := connlimit.New(ln, 1, nil).Silent()
	defer l.Close()
	held, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go l.Accept() // refuses the next one
	refused, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer refused.Close()
	refused.SetReadDeadline(time.Now().Add(3 * time.Second))
	got, err := io.ReadAll(refused)
	if len(got) != 0 || err != nil {
		t.Errorf("refused connection read %q, %v; want a plain close", got, err)
	}
	if l.RefusedPerIP() != 1 {
		t.Errorf("RefusedPerIP = %d, want 1", l.RefusedPerIP())
	}
}
