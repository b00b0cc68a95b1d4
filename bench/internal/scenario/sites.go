package scenario

import (
	"fmt"

	"corsedge/bench/internal/fixture"
	"corsedge/bench/internal/load"
)

// DefaultSites is the sites suite's number of sites (harness.Config.Sites
// changes it).
const DefaultSites = 10_000

// OneRule is the label prefix of the sites suite's baseline row: corsedge
// on the cors suite's one-rule table, a process of its own.
const OneRule = "corsedge, one rule"

// OneRuleSpread is the label prefix of the sites suite's second baseline
// row: corsedge on one rule that allows every site (fixture.WriteOneRule),
// over the same tree, sent the same rotation but for its refused positions
// (SpreadRefusedDomain). Against it, the sites corsedge's ratio is what the
// 10,000 rules cost, the spread of the requests being the same on both.
const OneRuleSpread = "corsedge, one rule, the same spread"

// OneFilePerSite labels corsedge on the same rules as a directory of site
// files (include = ["sites.d/*.toml"]), timed for start-up and edits only.
const OneFilePerSite = "corsedge, one file per site"

// SpreadRefusedDomain is the domain of OneRuleSpread's refused origins
// (https://site(n+1).invalid): the next site's own origin, which the sites
// table refuses on another site's path, the one rule allows, so that row is
// sent one outside the rule's domain, as many distinct ones, one a site.
const SpreadRefusedDomain = "invalid"

// sitesRequest is a request of the sites suite: its Origin and path rotate
// over every site and its subdomains, one in ten refused.
func sitesRequest(method string, refused int, header ...[2]string) load.Request {
	return load.Request{Method: method, Path: fixture.SitePrefix + "N/" + fixture.SiteFile, Header: header,
		Sites: &load.Sites{Count: DefaultSites, Prefix: fixture.SitePrefix, File: fixture.SiteFile, Refused: refused}}
}

// sitesSuite times one rule per site: a preflight and a GET spread over
// every site, each against corsedge on one rule and against nginx.
func sitesSuite() []*Scenario {
	pre := allowedPreflight()
	get := allowedGet()
	targets := func(what string) []Target {
		return []Target{
			{Goal: fmt.Sprintf("%s over 10,000 sites: corsedge CPU/request ≤ 1.05 × its own on one rule", what),
				Row: OneRule, Metric: "cpu", Max: 1.05},
			{Goal: fmt.Sprintf("%s over 10,000 sites: corsedge CPU/request ≤ 1.05 × its own on one rule sent the same requests "+
				"(what 10,000 rules cost over one rule)", what),
				Row: OneRuleSpread, Metric: "cpu", Max: 1.05},
			{Goal: fmt.Sprintf("%s over 10,000 sites: corsedge CPU/request ≤ 1.0 × nginx's", what),
				Row: "nginx", Metric: "cpu", Max: 1},
		}
	}
	return []*Scenario{
		{
			Name: "sites-preflight", Suite: "sites",
			Title: "preflights over 10,000 sites (one rule each) and their subdomains, one in ten refused",
			Request: sitesRequest("OPTIONS", 403, [2]string{"Access-Control-Request-Method", "POST"},
				[2]string{"Access-Control-Request-Headers", "content-type"}),
			Status: 204, Sites: true, Lifecycle: true, Fill: true, Baseline: &pre, Checks: corsChecks,
			Targets: append(targets("preflight"),
				Target{Goal: "start-up with 10,000 sites in one rules.toml (exec to the first 204) < 1 s", Metric: "startup", Max: 1000},
				Target{Goal: "start-up with 10,000 site files (exec to the first 204) < 1 s", Row: OneFilePerSite, Metric: "startup", Max: 1000},
				Target{Goal: "one-site edit to effect in one rules.toml, under load, p99 of the edits (the slowest under 100 edits) < 200 ms", Metric: "edit", Max: 200},
				Target{Goal: "one-site edit to effect with 10,000 site files, under load, p99 of the edits (the slowest under 100 edits) < 200 ms",
					Row: OneFilePerSite, Metric: "edit", Max: 200}),
		},
		{
			Name: "sites-get", Suite: "sites",
			Title:   "GET of each site's 1 KiB font over 10,000 sites and their subdomains, one in ten from another site's origin",
			Request: sitesRequest("GET", 0), Status: 200, Sites: true, Fill: true, Baseline: &get, Checks: corsChecks,
			Targets: targets("GET"),
		},
	}
}
