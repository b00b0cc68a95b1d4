// Command bench is corsedge's side-by-side load harness: it builds
// corsedge and its peers, gives them the same CORS policy and asset tree,
// pins them and the load generator to different cores, times them in
// alternation and prints a Markdown table. See README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"corsedge/bench/internal/harness"
	"corsedge/bench/internal/scenario"
)

func main() {
	os.Exit(run())
}

func run() int {
	var suites string
	flag.StringVar(&suites, "suite", "all", "comma-separated suites: cors, assets, tls, ops, sites, scale; or all (every one but scale)")
	flag.StringVar(&suites, "suites", "all", "the same as -suite")
	names := flag.String("scenarios", "", "comma-separated scenario names (default: all of the suite)")
	corsPeers := flag.String("peers", "bare,rscors,nginx", "peers of the cors suite, comma-separated")
	assetPeers := flag.String("asset-peers", "nginx", "peers of the assets suite, comma-separated")
	tlsPeers := flag.String("tls-peers", "bare,nginx", "peers of the tls suite, comma-separated")
	sitesPeers := flag.String("sites-peers", "nginx,nginx-regex", "peers of the sites suite, comma-separated")
	scalePeers := flag.String("scale-peers", "nginx", "peers of the scale suite, besides corsedge as one process")
	scaleCounts := flag.String("scale-counts", counts(scenario.DefaultScaleCounts), "scale suite: server core counts, comma-separated; each needs as many load cores")
	sites := flag.Int("sites", scenario.DefaultSites, "sites suite: number of sites, one rule each")
	starts := flag.Int("starts", 3, "sites suite: timed start-ups of each server")
	edits := flag.Int("edits", 5, "sites suite: one-site edits under load, per server")
	sitesDir := flag.Bool("sites-dir", true, "sites suite: also time corsedge on one file per site (include), when it accepts that")
	pairs := flag.Int("pairs", 5, "alternating corsedge/peer pairs of runs per comparison")
	duration := flag.Duration("duration", 2*time.Second, "length of one timed run (wrk: whole seconds)")
	warmup := flag.Duration("warmup", time.Second, "untimed run per server before the pairs")
	conns := flag.Int("conns", 64, "keep-alive connections")
	cores := flag.Int("cores", 1, "servers run on cores 0..N-1, the load generator on the rest; 0: no pinning")
	gen := flag.String("load", "auto", "load generator: auto (wrk when installed), wrk or go")
	out := flag.String("out", "", "also write the Markdown report to this file")
	profile := flag.String("cpuprofile", "", "profile corsedge (serve -cpuprofile); write DIR/corsedge-SCENARIO.prof")
	dir := flag.String("workdir", "", "keep configs, logs and binaries here (default: a temporary directory)")
	bin := flag.String("bin", "", "take corsedge and the Go peers from this directory, built beforehand (go build -o DIR/ …), instead of building them")
	flag.Parse()
	scale, err := parseCounts(*scaleCounts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: -scale-counts:", err)
		return 2
	}

	cfg := harness.Config{
		Suites: scenario.DefaultSuites,
		Peers: map[string][]string{"cors": list(*corsPeers), "assets": list(*assetPeers), "tls": list(*tlsPeers),
			"sites": list(*sitesPeers), scenario.Scale: list(*scalePeers)},
		Scenarios: list(*names), Pairs: *pairs, Duration: *duration, Warmup: *warmup, Conns: *conns,
		Cores: *cores, Load: *gen, Profile: *profile, Dir: *dir, Command: command(), Log: os.Stderr,
		Sites: *sites, Starts: *starts, Edits: *edits, SitesDir: *sitesDir,
		ScaleCounts: scale, Bin: *bin,
	}
	if suites != "all" {
		cfg.Suites = list(suites)
	}
	if *profile != "" {
		if err := os.MkdirAll(*profile, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := harness.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	if err := rep.Markdown(os.Stdout); err != nil {
		return 1
	}
	if *out != "" {
		f, err := os.Create(*out)
		if err == nil {
			err = rep.Markdown(f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
	}
	return 0
}

func list(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// counts writes core counts as -scale-counts takes them.
func counts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// parseCounts reads -scale-counts.
func parseCounts(s string) ([]int, error) {
	var ns []int
	for _, f := range list(s) {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q: want positive counts, comma-separated", s)
		}
		ns = append(ns, n)
	}
	return ns, nil
}

// command reconstructs how this run was started, for the report.
func command() string {
	args := strings.Join(os.Args[1:], " ")
	if !strings.Contains(os.Args[0], "go-build") { // a built binary, not go run's
		return strings.TrimSpace(os.Args[0] + " " + args)
	}
	if _, err := os.Stat("go.work"); err == nil {
		return strings.TrimSpace("go run ./bench " + args)
	}
	return strings.TrimSpace("cd bench && go run . " + args)
}
