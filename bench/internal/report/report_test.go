package report

import (
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		desc string
		xs   []float64
		want float64
	}{
		{desc: "none", want: 0},
		{desc: "odd count", xs: []float64{3, 1, 2}, want: 2},
		{desc: "even count", xs: []float64{4, 1, 3, 2}, want: 2.5},
		{desc: "an outlier does not move it", xs: []float64{1, 1, 1, 1, 100}, want: 1},
	}
	for _, tc := range tests {
		if got := Median(tc.xs); got != tc.want {
			t.Errorf("%s: Median(%v) = %v, want %v", tc.desc, tc.xs, got, tc.want)
		}
	}
}

func TestMarkdown(t *testing.T) {
	run := func(cpu time.Duration) Run {
		return Run{Requests: 1000, RPS: 50000, P50: 300 * time.Microsecond, P99: time.Millisecond, CPUPerReq: cpu}
	}
	rep := &Report{Command: "go run ./bench", Machine: "test machine", Sections: []*Section{{
		Suite: "cors", Name: "preflight-allowed", Title: "allowed preflight", Request: "Request: x.",
		Rows: []*Row{
			{Label: "corsedge", Generator: "wrk", Runs: []Run{run(10 * time.Microsecond), run(12 * time.Microsecond)}},
			{Label: "nginx", Generator: "wrk", Runs: []Run{run(11 * time.Microsecond)}, CPURatio: []float64{0.9, 1.1, 0.95}, RPSRatio: []float64{1, 1, 1}},
			{Label: "odd | peer", Skipped: "answers differently: status 200"},
		},
	}}, Targets: []Target{{Goal: "g", Measured: "m", Met: false}}}
	var b strings.Builder
	if err := rep.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Command: `go run ./bench`", "## cors suite", "### allowed preflight (`preflight-allowed`)",
		"| corsedge | wrk | 50000 | 300 | 1000 | 11.00 (10.00–12.00) |  |  |  |",
		"| nginx | wrk | 50000 | 300 | 1000 | 11.00 (11.00–11.00) | 0.95 | 1.00 |  |",
		`| odd \| peer | | | | | | | | not timed: answers differently: status 200 |`,
		"| g | m | **no** |",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}
