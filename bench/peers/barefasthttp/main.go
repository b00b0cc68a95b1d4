// Command barefasthttp is the ceiling peer: a fasthttp server that answers
// every request with one fixed response, deciding nothing. Only the
// Access-Control-Allow-Origin value may echo the request's Origin.
package main

import (
	"crypto/tls"
	"flag"
	"log"
	"net"
	"time"

	"github.com/valyala/fasthttp"

	"corsedge/bench/internal/answer"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	file := flag.String("answer", "", "JSON file with the fixed response")
	timeouts := flag.Bool("timeouts", false, "configure the server as corsedge's edge package does (timeouts, buffer and body limits)")
	certFile := flag.String("tls-cert", "", "serve HTTPS with this PEM certificate")
	keyFile := flag.String("tls-key", "", "and this PEM key")
	flag.Parse()
	a, err := answer.Read(*file)
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if *certFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			log.Fatal(err)
		}
		// crypto/tls's defaults otherwise: TLS 1.3 preferred, session
		// tickets on with keys it rotates itself, as corsedge has them.
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert},
			MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}})
	}
	srv := &fasthttp.Server{Handler: handler(a), NoDefaultServerHeader: true, NoDefaultContentType: true}
	if *timeouts {
		// The values of corsedge's edge.New: with timeouts set, fasthttp
		// sets a read and a write deadline on the connection per request.
		srv.ReadTimeout = 10 * time.Second
		srv.WriteTimeout = 60 * time.Second
		srv.IdleTimeout = 60 * time.Second
		srv.ReadBufferSize = 8 << 10
		srv.MaxRequestBodySize = 1 << 10
	}
	log.Fatal(srv.Serve(ln))
}

// handler writes a. Header names and values are converted once, here.
func handler(a *answer.Answer) fasthttp.RequestHandler {
	type field struct{ name, value []byte }
	fields := make([]field, len(a.Header))
	for i, f := range a.Header {
		fields[i] = field{[]byte(f[0]), []byte(f[1])}
	}
	acao := []byte("Access-Control-Allow-Origin")
	return func(ctx *fasthttp.RequestCtx) {
		ctx.SetStatusCode(a.Status)
		h := &ctx.Response.Header
		for _, f := range fields {
			if a.EchoOrigin && string(f.name) == string(acao) {
				if o := ctx.Request.Header.Peek("Origin"); len(o) > 0 {
					h.SetCanonical(f.name, o)
					continue
				}
			}
			h.SetCanonical(f.name, f.value)
		}
		if len(a.Body) > 0 {
			ctx.Response.SetBodyRaw(a.Body)
		}
	}
}
