package edge_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
)

// recordingListener keeps every byte that clients send on its connections,
// so that a test can read back the requests exactly as a browser sent them
// (headers that the access log leaves out, such as Sec-Fetch-Mode). Plain
// HTTP only: on an HTTPS listener it would keep ciphertext.
type recordingListener struct {
	net.Listener
	mu    sync.Mutex // guards conns and what they hold
	conns []*bytes.Buffer
}

type recordingConn struct {
	net.Conn
	l   *recordingListener
	buf *bytes.Buffer
}

func (l *recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	buf := &bytes.Buffer{}
	l.mu.Lock()
	l.conns = append(l.conns, buf)
	l.mu.Unlock()
	return &recordingConn{Conn: c, l: l, buf: buf}, nil
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.l.mu.Lock()
	c.buf.Write(p[:n])
	c.l.mu.Unlock()
	return n, err
}

// requests parses what each connection received into its requests, in
// order; a request cut off at the end of a connection is left out.
func (l *recordingListener) requests() ([]*http.Request, error) {
	l.mu.Lock()
	var streams [][]byte
	for _, b := range l.conns {
		streams = append(streams, bytes.Clone(b.Bytes()))
	}
	l.mu.Unlock()
	var reqs []*http.Request
	for _, s := range streams {
		r := bufio.NewReader(bytes.NewReader(s))
		for {
			req, err := http.ReadRequest(r)
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				break
			}
			if err != nil {
				return reqs, err
			}
			if _, err := io.Copy(io.Discard, req.Body); err != nil {
				break
			}
			reqs = append(reqs, req)
		}
	}
	return reqs, nil
}
