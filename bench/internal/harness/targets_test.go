package harness

import (
	"strings"
	"testing"
	"time"

	"corsedge/bench/internal/report"
	"corsedge/bench/internal/scenario"
)

func TestTargetsJudgeEachScenarioByItsOwn(t *testing.T) {
	sc := []*scenario.Scenario{
		{Name: "a", Targets: []scenario.Target{{Goal: "cpu", Row: "peer", Metric: "cpu", Max: 1}}},
		{Name: "b", Targets: []scenario.Target{{Goal: "rps", Row: "peer", Metric: "rps", Min: 1}}},
		{Name: "c", Targets: []scenario.Target{{Goal: "rss", Metric: "rss", Max: 64}}},
		{Name: "d", Targets: []scenario.Target{{Goal: "missing peer", Row: "absent", Metric: "cpu", Max: 1}}},
	}
	peer := func(cpu, rps float64) []*report.Row {
		return []*report.Row{{Label: "corsedge"}, {Label: "peer (x)", CPURatio: []float64{cpu, cpu, 9}, RPSRatio: []float64{rps, rps, 0}}}
	}
	sections := []*report.Section{
		{Name: "a", Rows: peer(0.9, 1)},
		{Name: "b", Rows: peer(1, 0.8)},
		{Name: "c", Rows: []*report.Row{{Label: "corsedge", RSSBefore: 10 << 20, RSSAfter: 100 << 20}}},
		{Name: "d", Rows: peer(0.5, 2)},
	}
	got := targets(sc, sections)
	want := []struct {
		goal string
		met  bool
	}{{"cpu", true}, {"rps", false}, {"rss", false}}
	if len(got) != len(want) {
		t.Fatalf("got %d targets %+v, want %d (a peer that did not run is not judged)", len(got), got, len(want))
	}
	for i, w := range want {
		if got[i].Goal != w.goal || got[i].Met != w.met {
			t.Errorf("target %d = %+v, want goal %q met=%t", i, got[i], w.goal, w.met)
		}
	}
}

// A scenario corsedge could not run (HTTPS before it serves it) must not
// judge the lead peer's ratios as corsedge's: its targets read "not run".
func TestTargetsOfAScenarioWithoutCorsedge(t *testing.T) {
	sc := []*scenario.Scenario{{Name: "tls", Targets: []scenario.Target{{Goal: "cpu", Row: "nginx", Metric: "cpu", Max: 1}}}}
	sections := []*report.Section{{Name: "tls", Lead: "bare", Rows: []*report.Row{
		{Label: "corsedge", Skipped: "did not start with -tls-addr"},
		{Label: "bare"},
		{Label: "nginx", CPURatio: []float64{0.5}, RPSRatio: []float64{2}},
	}}}
	got := targets(sc, sections)
	if len(got) != 1 || !got[0].NotRun || got[0].Met {
		t.Fatalf("got %+v, want one target not run", got)
	}
}

// The sites suite's two baselines share a label prefix: each target must
// read its own row, the one-rule row (listed first) and the same-spread one.
func TestTargetsOfTheTwoOneRuleBaselines(t *testing.T) {
	sc := []*scenario.Scenario{{Name: "sites", Targets: []scenario.Target{
		{Goal: "strict", Row: scenario.OneRule, Metric: "cpu", Max: 1.05},
		{Goal: "spread", Row: scenario.OneRuleSpread, Metric: "cpu", Max: 1.05},
	}}}
	sections := []*report.Section{{Name: "sites", Rows: []*report.Row{
		{Label: "corsedge"},
		{Label: scenario.OneRule + " (`OPTIONS /js/app.js`)", CPURatio: []float64{1.2}},
		{Label: scenario.OneRuleSpread + " (one rule)", CPURatio: []float64{1.01}},
	}}}
	got := targets(sc, sections)
	if len(got) != 2 || got[0].Met || !got[1].Met || !strings.Contains(got[1].Measured, "1.010") {
		t.Fatalf("got %+v, want the strict target at 1.2 (not met), the spread one at 1.01 (met)", got)
	}
}

// The edit target reads the p99 (nearest rank) of 100 edits or more, the
// slowest of fewer, and says which.
func TestEditTargetP99OrSlowest(t *testing.T) {
	edits := func(n int) []time.Duration {
		var ds []time.Duration
		for i := range n {
			ds = append(ds, time.Duration(i+1)*time.Millisecond) // 1..n ms
		}
		return ds
	}
	tests := []struct {
		n    int
		ms   float64
		what string
	}{
		{n: 5, ms: 5, what: "slowest of 5 edits"},
		{n: 99, ms: 99, what: "slowest of 99 edits"},
		{n: 100, ms: 99, what: "p99 of 100 edits"},  // rank ⌈0.99 × 100⌉ = 99
		{n: 250, ms: 248, what: "p99 of 250 edits"}, // rank ⌈247.5⌉ = 248
	}
	for _, tc := range tests {
		sec := &report.Section{Rows: []*report.Row{{Label: "corsedge", Edits: edits(tc.n)}}}
		x, measured, ok := lifecycleFigure(sec, scenario.Target{Metric: "edit"})
		if !ok || x != tc.ms || !strings.Contains(measured, tc.what) {
			t.Errorf("%d edits: %v ms, %q; want %v ms, %q", tc.n, x, measured, tc.ms, tc.what)
		}
	}
}

// TestLifecycleTargetsOfOneFilePerSite: the site-file layout's start-up
// and edit targets read its lifecycle row, not corsedge's table row.
func TestLifecycleTargetsOfOneFilePerSite(t *testing.T) {
	ms := func(xs ...int) []time.Duration {
		var ds []time.Duration
		for _, x := range xs {
			ds = append(ds, time.Duration(x)*time.Millisecond)
		}
		return ds
	}
	sec := &report.Section{
		Rows:      []*report.Row{{Label: "corsedge", Edits: ms(300, 310), Startups: ms(120)}},
		Lifecycle: []*report.Row{{Label: scenario.OneFilePerSite, Edits: ms(60, 70, 80), Startups: ms(370)}},
	}
	for _, tc := range []struct {
		target scenario.Target
		want   float64
	}{
		{scenario.Target{Metric: "edit"}, 310},
		{scenario.Target{Metric: "startup"}, 120},
		{scenario.Target{Metric: "edit", Row: scenario.OneFilePerSite}, 80},
		{scenario.Target{Metric: "startup", Row: scenario.OneFilePerSite}, 370},
	} {
		if x, _, ok := lifecycleFigure(sec, tc.target); !ok || x != tc.want {
			t.Errorf("%+v: %v ms, want %v", tc.target, x, tc.want)
		}
	}
	if _, _, ok := lifecycleFigure(&report.Section{Rows: sec.Rows}, scenario.Target{Metric: "edit", Row: scenario.OneFilePerSite}); ok {
		t.Error("a figure for a layout that was not run")
	}
}
