package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"corsedge/bench/internal/harness"
	"corsedge/bench/internal/scenario"
)

// TestSmoke runs every scenario of both suites for about a second each,
// with corsedge and the Go peers and the built-in load generator, so the
// harness keeps working on a machine with only Go.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs servers")
	}
	var log strings.Builder
	rep, err := harness.Run(context.Background(), harness.Config{
		Suites:    scenario.Suites,
		Peers:     map[string][]string{"cors": {"bare", "rscors"}, "assets": {"bare"}},
		Pairs:     1,
		Duration:  150 * time.Millisecond,
		Warmup:    50 * time.Millisecond,
		Conns:     8,
		Load:      "go",
		FillLimit: 2000,
		Command:   "smoke test",
		Log:       &log,
	})
	if err != nil {
		t.Fatalf("harness: %v\n%s", err, log.String())
	}
	if got, want := len(rep.Sections), len(scenario.All()); got != want {
		t.Fatalf("%d scenarios ran, want %d", got, want)
	}
	var cpu time.Duration // a run is too short to be sure of a clock tick; all of them are not
	for _, sec := range rep.Sections {
		if sec.Err != "" {
			t.Errorf("%s: %s", sec.Name, sec.Err)
		}
		for _, row := range sec.Rows {
			switch {
			case row.Skipped != "":
				t.Errorf("%s: %s not timed: %s", sec.Name, row.Label, row.Skipped)
			case row.Errors > 0:
				t.Errorf("%s: %s: %d errors, first: %s", sec.Name, row.Label, row.Errors, row.FirstError)
			case len(row.Runs) == 0 || row.Runs[0].Requests == 0:
				t.Errorf("%s: %s served no requests", sec.Name, row.Label)
			default:
				cpu += row.Runs[0].CPUPerReq
			}
		}
	}
	if cpu == 0 {
		t.Error("no server CPU time measured in any run")
	}
	var md strings.Builder
	if err := rep.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| corsedge |", "| bare fasthttp", "| net/http + rs/cors |", "RSS "} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, md.String())
		}
	}
	if t.Failed() {
		t.Log(log.String())
	}
}
