package load

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// ioTimeout bounds one request's round trip; a server that stalls longer
// counts an error and gets a fresh connection.
const ioTimeout = 5 * time.Second

// Go is the built-in generator: keep-alive connections, one request in
// flight on each, like wrk, so the harness runs where only Go is installed.
type Go struct{}

func (Go) Name() string { return "go" }

// Run sends req on opt.Conns connections for opt.Duration (or until
// opt.Requests responses) and measures each round trip.
func (Go) Run(ctx context.Context, req Request, opt Options) (Result, error) {
	if opt.Conns < 1 {
		return Result{}, errors.New("load: Conns must be at least 1")
	}
	ctx, cancel := context.WithTimeout(ctx, opt.Duration)
	defer cancel()
	r := &goRun{req: req, opt: opt, next: opt.Start}
	start := time.Now()
	var wg sync.WaitGroup
	workers := make([]*goWorker, opt.Conns)
	for i := range workers {
		w := &goWorker{run: r}
		workers[i] = w
		wg.Go(func() { w.loop(ctx) })
	}
	wg.Wait()
	res := Result{Generator: "go", Elapsed: time.Since(start)}
	var h histogram
	for _, w := range workers {
		h.merge(&w.hist)
		res.Requests += w.ok
		res.Errors += w.errs
		res.Handshakes += w.handshakes
		res.Resumed += w.resumed
		if res.FirstError == "" && w.firstErr != nil {
			res.FirstError = w.firstErr.Error()
		}
	}
	res.P50, res.P99 = h.quantile(0.50), h.quantile(0.99)
	return res, nil
}

// goRun is the state the connections of one run share.
type goRun struct {
	req  Request
	opt  Options
	next int64        // next position in the Origin rotation
	sent atomic.Int64 // requests started, against opt.Requests
}

// take reserves one request; false once opt.Requests are under way.
func (r *goRun) take() bool {
	return r.opt.Requests <= 0 || r.sent.Add(1) <= r.opt.Requests
}

// goWorker drives one connection.
type goWorker struct {
	run      *goRun
	hist     histogram
	ok, errs int64
	firstErr error
	buf      []byte // the request being written

	handshakes, resumed int64
}

func (w *goWorker) loop(ctx context.Context) {
	var conn net.Conn
	var br *bufio.Reader
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	req, opt := &w.run.req, &w.run.opt
	end, _ := ctx.Deadline()
	for ctx.Err() == nil && time.Now().Before(end) && w.run.take() {
		t0 := time.Now()
		if conn == nil {
			c, err := w.dial(ctx)
			if err != nil {
				w.fail(ctx, err)
				continue
			}
			conn, br = c, bufio.NewReaderSize(c, 16<<10)
		}
		var want int
		w.buf, want = req.appendTo(w.buf[:0], opt.Addr, &w.run.next, opt.Status)
		if !req.Close {
			t0 = time.Now() // keep-alive: the round trip only; else from the connect
		}
		conn.SetDeadline(time.Now().Add(ioTimeout))
		status, closing, err := roundTrip(conn, br, w.buf, req.Method == "HEAD")
		if err == nil && req.Close {
			err = awaitClose(br)
		}
		if err != nil || req.Close || closing {
			conn.Close()
			conn = nil
		}
		if err != nil {
			w.fail(ctx, err)
			continue
		}
		w.hist.record(time.Since(t0))
		if status != want {
			w.fail(ctx, fmt.Errorf("status %d, want %d", status, want))
			continue
		}
		w.ok++
	}
}

// dial connects, and over TLS completes the handshake, counting it.
func (w *goWorker) dial(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{Timeout: ioTimeout}
	c, err := d.DialContext(ctx, "tcp", w.run.opt.Addr)
	if err != nil || w.run.opt.TLS == nil {
		return c, err
	}
	tc := tls.Client(c, w.run.opt.TLS)
	hctx, cancel := context.WithTimeout(ctx, ioTimeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	w.handshakes++
	if tc.ConnectionState().DidResume {
		w.resumed++
	}
	return tc, nil
}

// awaitClose waits for the server to close the connection after a
// response to Connection: close (RFC 9112 §9.6), so that its side of the
// close (TLS close_notify, FIN) falls inside the run, as with a browser.
func awaitClose(br *bufio.Reader) error {
	// io.ErrUnexpectedEOF: a close without TLS close_notify, which HTTP
	// clients accept once the response is complete (RFC 8446 §6.1 allows it).
	if _, err := br.ReadByte(); err != io.EOF && err != io.ErrUnexpectedEOF {
		return fmt.Errorf("connection not closed after Connection: close (%v)", err)
	}
	return nil
}

// fail counts an error, unless it only reports the end of the run. A dial
// that fails at the run's deadline may return before the context reports
// it, so the clock is read too: else the loop would count failures
// as fast as it could dial until the context caught up.
func (w *goWorker) fail(ctx context.Context, err error) {
	if end, ok := ctx.Deadline(); ctx.Err() != nil || (ok && !time.Now().Before(end)) {
		return
	}
	w.errs++
	if w.firstErr == nil {
		w.firstErr = err
	}
}

// appendTo appends the request's bytes and returns the status its answer
// must have (status, or a refused site's); next is the shared rotation cursor.
func (r *Request) appendTo(b []byte, host string, next *int64, status int) ([]byte, int) {
	b = append(b, r.Method...)
	b = append(b, ' ')
	path, origin := r.Path, ""
	if s := r.Sites; s != nil {
		i := atomic.AddInt64(next, 1) - 1
		var allowed bool
		origin, path, allowed = s.At(i)
		if !allowed && s.Refused != 0 {
			status = s.Refused
		}
	}
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\n"...)
	if r.Close {
		b = append(b, "Connection: close\r\n"...)
	}
	if r.Origin != nil {
		b = append(b, "Origin: "...)
		b = append(b, r.Origin.Origin(atomic.AddInt64(next, 1)-1)...)
		b = append(b, "\r\n"...)
	}
	if origin != "" {
		b = append(b, "Origin: "...)
		b = append(b, origin...)
		b = append(b, "\r\n"...)
	}
	for _, f := range r.Header {
		b = append(b, f[0]...)
		b = append(b, ": "...)
		b = append(b, f[1]...)
		b = append(b, "\r\n"...)
	}
	return append(b, "\r\n"...), status
}

// roundTrip writes one request and reads its whole response, returning the
// status and whether the server closes the connection after it
// (Connection: close, as nginx sends from a worker that is shutting down
// on a reload). It understands Content-Length and chunked bodies, the
// only two forms the servers under test send.
func roundTrip(conn net.Conn, br *bufio.Reader, req []byte, head bool) (int, bool, error) {
	if _, err := conn.Write(req); err != nil {
		return 0, false, err
	}
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, false, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, false, fmt.Errorf("bad status line %q", line)
	}
	length, chunked, closing, err := readHead(br)
	if err != nil {
		return 0, false, err
	}
	switch {
	case head || status == 204 || status == 304 || status < 200:
		return status, closing, nil
	case chunked:
		return status, closing, skipChunked(br)
	case length < 0:
		return 0, false, errors.New("response without Content-Length on a keep-alive connection")
	}
	_, err = br.Discard(int(length))
	return status, closing, err
}

// readHead reads the header lines up to the blank one.
func readHead(br *bufio.Reader) (length int64, chunked, closing bool, err error) {
	length = -1
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, false, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			return length, chunked, closing, nil
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, false, false, fmt.Errorf("bad header line %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.ParseInt(string(value), 10, 64); err != nil {
				return 0, false, false, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			closing = bytes.EqualFold(value, []byte("close"))
		}
	}
}

// skipChunked reads a chunked body (RFC 9112 §7.1) and its trailers.
func skipChunked(br *bufio.Reader) error {
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		n, err := strconv.ParseInt(string(size), 16, 64)
		if err != nil {
			return fmt.Errorf("bad chunk size %q", line)
		}
		if n == 0 {
			_, _, _, err := readHead(br) // trailers up to the blank line
			return err
		}
		if _, err := br.Discard(int(n) + 2); err != nil {
			return err
		}
	}
}
