package edge

import (
	"context"
	"crypto/tls"
	"net"
	"slices"
	"sync/atomic"

	"corsedge/acme"
)

// tlsConfig is the one configuration of every HTTPS connection. TLS 1.2 at
// least (RFC 8996 deprecates 1.0 and 1.1); Go prefers 1.3 and picks the
// cipher suites. Session tickets stay on: with no keys set, crypto/tls makes
// its own and rotates them (a new key each day, each accepted for a week),
// as long as this one Config serves every connection. ALPN offers only
// http/1.1: fasthttp has no HTTP/2; with ACME, acme-tls/1 too, which only
// TLS-ALPN-01 validations offer (RFC 8737 §3).
func (s *Server) tlsConfig() *tls.Config {
	protos := []string{"http/1.1"}
	if s.cfg.ACME != nil {
		protos = append(protos, acme.ALPN)
	}
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		NextProtos:         protos,
		GetCertificate:     s.cfg.Certificates.GetCertificate,
		GetConfigForClient: noteOffered,
	}
}

// noteOffered records the newest version a client offers, so that a failed
// handshake is counted under it (a TLS 1.1 client refused shows as such).
func noteOffered(hello *tls.ClientHelloInfo) (*tls.Config, error) {
	if c, ok := hello.Context().Value(handshakingKey{}).(*tlsConn); ok && len(hello.SupportedVersions) > 0 {
		c.offered = slices.Max(hello.SupportedVersions)
	}
	return nil, nil // the Config itself, with its session ticket keys
}

// tlsListener serves TLS over the guarded public listener, so the
// per-address limit, the accept backoff and the lazy deadlines
// (connlimit.Conn) hold on HTTPS too; its connections count their
// handshakes.
type tlsListener struct {
	net.Listener
	config *tls.Config
	counts *handshakeCounts
}

func (l *tlsListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &tlsConn{Conn: tls.Server(c, l.config), counts: l.counts}, nil
}

// tlsConn is a server connection that counts its handshake. It keeps
// *tls.Conn's methods, so fasthttp sees TLS: it runs the handshake first,
// under its deadlines; over Concurrency it closes the connection without
// writing its plaintext 503, and no handshake runs.
type tlsConn struct {
	*tls.Conn
	counts  *handshakeCounts
	offered uint16 // newest version in the ClientHello (noteOffered); 0 before one is read
	shook   bool   // the handshake has run; fasthttp reads, writes and shakes hands from one goroutine
}

// handshakingKey carries the tlsConn whose handshake is running to
// noteOffered, through the handshake's context.
type handshakingKey struct{}

// Handshake runs the handshake once and counts its result; a failure is
// counted under the version the client offered ("unknown" when no
// ClientHello came).
func (c *tlsConn) Handshake() error {
	if c.shook {
		return c.Conn.Handshake() // the first one's result
	}
	c.shook = true
	err := c.Conn.HandshakeContext(context.WithValue(context.Background(), handshakingKey{}, c))
	if err != nil {
		c.counts.add(c.offered, false)
		return err
	}
	c.counts.add(c.Conn.ConnectionState().Version, true)
	if lc := limited(c); lc != nil {
		lc.Handshaken()
	}
	return nil
}

// Read and Write count a handshake that runs before them, as it would
// unseen in *tls.Conn's own.
func (c *tlsConn) Read(b []byte) (int, error) {
	if !c.shook {
		c.Handshake()
	}
	return c.Conn.Read(b)
}

func (c *tlsConn) Write(b []byte) (int, error) {
	if !c.shook {
		c.Handshake()
	}
	return c.Conn.Write(b)
}

// handshakeCounts are corsedge_tls_handshakes_total by version and result.
type handshakeCounts [numTLSVersions][2]atomic.Uint64 // [version][1 for success]

const numTLSVersions = 5

var tlsVersionNames = [numTLSVersions]string{"unknown", "1.0", "1.1", "1.2", "1.3"}

func (h *handshakeCounts) add(version uint16, ok bool) {
	i := 0
	if version >= tls.VersionTLS10 && version <= tls.VersionTLS13 {
		i = int(version-tls.VersionTLS10) + 1
	}
	ok01 := 0
	if ok {
		ok01 = 1
	}
	h[i][ok01].Add(1)
}
