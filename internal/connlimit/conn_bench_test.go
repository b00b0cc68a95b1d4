package connlimit_test

import (
	"net"
	"testing"
	"time"

	"corsedge/internal/connlimit"
)

// The deadlines of each keep-alive request (the idle wait, the read
// timeout at the first byte, the write timeout): asked for by fasthttp,
// with its clock reads, of a bare connection and of a Conn with a second
// of slack; and enforced by such a Conn from its server's word (Active,
// the response's first write, Idle).
func BenchmarkRequestDeadlines(b *testing.B) {
	timeouts := connlimit.Timeouts{Read: 10 * time.Second, Write: 60 * time.Second, Idle: 60 * time.Second}
	for _, bc := range []struct {
		desc     string
		slack    time.Duration
		enforced bool
	}{{"conn=bare", 0, false}, {"conn=lazy", time.Second, false}, {"conn=enforced", time.Second, true}} {
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
				l := connlimit.New(oneConn{c}, 0, nil).LazyDeadlines(bc.slack)
				if bc.enforced {
					l.Enforce(timeouts)
				}
				if c, err = l.Accept(); err != nil {
					b.Fatal(err)
				}
			}
			defer c.Close()
			if bc.enforced {
				lc := c.(*connlimit.Conn)
				for b.Loop() {
					lc.Active()
					lc.StartWrite()
					lc.Idle()
				}
				return
			}
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
