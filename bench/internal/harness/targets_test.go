package harness

import (
	"testing"

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
