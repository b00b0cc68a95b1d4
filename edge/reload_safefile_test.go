package edge_test

import (
	"io"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"corsedge/edge"
	"corsedge/internal/safefile"
)

// postReload sends POST /reload and returns its status and body.
func (ts *testServer) postReload(t testing.TB) (int, string) {
	t.Helper()
	resp, err := ts.client.Post(ts.admin+"/reload", "", nil)
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(body)
}

// Whatever sits at the rules path, a reload fails at once with an error
// that names the file and what is wrong with it; table A keeps serving,
// /status says why, and shutdown completes.
func TestReloadRefusesUnsafeFiles(t *testing.T) {
	for _, tc := range []struct {
		desc    string
		put     func(t *testing.T, file string) // replaces the rules file
		max     int64
		wantMsg string
	}{
		{"a FIFO", func(t *testing.T, file string) {
			must(t, os.Remove(file))
			must(t, syscall.Mkfifo(file, 0o644))
		}, 0, "not a regular file: it is a named pipe (FIFO)"},
		{"a symlink to /dev/zero", func(t *testing.T, file string) {
			must(t, os.Remove(file))
			must(t, os.Symlink("/dev/zero", file))
		}, 0, "not a regular file: it is a character device"},
		{"a file over -max-rules-size", func(t *testing.T, file string) {
			must(t, os.WriteFile(file, []byte(tableB+"# "+strings.Repeat("x", 2000)+"\n"), 0o644))
		}, 1024, "file too large"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			ts := startServer(t, tableA, func(c *edge.Config) { c.MaxRulesSize = tc.max })
			tc.put(t, ts.rulesFile)
			code, body := ts.postReload(t)
			if code != 422 || !strings.Contains(body, ts.rulesFile) || !strings.Contains(body, tc.wantMsg) {
				t.Errorf("POST /reload = %d %q, want 422 naming the file and %q", code, body, tc.wantMsg)
			}
			st := ts.status(t)
			if st.LastError == nil || !strings.Contains(st.LastError.Message, tc.wantMsg) || st.Generation != 1 {
				t.Errorf("status %+v, want generation 1 and last_error %q", st, tc.wantMsg)
			}
			if got := ts.preflightAnswer(t); got != answerA {
				t.Errorf("after the reload: %+v, want table A's", got)
			}
			stopWithin(t, ts, 5*time.Second)
		})
	}
}

// A read the filesystem never answers (a stalled NFS server) fails the
// reload after the read timeout; later reloads fail at once instead of
// queueing behind it, and nothing else waits for it.
func TestReloadStalledRead(t *testing.T) {
	ts := startServer(t, tableA)
	release := make(chan struct{})
	defer close(release)
	var reads atomic.Int32
	edge.SetRulesReader(ts.srv, safefile.Options{
		Timeout: 200 * time.Millisecond,
		ReadFile: func(string, int64, time.Duration) (safefile.Contents, error) {
			reads.Add(1)
			<-release
			return safefile.Contents{}, nil
		},
	})
	for _, tc := range []struct {
		desc, wantMsg string
	}{
		{"the stalled read", "read timed out: no answer from the filesystem after 200ms"},
		{"a reload while it is stuck", "read timed out: an earlier read has not returned"},
	} {
		code, body := ts.postReload(t)
		if code != 422 || !strings.Contains(body, tc.wantMsg) {
			t.Errorf("%s: POST /reload = %d %q, want 422 with %q", tc.desc, code, body, tc.wantMsg)
		}
	}
	if st := ts.status(t); st.LastError == nil || !strings.Contains(st.LastError.Message, "read timed out") {
		t.Errorf("status %+v, want the timeout in last_error", st)
	}
	if n := reads.Load(); n != 1 {
		t.Errorf("%d reads stuck in the filesystem, want 1", n)
	}
	if got := ts.preflightAnswer(t); got != answerA {
		t.Errorf("during the stall: %+v, want table A's", got)
	}
	stopWithin(t, ts, 5*time.Second)
}

// stopWithin stops the server and fails if Run takes longer than d.
func stopWithin(t *testing.T, ts *testServer, d time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- ts.stop() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(d):
		t.Fatalf("Run did not return within %v of shutdown", d)
	}
}
