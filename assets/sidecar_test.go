package assets_test

import (
	"log/slog"
	"testing"
	"time"

	"corsedge/assets"
	"corsedge/internal/testlog"
)

// TestStaleSidecars gives a file a sidecar older than itself: it is never
// served (a fresh sidecar or identity is), it is logged once however many
// requests meet it, and made fresh again it is served within about Revalidate.
func TestStaleSidecars(t *testing.T) {
	const staleLine = "sidecar is older than its file"
	tests := []struct {
		desc     string
		accept   string
		encoding string // "" for identity
		body     string
	}{
		{"stale br skipped for identity", "br", "", cssBody},
		{"stale br skipped for fresh gzip", "br, gzip", "gzip", cssGz},
		{"fresh gzip", "gzip", "gzip", cssGz},
	}
	for _, mode := range modes {
		t.Run("mode="+mode.desc, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, map[string]string{"c.css": cssBody, "c.css.br": cssBr, "c.css.gz": cssGz})
			now := time.Now()
			setMtime(t, root, "c.css", now)
			setMtime(t, root, "c.css.gz", now) // equal is fresh: gzip -k keeps the input's time
			setMtime(t, root, "c.css.br", now.Add(-time.Hour))
			var logs testlog.Buffer
			opts := mode.opts
			opts.Root, opts.Revalidate = root, 20*time.Millisecond
			opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			h := newHarness(t, opts, assets.Hints{})
			for _, tc := range tests {
				t.Run(tc.desc, func(t *testing.T) {
					for range 3 {
						r := h.get(t, "GET", "/c.css", "Accept-Encoding: "+tc.accept)
						if r.status != 200 || r.body != tc.body {
							t.Fatalf("status %d, body %q; want 200 %q", r.status, r.body, tc.body)
						}
						checkHeaders(t, r.header, map[string]string{"Content-Encoding": tc.encoding})
					}
				})
			}
			if n := len(logs.Lines(staleLine)); n != 1 {
				t.Errorf("%d log lines about the stale sidecar, want 1:\n%s", n, logs.String())
			}
			setMtime(t, root, "c.css.br", now.Add(time.Second))
			for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
				r := h.get(t, "GET", "/c.css", "Accept-Encoding: br")
				if r.body == cssBr {
					break
				}
				if time.Since(start) > 2*time.Second {
					t.Fatalf("fresh sidecar not served after %v: %q", time.Since(start), r.body)
				}
			}
		})
	}
}
