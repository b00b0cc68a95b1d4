package harness

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"corsedge/bench/internal/load"
	"corsedge/bench/internal/peers"
	"corsedge/bench/internal/report"
	"corsedge/bench/internal/scenario"
)

// expandScale replaces each scale suite template with one scenario per
// server core count, in the order of counts (scenario.DefaultScaleCounts
// when empty).
func expandScale(scenarios []*scenario.Scenario, counts []int) ([]*scenario.Scenario, error) {
	if len(counts) == 0 {
		counts = scenario.DefaultScaleCounts
	}
	for _, n := range counts {
		if n < 1 {
			return nil, fmt.Errorf("harness: scale count %d: want 1 or more", n)
		}
	}
	var out []*scenario.Scenario
	for _, sc := range scenarios {
		if !sc.PerCount {
			out = append(out, sc)
			continue
		}
		for _, n := range counts {
			out = append(out, scenario.AtCount(sc, n))
		}
	}
	return out, nil
}

// place puts the servers started from now on onto the first n of the
// machine's cores (nginx with worker_processes n), this process and the
// load generator onto the rest (wrk with a thread per core), and sets the
// connections of a run; n = 0 pins nothing.
func (h *harness) place(n, conns int) error {
	h.conns = conns
	h.env.Cores, h.env.Workers, h.serverCores, h.loadCores = "", max(n, 1), "", ""
	switch {
	case n > 0:
		h.serverCores, h.loadCores = cpuList(machineCPUs[:n]), cpuList(machineCPUs[n:])
		h.env.Cores = h.serverCores
		if err := pinSelf(machineCPUs[n:]); err != nil {
			return err
		}
		h.pinned = true
	case h.pinned: // back from a scale scenario to a run that pins nothing
		if err := pinSelf(machineCPUs); err != nil {
			return err
		}
		h.pinned = false
	}
	h.gen = load.Go{}
	if h.wrk != "" {
		h.gen = &load.Wrk{Path: h.wrk, Cores: h.loadCores, Threads: max(h.cores-n, 1), Dir: h.env.Dir}
	}
	return nil
}

// runPlaced runs sc where it asks to run: a scale scenario on its own
// count of server cores, with -conns connections per server core, or not
// at all when the count and as many load cores do not fit the machine;
// any other on the run's -cores.
func (h *harness) runPlaced(ctx context.Context, sc *scenario.Scenario) (sec *report.Section, err error) {
	if sc.Cores == 0 {
		return h.runScenario(ctx, sc)
	}
	if why := h.unfit(sc.Cores); why != "" {
		fmt.Fprintf(h.cfg.Log, "\n== %s/%s: not run: %s\n", sc.Suite, sc.Name, why)
		return &report.Section{Suite: sc.Suite, Name: sc.Name, Title: sc.Title, Request: describe(sc, h.gen.Name()), Err: why}, nil
	}
	if err := h.place(sc.Cores, h.cfg.Conns*sc.Cores); err != nil {
		return nil, err
	}
	defer func() {
		if perr := h.place(h.cfg.Cores, h.cfg.Conns); err == nil {
			err = perr
		}
	}()
	if sec, err = h.runScenario(ctx, sc); err != nil {
		return nil, err
	}
	sec.Notes = append(sec.Notes, h.placementNote(sc.Cores))
	return sec, nil
}

// unfit says why n server cores cannot be timed here, "" when they can:
// the load generator needs at least as many cores of its own, or it, not
// the servers, would set the pace.
func (h *harness) unfit(n int) string {
	if 2*n <= h.cores {
		return ""
	}
	return fmt.Sprintf("this machine has %d cores; %d server cores and at least %d for the load generator need %d", h.cores, n, n, 2*n)
}

func (h *harness) placementNote(n int) string {
	gen := "the built-in generator"
	if w, ok := h.gen.(*load.Wrk); ok {
		gen = fmt.Sprintf("wrk `-t%d`", w.Threads)
	}
	workers := fmt.Sprintf("corsedge -workers %d: a supervisor and %d workers of GOMAXPROCS=1, each with its own SO_REUSEPORT socket; "+
		"corsedge as one process with GOMAXPROCS=%d; nginx with worker_processes %d and reuseport", n, n, n, n)
	if n == 1 {
		workers = "corsedge -workers 1 is one process without a supervisor, the same server as the one-process row: " +
			"their ratio is the noise floor; nginx with worker_processes 1"
	}
	return fmt.Sprintf("Servers on core(s) %s (taskset; %s), %s on core(s) %s, %d keep-alive connections (%d × %d). "+
		"CPU/request and busy cores count every process of a server: corsedge's supervisor and its workers, nginx's master and workers.",
		h.serverCores, workers, gen, h.loadCores, h.conns, h.cfg.Conns, n)
}

// countProcesses notes on each row of a scale scenario how many processes
// its CPU time and memory are summed over, and fails when corsedge -workers
// n (n > 1) is not its supervisor and n workers: CPU left uncounted would
// flatter it.
func countProcesses(sc *scenario.Scenario, ce *contender, rivals []*contender) error {
	for _, c := range append([]*contender{ce}, rivals...) {
		n := len(c.proc.PIDs())
		c.row.Notes = append(c.row.Notes, fmt.Sprintf("%d process(es) counted", n))
		if c == ce && sc.Cores > 1 && n != sc.Cores+1 {
			return fmt.Errorf("%s: %d processes (pids %v), want its supervisor and %d workers", c.row.Label, n, c.proc.PIDs(), sc.Cores)
		}
	}
	return nil
}

// scaleSummaries returns, per scale template run, one table over its core
// counts: each server's requests/second, CPU/request and busy cores, and
// the pairwise ratios of corsedge -workers to nginx and to one process.
func scaleSummaries(scenarios []*scenario.Scenario, sections []*report.Section) []report.Summary {
	var out []report.Summary
	index := map[string]int{} // template name → its summary in out
	for i, sc := range scenarios {
		if sc.Cores == 0 || sc.Suite != scenario.Scale {
			continue
		}
		k, ok := index[sc.Name]
		if !ok {
			k = len(out)
			index[sc.Name] = k
			out = append(out, report.Summary{
				Title: fmt.Sprintf("Scaling: %s (`%s`)", strings.TrimSuffix(sc.Title, fmt.Sprintf(", %d server core(s)", sc.Cores)), sc.Name),
				Header: []string{"server cores", "req/s corsedge -workers N", "req/s one process", "req/s nginx",
					"req/s workers÷nginx (median of pairs)", "req/s workers÷one process", "CPU µs/req workers / one / nginx",
					"CPU workers÷nginx", "busy cores workers / one / nginx"},
				Notes: []string{"Each row is one count's section above; the ratios are medians over its alternating pairs, " +
					"busy cores the median over runs of req/s × CPU/request: near N, the servers were saturated; well under N, something else " +
					"set the pace (the load generator, or other processes on the server cores), and req/s says little."},
			})
		}
		out[k].Rows = append(out[k].Rows, scaleRow(sc.Cores, sections[i]))
	}
	return out
}

// scaleRow is one count's line of a scale summary.
func scaleRow(n int, sec *report.Section) []string {
	row := []string{strconv.Itoa(n)}
	if sec.Err != "" {
		row = append(row, "not run: "+sec.Err)
		for len(row) < 9 {
			row = append(row, "")
		}
		return row
	}
	find := func(label string) *report.Row {
		i := slices.IndexFunc(sec.Rows, func(r *report.Row) bool { return r.Label == label })
		if i < 0 || sec.Rows[i].Skipped != "" || len(sec.Rows[i].Runs) == 0 {
			return nil
		}
		return sec.Rows[i]
	}
	workers, one, nginx := find(scenario.WorkersLabel(n)), find(scenario.OneProcessLabel(n)), find(peers.NginxLabel)
	three := func(f func(*report.Row) string) string {
		return fmt.Sprintf("%s / %s / %s", f(workers), f(one), f(nginx))
	}
	rps := func(r *report.Row) string {
		if r == nil {
			return "not timed"
		}
		return fmt.Sprintf("%.0f", r.RPS())
	}
	ratio := func(r *report.Row, xs func(*report.Row) []float64) string {
		if r == nil || len(xs(r)) == 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f", report.Median(xs(r)))
	}
	rpsRatio := func(r *report.Row) []float64 { return r.RPSRatio }
	cpuRatio := func(r *report.Row) []float64 { return r.CPURatio }
	return append(row, rps(workers), rps(one), rps(nginx), ratio(nginx, rpsRatio), ratio(one, rpsRatio),
		three(func(r *report.Row) string {
			if r == nil {
				return "–"
			}
			cpu, _, _ := r.CPU()
			return fmt.Sprintf("%.2f", cpu)
		}),
		ratio(nginx, cpuRatio),
		three(func(r *report.Row) string {
			if r == nil {
				return "–"
			}
			return fmt.Sprintf("%.2f", r.Busy())
		}))
}
