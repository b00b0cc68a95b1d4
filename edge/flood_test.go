package edge_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// floodRules has a prefix whose answer varies by origin (/js/) and one
// whose credential-less "*" answers every origin alike (/fonts/).
const floodRules = `version = 1
[[rule]]
paths   = ["/js/"]
origins = ["https://a.example", "https://*.example.org"]

[[rule]]
paths   = ["/fonts/"]
origins = ["*"]
`

// floodOrigin returns the i-th distinct origin under *.example.org, n bytes long.
func floodOrigin(i, n int) string {
	head := "https://o" + strconv.Itoa(i) + "."
	const tail = ".example.org"
	return head + strings.Repeat("a", n-len(head)-len(tail)) + tail
}

// flood sends n pipelined OPTIONS requests for path, the i-th with
// origin(i), over conns connections, and checks every answer is a 204.
func flood(t *testing.T, addr, path string, n, conns int, origin func(int) string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 2*conns)
	for c := range conns {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// A bound on stalls, not on the whole flood: under -race on a busy
		// machine the flood itself can take longer than any fixed total.
		const stall = 20 * time.Second
		share := n / conns
		wg.Go(func() {
			w := bufio.NewWriterSize(conn, 64<<10)
			for i := c * share; i < (c+1)*share; i++ {
				if i%256 == 0 {
					conn.SetWriteDeadline(time.Now().Add(stall))
				}
				fmt.Fprintf(w, "OPTIONS %s HTTP/1.1\r\nHost: cdn.test\r\nOrigin: %s\r\n\r\n", path, origin(i))
			}
			if err := w.Flush(); err != nil {
				errs <- err
			}
		})
		wg.Go(func() {
			r := bufio.NewReader(conn)
			for range share {
				conn.SetReadDeadline(time.Now().Add(stall))
				resp, err := http.ReadResponse(r, &http.Request{Method: "OPTIONS"})
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusNoContent {
					errs <- fmt.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// A flood of distinct origins, as long as a request head allows or as long
// as the cache keeps, grows the heap by at most the cache's stated bound
// (65,536 entries × 768 B = 48 MiB): too-long origins and origins on a "*"
// prefix are never cached, and the rest evict.
func TestLongOriginFloodMemoryBound(t *testing.T) {
	ts := startServer(t, floodRules)
	addr := strings.TrimPrefix(ts.url, "http://")
	const conns = 4
	const bound = 65536*768 + 4<<20 // the cache's bound, and connection buffers
	heap0, rss0 := memory()
	for _, tc := range []struct {
		desc, path  string
		n, length   int
		wantEntries int // -1: at most the cache's bound
	}{
		{"30,000 origins of 7,900 bytes", "/js/app.js", 30000, 7900, 0},
		{`20,000 origins on a "*" prefix`, "/fonts/a.woff2", 20000, 512, 0},
		{"80,000 origins of 512 bytes", "/js/app.js", 80000, 512, -1},
	} {
		flood(t, addr, tc.path, tc.n, conns, func(i int) string { return floodOrigin(i, tc.length) })
		n := ts.status(t).CacheEntries
		if tc.wantEntries >= 0 && n != tc.wantEntries || n > 65536 {
			t.Errorf("%s: %d cache entries, want %d", tc.desc, n, tc.wantEntries)
		}
		heap, rss := memory()
		t.Logf("%s: heap %d -> %d MB, RSS %d -> %d MB", tc.desc, heap0>>20, heap>>20, rss0>>20, rss>>20)
		if heap > heap0 && heap-heap0 > bound {
			t.Errorf("%s: heap grew by %d bytes, over the bound of %d", tc.desc, heap-heap0, bound)
		}
	}
}

// memory returns the live heap after a full collection and the RSS.
func memory() (heap, rss uint64) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	status, _ := os.ReadFile("/proc/self/status")
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			rss = kb << 10
		}
	}
	return m.HeapAlloc, rss
}
