package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"
)

// outcome is one request of a clientLoad.
type outcome struct {
	began      time.Time
	took       time.Duration
	status     int
	closeAfter bool  // the response said Connection: close
	err        error // the transport's, or why the target's check refused the answer
}

// loadTarget is what one client of a clientLoad asks for, again and again.
type loadTarget struct {
	client *http.Client
	url    string
	origin string                     // the Origin header; none when ""
	check  func(*http.Response) error // nil: any answer will do
	pause  time.Duration              // after each request
}

// times is n clients of t, every other one on a new connection for each
// request (keep-alive connections and fresh ones, as browsers mix them).
func times(n int, t loadTarget) []loadTarget {
	out := make([]loadTarget, n)
	for i := range out {
		out[i] = t
		if t.client == nil {
			out[i].client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: i%2 == 1}}
		}
	}
	return out
}

// clientLoad sends requests to its targets, one goroutine each, until
// stopped; with untilRefused a client also ends at its first refused
// connection (a closed listener: the end of a drain).
type clientLoad struct {
	done chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	out  []outcome
}

func startLoad(untilRefused bool, targets ...loadTarget) *clientLoad {
	l := &clientLoad{done: make(chan struct{})}
	for _, tg := range targets {
		l.wg.Go(func() {
			for {
				select {
				case <-l.done:
					return
				default:
				}
				o := tg.get()
				l.mu.Lock()
				l.out = append(l.out, o)
				l.mu.Unlock()
				if untilRefused && errors.Is(o.err, syscall.ECONNREFUSED) {
					return
				}
				time.Sleep(tg.pause)
			}
		})
	}
	return l
}

func (tg loadTarget) get() outcome {
	o := outcome{began: time.Now()}
	req, _ := http.NewRequest("GET", tg.url, nil)
	if tg.origin != "" {
		req.Header.Set("Origin", tg.origin)
	}
	resp, err := tg.client.Do(req)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		o.status, o.closeAfter = resp.StatusCode, resp.Close
		if err == nil && tg.check != nil {
			err = tg.check(resp)
		}
	}
	o.err, o.took = err, time.Since(o.began)
	return o
}

// stop ends every client and returns every outcome.
func (l *clientLoad) stop() []outcome {
	close(l.done)
	l.wg.Wait()
	return l.out
}

// refused waits, at most bound, until every client has ended on a refused
// connection; ok is false when bound ran out first (the clients are then
// stopped).
func (l *clientLoad) refused(bound time.Duration) (out []outcome, ok bool) {
	ended := make(chan struct{})
	go func() { l.wg.Wait(); close(ended) }()
	select {
	case <-ended:
		return l.out, true
	case <-time.After(bound):
		return l.stop(), false
	}
}

// wantOK is a check: a 200.
func wantOK(resp *http.Response) error {
	if resp.StatusCode != 200 {
		return errors.New(resp.Status)
	}
	return nil
}

// wantCORS is a check: a 200 allowed to any origin.
func wantCORS(resp *http.Response) error {
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		return fmt.Errorf("%d, ACAO %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	return nil
}

// noFailure fails t unless there were at least min outcomes and none
// failed (an error, a refused connection, an answer its check refused).
func noFailure(t *testing.T, out []outcome, min int) {
	t.Helper()
	var failed, refused int
	var first error
	for _, o := range out {
		if o.err != nil {
			failed++
			if errors.Is(o.err, syscall.ECONNREFUSED) {
				refused++
			}
			if first == nil {
				first = o.err
			}
		}
	}
	t.Logf("%d requests, %d failed, %d refused connections", len(out), failed, refused)
	if failed != 0 || len(out) < min {
		t.Errorf("%d of %d requests failed (%d refused connections); first: %v", failed, len(out), refused, first)
	}
}
