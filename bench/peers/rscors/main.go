// Command rscors is the net/http + github.com/rs/cors peer: the same policy
// as corsedge's rules.toml, with files from http.FileServer.
package main

import (
	"crypto/tls"
	"flag"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/rs/cors"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8082", "listen address")
	root := flag.String("root", ".", "asset directory")
	origins := flag.String("origins", "", "allowed origins, comma-separated; one * wildcard each")
	methods := flag.String("methods", "GET,HEAD,POST", "allowed methods, comma-separated")
	headers := flag.String("headers", "", "allowed request headers, comma-separated")
	maxAge := flag.Int("max-age", 600, "Access-Control-Max-Age in seconds")
	credentials := flag.Bool("credentials", false, "allow credentials")
	certFile := flag.String("tls-cert", "", "serve HTTPS with this PEM certificate")
	keyFile := flag.String("tls-key", "", "and this PEM key")
	flag.Parse()
	c := cors.New(cors.Options{
		AllowedOrigins:     split(*origins),
		AllowedMethods:     split(*methods),
		AllowedHeaders:     split(*headers),
		MaxAge:             *maxAge,
		AllowCredentials:   *credentials,
		OptionsPassthrough: true, // preflightStatus picks 204 or 403, as corsedge does
	})
	srv := &http.Server{
		Addr:              *addr,
		Handler:           c.Handler(preflightStatus(http.FileServer(http.Dir(*root)))),
		ReadHeaderTimeout: 10 * time.Second,
	}
	if *certFile != "" {
		// HTTP/1.1 only, as fasthttp and the load generators speak: an empty
		// TLSNextProto map turns net/http's HTTP/2 off.
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
		srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
		log.Fatal(srv.ListenAndServeTLS(*certFile, *keyFile))
	}
	log.Fatal(srv.ListenAndServe())
}

// preflightStatus answers a preflight 204 when rs/cors allowed it (it set
// Access-Control-Allow-Origin) and 403 when it refused it. rs/cors itself
// answers both 204, so without this its refusals would differ from
// corsedge's and nginx's only by status.
func preflightStatus(files http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions && r.Header.Get("Origin") != "" &&
			r.Header.Get("Access-Control-Request-Method") != "" {
			if w.Header().Get("Access-Control-Allow-Origin") != "" {
				w.WriteHeader(http.StatusNoContent)
			} else {
				w.WriteHeader(http.StatusForbidden)
			}
			return
		}
		files.ServeHTTP(w, r)
	})
}

func split(list string) []string {
	if list == "" {
		return nil
	}
	return strings.Split(list, ",")
}
