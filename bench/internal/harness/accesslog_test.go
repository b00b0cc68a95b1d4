package harness

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLogShortfall(t *testing.T) {
	for _, tc := range []struct {
		desc              string
		lines             int64
		requests, dropped float64
		rate              float64
		want              string // in the problem; "" for none
	}{
		{desc: "every request logged", lines: 1000, requests: 1000, rate: 1},
		{desc: "one line missing at 100%", lines: 999, requests: 1000, rate: 1, want: "999 lines for 1000"},
		{desc: "a line too many at 100%", lines: 1001, requests: 1000, rate: 1, want: "1001 lines"},
		{desc: "dropped lines, even when they add up", lines: 990, requests: 1000, dropped: 10, rate: 1, want: "dropped 10"},
		{desc: "1% near its mean", lines: 1012, requests: 100_000, rate: 0.01},
		{desc: "1% far below its mean", lines: 800, requests: 100_000, rate: 0.01, want: "1000 expected"},
		{desc: "1% of a handful: none is fine", lines: 0, requests: 20, rate: 0.01},
		{desc: "sampling off entirely", lines: 0, requests: 1000, rate: 0},
		{desc: "sampling off, yet lines", lines: 5, requests: 1000, rate: 0, want: "0 expected"},
	} {
		got := logShortfall(tc.lines, tc.requests, tc.dropped, tc.rate)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: logShortfall(%d, %.0f, %.0f, %g) = %q, want %q", tc.desc, tc.lines, tc.requests, tc.dropped, tc.rate, got, tc.want)
		}
	}
}

func TestCountLines(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		desc    string
		content *string // nil: no file
		want    int64
		wantErr bool
	}{
		{desc: "no file yet", want: 0},
		{desc: "empty", content: ptr(""), want: 0},
		{desc: "lines", content: ptr("a\nb\nc\n"), want: 3},
		{desc: "a line longer than the reader's buffer", content: ptr(strings.Repeat("x", 3<<20) + "\nshort\n"), want: 2},
		{desc: "a torn last line", content: ptr("a\nb"), want: 1, wantErr: true},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(tc.desc, " ", "-"))
		if tc.content != nil {
			if err := os.WriteFile(path, []byte(*tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := countLines(path)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("%s: countLines = %d, %v; want %d, error %t", tc.desc, got, err, tc.want, tc.wantErr)
		}
	}
}

func ptr(s string) *string { return &s }
