package harness

import (
	"fmt"
	"slices"
	"strings"

	"corsedge/bench/internal/report"
	"corsedge/bench/internal/scenario"
)

// targets judges each run scenario's figures against the targets it carries.
func targets(scenarios []*scenario.Scenario, sections []*report.Section) []report.Target {
	var out []report.Target
	for i, sc := range scenarios {
		sec := sections[i]
		for _, t := range sc.Targets {
			if sec.Err != "" {
				out = append(out, report.Target{Goal: t.Goal, NotRun: true, Measured: sec.Err})
				continue
			}
			if len(sec.Rows) > 0 && sec.Rows[0].Skipped != "" {
				out = append(out, report.Target{Goal: t.Goal, NotRun: true, Measured: "corsedge did not run: " + sec.Rows[0].Skipped})
				continue
			}
			if x, measured, ok := figure(sec, t); ok {
				out = append(out, report.Target{Goal: t.Goal, Measured: measured, Met: t.Met(x)})
			} else if sc.Cores > 0 {
				// The scale table lists every count: one whose peer did not
				// run (nginx not installed) says so rather than vanishing.
				out = append(out, report.Target{Goal: t.Goal, NotRun: true, Measured: t.Row + " not timed"})
			}
		}
	}
	return out
}

// figure returns the number t judges in sec and how to read it, or false
// when the scenario did not measure it (a peer not run, memory not read).
func figure(sec *report.Section, t scenario.Target) (float64, string, bool) {
	if t.Metric == "rss" {
		if len(sec.Rows) == 0 || sec.Rows[0].RSSAfter == 0 {
			return 0, "", false
		}
		grow := mib(sec.Rows[0].RSSAfter - sec.Rows[0].RSSBefore)
		return grow, fmt.Sprintf("%+.1f MiB", grow), true
	}
	if t.Metric == "startup" || t.Metric == "edit" {
		return lifecycleFigure(sec, t)
	}
	for _, r := range sec.Rows {
		if !strings.HasPrefix(r.Label, t.Row) || r.Skipped != "" || len(r.CPURatio) == 0 {
			continue
		}
		x := report.Median(r.CPURatio)
		if t.Metric == "rps" {
			x = report.Median(r.RPSRatio)
		}
		return x, fmt.Sprintf("corsedge ÷ %s = %.3f", t.Row, x), true
	}
	return 0, "", false
}

// lifecycleFigure is the median start-up or the edit figure (editFigure:
// the p99, or the slowest of fewer than minP99Edits) of the row t names
// (corsedge's when Row is ""), in milliseconds.
func lifecycleFigure(sec *report.Section, t scenario.Target) (float64, string, bool) {
	for _, r := range append(slices.Clip(sec.Rows), sec.Lifecycle...) {
		if t.Row != "" && !strings.HasPrefix(r.Label, t.Row) {
			continue
		}
		ds := r.Startups
		if t.Metric == "edit" {
			ds = r.Edits
		}
		if len(ds) == 0 {
			return 0, "", false
		}
		s := slices.Sorted(slices.Values(ds))
		x, what := s[len(s)/2], "median start-up"
		if t.Metric == "edit" {
			x, what = editFigure(ds)
		}
		ms := float64(x) / 1e6
		return ms, fmt.Sprintf("%s: %s %.0f ms", r.Label, what, ms), true
	}
	return 0, "", false
}
