package harness

import (
	"fmt"
	"strings"

	"corsedge/bench/internal/report"
)

// targets judges the figures against the goals of issues 4 and 5.
func targets(sections []*report.Section) []report.Target {
	var out []report.Target
	find := func(scenario, label string) *report.Row {
		for _, s := range sections {
			if s.Name != scenario {
				continue
			}
			for _, r := range s.Rows {
				if strings.HasPrefix(r.Label, label) && r.Skipped == "" && len(r.CPURatio) > 0 {
					return r
				}
			}
		}
		return nil
	}
	if r := find("preflight-allowed", "bare fasthttp (fixed answer)"); r != nil {
		x := report.Median(r.CPURatio)
		out = append(out, report.Target{Goal: "allowed preflight: corsedge CPU/request ≤ bare fasthttp's",
			Measured: fmt.Sprintf("corsedge ÷ bare = %.3f", x), Met: x <= 1})
	}
	if r := find("churn-100k", "corsedge, one cached origin"); r != nil {
		x := report.Median(r.CPURatio)
		out = append(out, report.Target{Goal: "100,000 rotating origins: CPU/request ≤ 1.15 × the cached case",
			Measured: fmt.Sprintf("churn ÷ cached = %.3f", x), Met: x <= 1.15})
	}
	for _, s := range sections {
		if s.Name == "churn-1m" && len(s.Rows) > 0 && s.Rows[0].RSSAfter > 0 {
			grow := mib(s.Rows[0].RSSAfter - s.Rows[0].RSSBefore)
			out = append(out, report.Target{Goal: "1,000,000 rotating origins at -cache-size 10000: RSS grows < 64 MiB",
				Measured: fmt.Sprintf("%+.1f MiB", grow), Met: grow < 64})
		}
	}
	for _, name := range []string{"woff2", "css-br", "not-modified"} {
		if r := find(name, "nginx"); r != nil {
			cpu, rps := report.Median(r.CPURatio), report.Median(r.RPSRatio)
			out = append(out,
				report.Target{Goal: name + ": corsedge CPU/request ≤ 0.9 × nginx's",
					Measured: fmt.Sprintf("corsedge ÷ nginx = %.3f", cpu), Met: cpu <= 0.9},
				report.Target{Goal: name + ": corsedge requests/second ≥ nginx's",
					Measured: fmt.Sprintf("corsedge ÷ nginx = %.3f", rps), Met: rps >= 1})
		}
	}
	return out
}
