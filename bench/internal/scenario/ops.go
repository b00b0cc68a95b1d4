package scenario

import (
	"fmt"

	"corsedge/bench/internal/load"
	"corsedge/bench/internal/peers"
)

// LogOff is the label of the ops suite's reference row: corsedge with the
// access log off, the default.
const LogOff = "corsedge, access log off"

// HistogramOff is the reference row of the histogram scenario: corsedge
// without corsedge_request_duration_seconds and its clock reads.
const HistogramOff = "corsedge, -duration-histogram=false"

// ops times what running corsedge in production costs on the request
// path, corsedge against itself: the access log off (a second process, the
// noise floor), at 1% sampling and at 100% to a file, each against the log
// off, on the cached allowed preflight and the small-script GET; and the
// request duration histogram (on by default) against it off.
func ops() []*Scenario {
	logs := []struct {
		name, what string
		flags      []string
		max        float64
	}{
		{"log-off", "access log off, against itself (the noise floor)", nil, 0},
		{"log-1pct", "access log at 1% (json, to a file)", accessLog("0.01"), 1.02},
		{"log-100pct", "access log at 100% (json, to a file)", accessLog("1"), 1.15},
	}
	requests := []struct {
		name, title string
		req         load.Request
		status      int
	}{
		{"preflight", "allowed preflight (cached)", allowedPreflight(), 204},
		{"get", "GET of a small script with an allowed Origin", allowedGet(), 200},
	}
	var out []*Scenario
	for _, r := range requests {
		for _, l := range logs {
			name := r.name + "-" + l.name
			sc := &Scenario{
				Name: name, Suite: "ops", Title: r.title + ", " + l.what,
				Request: r.req, Status: r.status, Checks: corsChecks,
				Subject: &Variant{Name: name, Label: "corsedge, " + l.what, Flags: l.flags},
				Against: []Variant{{Name: name + "-off", Label: LogOff}},
			}
			if l.max > 0 {
				sc.Targets = []Target{{Goal: fmt.Sprintf("%s, %s: CPU/request ≤ %.2f × the log off", r.title, l.what, l.max),
					Row: LogOff, Metric: "cpu", Max: l.max}}
			}
			out = append(out, sc)
		}
	}
	return append(out, &Scenario{
		Name: "preflight-histogram", Suite: "ops",
		Title:   "allowed preflight (cached), request duration histogram on (the default) against it off",
		Request: allowedPreflight(), Status: 204, Checks: corsChecks,
		Subject: &Variant{Name: "preflight-histogram", Label: "corsedge, duration histogram on (default)"},
		Against: []Variant{{Name: "preflight-histogram-off", Label: HistogramOff, Flags: []string{"-duration-histogram=false"}}},
		Targets: []Target{{Goal: "allowed preflight (cached): CPU/request with the duration histogram ≤ 1.02 × without",
			Row: HistogramOff, Metric: "cpu", Max: 1.02}},
	})
}

// accessLog returns the flags of a JSON access log sampling rate of the
// requests into a file of the start's own.
func accessLog(rate string) []string {
	return []string{"-access-log", peers.RunPrefix + ".access.log", "-access-log-format", "json", "-access-log-sample", rate}
}
