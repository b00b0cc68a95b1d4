package edge_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"corsedge/edge"
)

// pathCase is one line of testdata/paths.txt, the table main's explain test
// reads too.
type pathCase struct{ desc, target string }

func readPathCases(t *testing.T) []pathCase {
	t.Helper()
	src, err := os.ReadFile("testdata/paths.txt")
	if err != nil {
		t.Fatal(err)
	}
	var cases []pathCase
	for line := range strings.Lines(string(src)) {
		line = strings.TrimSuffix(line, "\n")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		target, desc, _ := strings.Cut(line, "\t")
		cases = append(cases, pathCase{desc: desc, target: target})
	}
	return cases
}

// TestCleanPathIsTheServers sends each request target over a real socket to
// a fasthttp server and compares the ctx.Path() it sees with CleanPath.
func TestCleanPathIsTheServers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { ctx.Write(ctx.Path()) }}
	go srv.Serve(ln)
	defer srv.Shutdown()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	for _, c := range readPathCases(t) {
		t.Run(c.desc, func(t *testing.T) {
			if _, err := io.WriteString(conn, "GET "+c.target+" HTTP/1.1\r\nHost: cdn.test\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(r, nil)
			if err != nil {
				t.Fatal(err)
			}
			var seen bytes.Buffer
			seen.ReadFrom(resp.Body)
			resp.Body.Close()
			if got := edge.CleanPath(c.target); got != seen.String() {
				t.Errorf("CleanPath(%q) = %q, but the server sees ctx.Path() %q", c.target, got, seen.String())
			}
		})
	}
}
