// Package harness runs the side-by-side benchmark: it builds and starts
// corsedge and its peers, checks that they answer alike, times them in
// alternation and collects the figures into a report.
package harness

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"corsedge/bench/internal/fixture"
	"corsedge/bench/internal/load"
	"corsedge/bench/internal/peers"
	"corsedge/bench/internal/report"
	"corsedge/bench/internal/scenario"
)

// Config is one harness run.
type Config struct {
	Suites    []string            // "cors", "assets", "tls", "ops", "sites", "scale"
	Scenarios []string            // by name; empty runs every scenario of Suites
	Peers     map[string][]string // per suite: peer names, in table order
	Pairs     int                 // alternating corsedge/peer pairs of runs per comparison
	Duration  time.Duration       // of one timed run
	Warmup    time.Duration       // untimed run per server before the pairs
	Conns     int                 // keep-alive connections
	Cores     int                 // servers get cores 0..Cores-1, the load generator the rest; 0: no pinning
	Load      string              // "auto" (wrk when installed), "wrk" or "go"
	FillLimit int64               // caps the requests of a fill (the smoke test); 0: the whole rotation
	Profile   string              // directory for CPU profiles of corsedge, one per scenario; "" for none
	Bin       string              // prebuilt corsedge and Go peers (peers.Prebuilt); "" builds them with go
	Dir       string              // work directory; a temporary one, removed afterwards, when ""
	Command   string              // the command line, for the report
	Log       io.Writer           // progress; nil for none
	// The sites suite: how many sites (scenario.DefaultSites when 0), how
	// many timed starts of each server (3 when 0) and one-site edits under
	// load (5 when 0), and whether to also time corsedge on the directory
	// layout (one file per site, included from the main file).
	Sites, Starts, Edits int
	SitesDir             bool
	// ScaleCounts are the server core counts of the scale suite
	// (scenario.DefaultScaleCounts when empty); a count is run only when it
	// and at least as many load generator cores fit on the machine.
	ScaleCounts []int
}

// harness is the state of one Run.
type harness struct {
	cfg   Config
	env   *peers.Env
	gen   load.Generator // the load generator, placed on the load cores (place)
	fill  load.Generator // sends an exact number of requests: the built-in one
	wrk   string         // the wrk binary when wrk generates the load; "" for the built-in one
	cores int            // the machine's
	// Where the servers and the load generator run now (place): taskset
	// lists, "" when unpinned; and the keep-alive connections of a run.
	serverCores, loadCores string
	conns                  int
	pinned                 bool // this process's threads were pinned

	peers map[string][]*peers.Peer // per suite, those that can run here
	// clientTLS is the load generators' and probes' TLS configuration:
	// it trusts the fixture's CA and keeps no session cache.
	clientTLS *tls.Config
	sites     *fixture.Sites // written by the first sites scenario
	siteRefs  []siteShape    // corsedge's answers at the probed positions of the scenario running
	edits     int            // one-site edits made so far: each adds a new origin
}

// Run runs the configured scenarios and returns their report.
func Run(ctx context.Context, cfg Config) (*report.Report, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Pairs < 1 || cfg.Conns < 1 || cfg.Duration <= 0 {
		return nil, errors.New("harness: Pairs, Conns and Duration must be positive")
	}
	scenarios, err := selectScenarios(cfg.Suites, cfg.Scenarios)
	if err != nil {
		return nil, err
	}
	if scenarios, err = expandScale(scenarios, cfg.ScaleCounts); err != nil {
		return nil, err
	}
	h := &harness{cfg: cfg, fill: load.Go{}, peers: map[string][]*peers.Peer{}}
	var notes []string
	var build []*peers.Peer
	for _, suite := range cfg.Suites {
		for _, name := range cfg.Peers[suite] {
			p, ok := peers.Lookup(name)
			switch {
			case !ok:
				return nil, fmt.Errorf("harness: unknown peer %q (known: %s)", name, strings.Join(peers.Names(), ", "))
			case p.Missing != "":
				notes = append(notes, fmt.Sprintf("%s suite: %s not run: %s.", suite, p.Label, p.Missing))
			default:
				h.peers[suite] = append(h.peers[suite], p)
				build = append(build, p)
			}
		}
	}
	h.cores = len(machineCPUs)
	if cfg.Cores > 0 && cfg.Cores >= h.cores {
		return nil, fmt.Errorf("harness: -cores %d leaves none of the %d cores for the load generator", cfg.Cores, h.cores)
	}
	wrk := load.FindWrk()
	switch {
	case cfg.Load == "go" || (cfg.Load == "auto" && wrk == ""):
	case cfg.Load == "wrk" || cfg.Load == "auto":
		if wrk == "" {
			return nil, errors.New("harness: -load wrk: wrk is not installed (apt-get install wrk)")
		}
		h.wrk = wrk
	default:
		return nil, fmt.Errorf("harness: unknown load generator %q (auto, wrk, go)", cfg.Load)
	}
	dir := cfg.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "corsedge-bench-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
	}
	files, err := fixture.Write(dir)
	if err != nil {
		return nil, err
	}
	if h.clientTLS, err = fixture.ClientTLS(files); err != nil {
		return nil, err
	}
	h.env = &peers.Env{Dir: dir, Bin: filepath.Join(dir, "bin"), Files: files}
	if cfg.Bin != "" {
		if h.env.Bin, err = filepath.Abs(cfg.Bin); err != nil {
			return nil, err
		}
		if err := peers.Prebuilt(h.env, build); err != nil {
			return nil, err
		}
	} else {
		fmt.Fprintf(cfg.Log, "building corsedge and the Go peers in %s\n", h.env.Bin)
		if err := peers.Build(h.env, build); err != nil {
			return nil, err
		}
	}
	if err := h.place(cfg.Cores, cfg.Conns); err != nil {
		return nil, err
	}
	rep := &report.Report{Command: cfg.Command, Machine: machineLine(h.wrk, h.env.Bin), Settings: h.settings(), Notes: notes}
	for _, sc := range scenarios {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sec, err := h.runPlaced(ctx, sc)
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", sc.Suite, sc.Name, err)
		}
		rep.Sections = append(rep.Sections, sec)
	}
	rep.Summaries = scaleSummaries(scenarios, rep.Sections)
	rep.Targets = targets(scenarios, rep.Sections)
	return rep, nil
}

func (h *harness) settings() string {
	pin := "unpinned"
	if h.serverCores != "" {
		pin = fmt.Sprintf("servers on core(s) %s, load generator on core(s) %s (taskset)", h.serverCores, h.loadCores)
	}
	if slices.Contains(h.cfg.Suites, scenario.Scale) {
		pin += " (the scale suite places each core count itself, with -conns connections per server core: its sections say where)"
	}
	return fmt.Sprintf("%d alternating pairs of %v runs per comparison after a %v warm-up, %d keep-alive connections, %s; "+
		"CPU = the server's user+system time from /proc/PID/stat over a run ÷ the responses it served",
		h.cfg.Pairs, h.cfg.Duration, h.cfg.Warmup, h.conns, pin)
}

// selectScenarios returns the scenarios of suites, narrowed to names when given.
func selectScenarios(suites, names []string) ([]*scenario.Scenario, error) {
	for _, s := range suites {
		if !slices.Contains(scenario.Suites, s) {
			return nil, fmt.Errorf("harness: unknown suite %q (%s)", s, strings.Join(scenario.Suites, ", "))
		}
	}
	var out []*scenario.Scenario
	known := map[string]bool{}
	for _, sc := range scenario.All() {
		known[sc.Name] = true
		if slices.Contains(suites, sc.Suite) && (len(names) == 0 || slices.Contains(names, sc.Name)) {
			out = append(out, sc)
		}
	}
	for _, n := range names {
		if !known[n] {
			return nil, fmt.Errorf("harness: unknown scenario %q", n)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("harness: no scenario selected")
	}
	return out, nil
}
