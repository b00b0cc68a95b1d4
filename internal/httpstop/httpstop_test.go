package httpstop

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// serve runs a Server on loopback whose handler waits for release.
func serve(t *testing.T, release <-chan struct{}) (*Server, string, <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	entered := make(chan struct{}, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		io.WriteString(w, "done")
	})}
	s := New(srv, ln)
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	t.Cleanup(func() {
		s.Stop(0)
		if err := <-served; err != http.ErrServerClosed {
			t.Errorf("Serve returned %v, want http.ErrServerClosed", err)
		}
	})
	return s, "http://" + ln.Addr().String(), entered
}

func get(url string) (string, error) {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// After StopAccepting a new connection is refused at once, while a request
// in flight and one on a connection accepted but not yet read are
// answered; Stop waits for both.
func TestStopAccepting(t *testing.T) {
	release := make(chan struct{})
	s, url, entered := serve(t, release)
	addr := strings.TrimPrefix(url, "http://")
	accepted, err := net.Dial("tcp", addr) // accepted by Serve, its request not sent yet
	if err != nil {
		t.Fatal(err)
	}
	defer accepted.Close()
	answer := make(chan error, 1)
	go func() {
		body, err := get(url)
		if err == nil && body != "done" {
			err = errors.New("body " + body)
		}
		answer <- err
	}()
	<-entered
	time.Sleep(20 * time.Millisecond) // Serve has accepted the other connection
	s.StopAccepting()
	if _, err := get(url); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("a new request after StopAccepting: %v, want connection refused", err)
	}
	if _, err := io.WriteString(accepted, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	<-entered
	close(release)
	if err := <-answer; err != nil {
		t.Errorf("the request in flight: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(accepted), nil)
	if err != nil {
		t.Fatalf("the request on the connection accepted before StopAccepting: %v", err)
	}
	resp.Body.Close()
	if !resp.Close {
		t.Error("an answer after StopAccepting kept its connection")
	}
	start := time.Now()
	s.Stop(5 * time.Second)
	if took := time.Since(start); took > time.Second {
		t.Errorf("Stop took %v with every connection closed", took)
	}
}

// Past its bound Stop cuts what is still running.
func TestStopBound(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	s, url, entered := serve(t, release)
	answer := make(chan error, 1)
	go func() { _, err := get(url); answer <- err }()
	<-entered
	start := time.Now()
	s.Stop(100 * time.Millisecond)
	if err := <-answer; err == nil {
		t.Error("a request still running past the bound was answered")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Stop took %v with a bound of 100ms", took)
	}
}
