package connlimit_test

import (
	"net"
	"testing"
	"time"

	"corsedge/internal/connlimit"
)

// The deadlines fasthttp asks for on each keep-alive request (the idle
// wait, the read timeout at the first byte, the write timeout), with its
// clock reads, on a bare connection and on a Conn with a second of slack.
func BenchmarkRequestDeadlines(b *testing.B) {
	for _, bc := range []struct {
		desc  string
		slack time.Duration
	}{{"conn=bare", 0}, {"conn=lazy", time.Second}} {
		b.Run(bc.desc, func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer ln.Close()
			client, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer client.Close()
			c, err := ln.Accept()
			if err != nil {
				b.Fatal(err)
			}
			if bc.slack > 0 {
				c, err = connlimit.New(oneConn{c}, 0, nil).LazyDeadlines(bc.slack).Accept()
				if err != nil {
					b.Fatal(err)
				}
			}
			defer c.Close()
			for b.Loop() {
				c.SetReadDeadline(time.Now().Add(60 * time.Second))
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				c.SetWriteDeadline(time.Now().Add(60 * time.Second))
			}
		})
	}
}

// oneConn is a listener that hands out one connection.
type oneConn struct{ c net.Conn }

func (l oneConn) Accept() (net.Conn, error) { return l.c, nil }
func (l oneConn) Close() error              { return nil }
func (l oneConn) Addr() net.Addr            { return l.c.LocalAddr() }
