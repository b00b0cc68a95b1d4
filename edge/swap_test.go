package edge_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"corsedge/edge"
)

// While the rules file is swapped between two tables many times, clients
// keep sending preflights: every answer must be exactly one table's, never a
// mix of the two, and no request may fail.
func TestConcurrentPreflightsDuringSwaps(t *testing.T) {
	ts := startServer(t, tableA, func(c *edge.Config) { c.Debounce = 5 * time.Millisecond })
	const swaps = 40
	var requests, fromA, fromB atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 4 {
		wg.Go(func() {
			client := &http.Client{Timeout: 5 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				got, err := preflightWith(client, ts.url)
				if err != nil {
					errs <- err
					return
				}
				requests.Add(1)
				switch got {
				case answerA:
					fromA.Add(1)
				case answerB:
					fromB.Add(1)
				default:
					errs <- fmt.Errorf("answer %+v is neither table A's nor table B's", got)
					return
				}
			}
		})
	}
	dir := filepath.Dir(ts.rulesFile)
	for i := range swaps {
		next := tableB
		if i%2 == 1 {
			next = tableA
		}
		tmp := filepath.Join(dir, "next.tmp")
		must(t, os.WriteFile(tmp, []byte(next), 0o644))
		must(t, os.Rename(tmp, ts.rulesFile))
		want := uint64(i + 2)
		if !waitFor(3*time.Second, func() bool { return ts.srv.Status().Generation >= want }) {
			t.Fatalf("swap %d not loaded within 3 s", i+1)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d preflights during %d swaps: %d answered by A, %d by B", requests.Load(), swaps, fromA.Load(), fromB.Load())
	if fromA.Load() == 0 || fromB.Load() == 0 {
		t.Errorf("both tables should have answered: A %d, B %d", fromA.Load(), fromB.Load())
	}
}

func preflightWith(client *http.Client, base string) (answer, error) {
	req, _ := http.NewRequest("OPTIONS", base+"/js/app.js", nil)
	req.Header.Set("Origin", "https://a.example")
	req.Header.Set("Access-Control-Request-Method", "GET")
	resp, err := client.Do(req)
	if err != nil {
		return answer{}, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return answerOf(resp), nil
}
