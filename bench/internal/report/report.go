// Package report holds a harness run's measurements and writes them as
// Markdown tables: medians per server and medians of pairwise ratios.
package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Report is a whole harness run.
type Report struct {
	Command  string // how to run it again
	Machine  string
	Settings string // pairs, duration, connections, pinning
	Sections []*Section
	// Summaries are tables across sections (the scale suite's core
	// counts), written after the sections and before the targets.
	Summaries []Summary
	Targets   []Target
	Notes     []string
}

// Summary is one table across sections.
type Summary struct {
	Title  string
	Header []string
	Rows   [][]string // as many cells as Header
	Notes  []string
}

// Section is one scenario.
type Section struct {
	Suite, Name, Title string
	Request            string // the request, spelled out
	Rows               []*Row // corsedge first
	Notes              []string
	// Lead, when set, is the row the ratios are taken against instead of
	// corsedge's, which did not run (HTTPS before corsedge serves it).
	Lead string
	Err  string // why the scenario could not run
	// Lifecycle are rows timed for start-up and edits only, reported in
	// the notes rather than the table (corsedge with one file per site).
	Lifecycle []*Row
}

// Row is one server (or corsedge with another request) in a scenario.
type Row struct {
	Label     string
	Generator string
	Runs      []Run
	CPURatio  []float64 // per pair: corsedge's CPU/request ÷ this row's
	RPSRatio  []float64 // per pair: corsedge's requests/second ÷ this row's
	Notes     []string
	Skipped   string // why it was not timed

	Errors     int64  // over all its runs; any makes its figures suspect
	FirstError string // the first of them
	RSSBefore  int64  // resident bytes before the scenario's traffic; 0 when not measured
	RSSAfter   int64  // and after it

	Startups []time.Duration // exec to the first correct answer, per start (the sites suite)
	Edits    []time.Duration // one-site edit to the first answer reflecting it, per edit
}

// Run is one timed run.
type Run struct {
	Requests  int64
	RPS       float64
	P50, P99  time.Duration
	CPUPerReq time.Duration
}

// Target is one goal a scenario carries, and whether this run met it.
type Target struct {
	Goal     string
	Measured string
	Met      bool
	NotRun   bool // the figure could not be measured (Measured says why)
}

// Median returns the median of xs (the mean of the middle two for an even count).
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// metric returns one figure of every run.
func (r *Row) metric(f func(Run) float64) []float64 {
	xs := make([]float64, len(r.Runs))
	for i, run := range r.Runs {
		xs[i] = f(run)
	}
	return xs
}

// CPU returns the median CPU time per request in µs, and its range.
func (r *Row) CPU() (median, low, high float64) {
	xs := r.metric(func(run Run) float64 { return float64(run.CPUPerReq) / 1e3 })
	if len(xs) == 0 {
		return 0, 0, 0
	}
	return Median(xs), slices.Min(xs), slices.Max(xs)
}

// RPS returns the median requests per second over the row's runs.
func (r *Row) RPS() float64 { return Median(r.metric(func(run Run) float64 { return run.RPS })) }

// Busy returns the median over the row's runs of the server's CPU time per
// second of the run (requests/second × CPU/request): how many cores it kept
// busy, which says whether it was saturated or waited on the load generator.
func (r *Row) Busy() float64 {
	return Median(r.metric(func(run Run) float64 { return run.RPS * run.CPUPerReq.Seconds() }))
}

// Markdown writes the report.
func (rep *Report) Markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Command: `%s`\n\nMachine: %s\n\nSettings: %s\n", rep.Command, rep.Machine, rep.Settings)
	suite := ""
	for _, s := range rep.Sections {
		if s.Suite != suite {
			suite = s.Suite
			fmt.Fprintf(&b, "\n## %s suite\n", suite)
		}
		s.markdown(&b)
	}
	for _, s := range rep.Summaries {
		s.markdown(&b)
	}
	if len(rep.Targets) > 0 {
		b.WriteString("\n## Targets\n\n| goal | measured | met |\n|---|---|---|\n")
		for _, t := range rep.Targets {
			met := map[bool]string{true: "yes", false: "**no**"}[t.Met]
			if t.NotRun {
				met = "not run"
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", t.Goal, escape(t.Measured), met)
		}
	}
	if len(rep.Notes) > 0 {
		b.WriteString("\n")
		for _, n := range rep.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (s *Section) markdown(b *strings.Builder) {
	fmt.Fprintf(b, "\n### %s (`%s`)\n\n%s\n\n", s.Title, s.Name, s.Request)
	if s.Err != "" {
		fmt.Fprintf(b, "Not run: %s\n", s.Err)
		return
	}
	lead := "corsedge"
	if s.Lead != "" {
		lead = "lead"
		fmt.Fprintf(b, "corsedge did not run: the ratio columns are %s (the lead) ÷ each row.\n\n", escape(s.Lead))
	}
	fmt.Fprintf(b, "| server | load | req/s | p50 µs | p99 µs | CPU µs/req (min–max) | CPU %[1]s÷server | req/s %[1]s÷server | notes |\n", lead)
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|---|\n")
	for _, r := range s.Rows {
		notes := strings.Join(r.Notes, "; ")
		if r.Skipped != "" {
			fmt.Fprintf(b, "| %s | | | | | | | | not timed: %s |\n", escape(r.Label), cell(r.Skipped, notes))
			continue
		}
		cpu, low, high := r.CPU()
		cpuRatio, rpsRatio := "", ""
		if len(r.CPURatio) > 0 {
			cpuRatio = fmt.Sprintf("%.2f", Median(r.CPURatio))
			rpsRatio = fmt.Sprintf("%.2f", Median(r.RPSRatio))
		}
		fmt.Fprintf(b, "| %s | %s | %.0f | %.0f | %.0f | %.2f (%.2f–%.2f) | %s | %s | %s |\n",
			escape(r.Label), r.Generator, r.RPS(),
			Median(r.metric(func(run Run) float64 { return float64(run.P50) / 1e3 })),
			Median(r.metric(func(run Run) float64 { return float64(run.P99) / 1e3 })),
			cpu, low, high, cpuRatio, rpsRatio, escape(notes))
	}
	for _, n := range s.Notes {
		fmt.Fprintf(b, "\n%s\n", n)
	}
}

func (s *Summary) markdown(b *strings.Builder) {
	fmt.Fprintf(b, "\n### %s\n\n|", s.Title)
	for _, h := range s.Header {
		fmt.Fprintf(b, " %s |", escape(h))
	}
	b.WriteString("\n|" + strings.Repeat("---|", len(s.Header)) + "\n")
	for _, row := range s.Rows {
		b.WriteString("|")
		for _, c := range row {
			fmt.Fprintf(b, " %s |", escape(c))
		}
		b.WriteString("\n")
	}
	for _, n := range s.Notes {
		fmt.Fprintf(b, "\n%s\n", n)
	}
}

func cell(parts ...string) string {
	var nonEmpty []string
	for _, p := range parts {
		if p != "" {
			nonEmpty = append(nonEmpty, p)
		}
	}
	return escape(strings.Join(nonEmpty, "; "))
}

// escape keeps a note inside its table cell.
func escape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
