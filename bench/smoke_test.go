package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"corsedge/bench/internal/harness"
	"corsedge/bench/internal/peers"
	"corsedge/bench/internal/report"
	"corsedge/bench/internal/scenario"
)

// TestSmoke runs every scenario of every suite for about a second each
// (of the ops suite, whose scenarios are alike, one per request and log
// mode; the sites suite on 100 sites, against corsedge on one rule, one
// start and one edit), with corsedge and the Go peers and the built-in load generator,
// so the harness keeps working on a machine with only Go. Until corsedge
// serves HTTPS, its rows of the tls suite must say so and the peers' must run.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs servers")
	}
	https := corsedgeServesHTTPS(t)
	var names []string
	for _, sc := range scenario.All() {
		if !slices.Contains(scenario.DefaultSuites, sc.Suite) {
			continue // the scale suite: TestSmokeScale
		}
		if sc.Suite != "ops" || slices.Contains(smokeOps, sc.Name) {
			names = append(names, sc.Name)
		}
	}
	var log strings.Builder
	rep, err := harness.Run(context.Background(), harness.Config{
		Suites:    scenario.DefaultSuites,
		Scenarios: names,
		Peers:     map[string][]string{"cors": {"bare", "rscors"}, "assets": {"bare"}, "tls": {"bare"}},
		Pairs:     1,
		Duration:  150 * time.Millisecond,
		Warmup:    50 * time.Millisecond,
		Conns:     8,
		Load:      "go",
		FillLimit: 2000,
		Sites:     smokeSites, Starts: 1, Edits: 1, SitesDir: true,
		Command: "smoke test",
		Log:     &log,
	})
	if err != nil {
		t.Fatalf("harness: %v\n%s", err, log.String())
	}
	if got, want := len(rep.Sections), len(names); got != want {
		t.Fatalf("%d scenarios ran, want %d", got, want)
	}
	var cpu time.Duration // a run is too short to be sure of a clock tick; all of them are not
	for _, sec := range rep.Sections {
		if sec.Err != "" {
			t.Errorf("%s: %s", sec.Name, sec.Err)
		}
		for i, row := range sec.Rows {
			switch {
			case sec.Suite == "tls" && i == 0 && !https:
				if !strings.Contains(row.Skipped, "did not start with -tls-addr") {
					t.Errorf("%s: corsedge without HTTPS: row %q skipped %q", sec.Name, row.Label, row.Skipped)
				}
			case timed(t, sec.Name, row):
				cpu += row.Runs[0].CPUPerReq
			}
			if sec.Name == "preflight-log-100pct" && i == 0 && !strings.Contains(strings.Join(row.Notes, "; "), "lines ÷ requests = 1.0000") {
				t.Errorf("%s: %s: no evidence of a line per request: %q", sec.Name, row.Label, row.Notes)
			}
			if sec.Name == "sites-preflight" && i == 0 && !strings.Contains(strings.Join(row.Notes, "; "), "1 one-site edits to effect under load") {
				t.Errorf("%s: %s: no edit timed: %q", sec.Name, row.Label, row.Notes)
			}
			if sec.Name == "sites-preflight" && i == 0 && len(row.Startups) != 1 {
				t.Errorf("%s: %s: %d start-ups timed, want 1", sec.Name, row.Label, len(row.Startups))
			}
			if sec.Name == "tls-handshake" && row.Skipped == "" && !strings.Contains(strings.Join(row.Notes, "; "), ", 0 resumed (client side)") {
				t.Errorf("%s: %s: no evidence of full handshakes: %q", sec.Name, row.Label, row.Notes)
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
	for _, want := range []string{"| corsedge |", "| bare fasthttp", "| net/http + rs/cors |", "RSS ", "| " + scenario.LogOff + " |", "| " + scenario.OneRule, "| " + scenario.OneRuleSpread} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, md.String())
		}
	}
	if t.Failed() {
		t.Log(log.String())
	}
}

// timed reports whether row was timed without errors and served requests,
// and fails the test when it was not.
func timed(t *testing.T, scenario string, row *report.Row) bool {
	t.Helper()
	switch {
	case row.Skipped != "":
		t.Errorf("%s: %s not timed: %s", scenario, row.Label, row.Skipped)
	case row.Errors > 0:
		t.Errorf("%s: %s: %d errors, first: %s", scenario, row.Label, row.Errors, row.FirstError)
	case len(row.Runs) == 0 || row.Runs[0].Requests == 0:
		t.Errorf("%s: %s served no requests", scenario, row.Label)
	default:
		return true
	}
	return false
}

// smokeOps are the ops scenarios the smoke test runs: each request, each
// log mode (the line count is exact at 100%, binomial at 1%).
var smokeOps = []string{"preflight-log-100pct", "get-log-1pct"}

// smokeSites is the sites suite's size in the smoke test: enough for every
// probe position, small enough to write and load in a moment.
const smokeSites = 100

// corsedgeServesHTTPS reports whether this corsedge has -tls-addr.
func corsedgeServesHTTPS(t *testing.T) bool {
	bin := filepath.Join(t.TempDir(), "corsedge")
	if out, err := exec.Command("go", "build", "-o", bin, "corsedge").CombinedOutput(); err != nil {
		t.Fatalf("go build corsedge: %v\n%s", err, out)
	}
	out, _ := exec.Command(bin, "serve", "-h").CombinedOutput() // usage exits non-zero
	return strings.Contains(string(out), "-tls-addr")
}

// TestSmokeScale runs the scale suite at one server core and at as many as
// the machine has, which never fits (the load generator needs as many
// again): the first count's rows must be timed, the second's must say why
// not, in its section, the summary and the targets.
func TestSmokeScale(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs servers")
	}
	cores := runtime.NumCPU()
	var scalePeers []string
	if peers.NginxBinary() != "" {
		scalePeers = []string{"nginx"}
	}
	var log strings.Builder
	rep, err := harness.Run(context.Background(), harness.Config{
		Suites:      []string{scenario.Scale},
		Peers:       map[string][]string{scenario.Scale: scalePeers},
		ScaleCounts: []int{1, cores},
		Pairs:       1,
		Duration:    150 * time.Millisecond,
		Warmup:      50 * time.Millisecond,
		Conns:       8,
		Load:        "go",
		Command:     "smoke test",
		Log:         &log,
	})
	if err != nil {
		t.Fatalf("harness: %v\n%s", err, log.String())
	}
	if got := len(rep.Sections); got != 4 { // two templates at two counts
		t.Fatalf("%d sections, want 4 (scale-preflight and scale-get at 1 and %d cores)", got, cores)
	}
	unfit := fmt.Sprintf("this machine has %d cores", cores)
	for i, sec := range rep.Sections {
		if i%2 == 1 || cores < 2 { // the count that cannot fit
			if !strings.Contains(sec.Err, unfit) {
				t.Errorf("%s (%s): Err %q, want it to say %q", sec.Name, sec.Title, sec.Err, unfit)
			}
			continue
		}
		want := []string{scenario.WorkersLabel(1), scenario.OneProcessLabel(1)}
		if scalePeers != nil {
			want = append(want, peers.NginxLabel)
		}
		var got []string
		for _, row := range sec.Rows {
			got = append(got, row.Label)
			timed(t, sec.Name, row)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: rows %q, want %q", sec.Name, got, want)
		}
	}
	var md strings.Builder
	if err := rep.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	wants := []string{
		"### Scaling: allowed preflight (cached) (`scale-preflight`)",
		fmt.Sprintf("| %d | not run: %s", cores, unfit),
		fmt.Sprintf("requests/second ≥ nginx's with worker_processes %d | %s", cores, unfit),
	}
	if cores >= 2 {
		wants = append(wants, "| "+scenario.WorkersLabel(1)+" |", "| 1 | ")
	}
	for _, want := range wants {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, md.String())
		}
	}
	if t.Failed() {
		t.Log(log.String())
	}
}
