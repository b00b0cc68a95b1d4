package scenario

import (
	"fmt"
	"strconv"

	"corsedge/bench/internal/peers"
)

// Scale is the suite that times corsedge's -workers against nginx's
// worker_processes at each of several server core counts.
const Scale = "scale"

// DefaultScaleCounts are the server core counts the scale suite runs at.
var DefaultScaleCounts = []int{1, 2, 4, 8}

// WorkersLabel is the scale suite's corsedge row at n server cores.
func WorkersLabel(n int) string { return fmt.Sprintf("corsedge -workers %d", n) }

// OneProcessLabel is the scale suite's row of corsedge as one process
// with GOMAXPROCS n: what the workers are judged to buy.
func OneProcessLabel(n int) string { return fmt.Sprintf("corsedge, one process, GOMAXPROCS=%d", n) }

// scaleSuite returns the scale suite's templates: the cors suite's cached
// allowed preflight and its small-script GET, each run once per count.
func scaleSuite() []*Scenario {
	return []*Scenario{
		{
			Name: "scale-preflight", Suite: Scale, Title: "allowed preflight (cached)",
			Request: allowedPreflight(), Status: 204, Checks: corsChecks, PerCount: true,
		},
		{
			Name: "scale-get", Suite: Scale, Title: "GET of a small script with an allowed Origin",
			Request: allowedGet(), Status: 200, Checks: corsChecks, PerCount: true,
		},
	}
}

// AtCount returns the scale template sc at n server cores: corsedge with
// -workers n (its supervisor and n single-core workers) timed against
// corsedge as one process with GOMAXPROCS n, and the suite's peers (nginx
// with worker_processes n), judged on requests per second against nginx's.
func AtCount(sc *Scenario, n int) *Scenario {
	at := *sc
	at.PerCount, at.Cores = false, n
	at.Title = fmt.Sprintf("%s, %d server core(s)", sc.Title, n)
	id := fmt.Sprintf("%s-%d", sc.Name, n)
	at.Subject = &Variant{Name: id + "-workers", Label: WorkersLabel(n), Flags: []string{"-workers", strconv.Itoa(n)}}
	at.Against = []Variant{{Name: id + "-one", Label: OneProcessLabel(n), Env: []string{"GOMAXPROCS=" + strconv.Itoa(n)}}}
	at.Targets = []Target{{
		Goal: fmt.Sprintf("%s, %d worker(s): corsedge -workers %d requests/second ≥ nginx's with worker_processes %d", sc.Title, n, n, n),
		Row:  peers.NginxLabel, Metric: "rps", Min: 1,
	}}
	return &at
}
