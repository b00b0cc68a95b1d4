// Package scenario defines the requests each benchmark sends and checks
// that a server answers them in the same shape as corsedge before it is timed.
package scenario

import (
	"slices"
	"strings"

	"corsedge/bench/internal/fixture"
	"corsedge/bench/internal/load"
)

// Scenario is one kind of request, timed on every server.
type Scenario struct {
	Name      string // as given to -scenarios
	Suite     string // "cors", "assets", "tls", "ops", "sites" or "scale"
	Title     string
	Request   load.Request
	Status    int  // what corsedge must answer
	CacheSize int  // corsedge -cache-size; its default when 0
	Fill      bool // send every position of the rotation once before timing; report memory
	// Baseline, when set, is a second request corsedge is timed with in
	// alternation with Request: the cached case a churn scenario is judged against.
	Baseline *load.Request
	// Conditional: each server's request carries If-None-Match with the
	// ETag that server gives the asset.
	Conditional bool
	// TLS: every server serves HTTPS only, with the fixture's certificate.
	// With Request.Close as well, each request is a new connection with a
	// full handshake, sent by the built-in generator (wrk resumes sessions).
	TLS bool
	// Subject and Against, when set, time corsedge against itself (the ops
	// suite): the corsedge row is corsedge started with Subject's flags, its
	// rivals corsedge with each of Against's, and the suite has no peers.
	Subject *Variant
	Against []Variant
	// Sites: every server serves the sites fixture (one rule per site);
	// Request.Sites rotates over them, its Count set by the harness. A
	// Baseline then runs on a corsedge of its own with the shared one-rule
	// fixture (OneRule), and a second corsedge on one rule allowing every
	// site is sent the same rotation (OneRuleSpread): the table size's cost
	// with the spread of the requests, and without it. Lifecycle also
	// times start-up and one-site edits to effect under load.
	Sites, Lifecycle bool
	// PerCount: a scale suite template, run once per server core count
	// (AtCount); Cores, when set, is that count: the servers get cores
	// 0..Cores-1 and the load generator the rest, instead of the run's -cores.
	PerCount bool
	Cores    int
	Checks   []Check // what a peer's answer must share with corsedge's
	Targets  []Target
}

// Variant is corsedge started with extra flags (peers.CorsedgeWith). A
// flag holding peers.RunPrefix names a file of that start's own in the
// work directory. When the flags name an -access-log file, its lines are
// counted after the runs against the requests corsedge served.
type Variant struct {
	Name  string // unique in the run: names the start's files
	Label string // its row; a Target's Row names it
	Flags []string
	Env   []string // added to the process's environment ("GOMAXPROCS=4")
}

// Target is a goal a scenario's figures are judged against.
type Target struct {
	Goal string // what is promised, in words
	// Row is the label prefix of the row whose pairwise ratio is judged
	// (corsedge ÷ that row); "" judges corsedge's own memory growth.
	Row string
	// Metric is "cpu" (CPU per request), "rps" (requests per second),
	// "rss" (resident memory growth over the scenario, in MiB), "startup"
	// (the median start-up, ms) or "edit" (the p99 edit to effect, nearest
	// rank, of 100 edits or more, else the slowest, ms).
	Metric string
	// Max bounds the median ratio (cpu) or the growth (rss) from above;
	// Min bounds the median ratio (rps) from below. Zero means unbounded.
	Max, Min float64
}

// Met reports whether x, the figure Metric names, meets the target.
func (t Target) Met(x float64) bool {
	return (t.Max == 0 || x <= t.Max) && (t.Min == 0 || x >= t.Min)
}

// Suites lists the suites, in the order they run.
var Suites = []string{"cors", "assets", "tls", "ops", "sites", Scale}

// DefaultSuites are what -suite all runs: every suite but scale, which
// places the servers anew for each core count and is meant for a machine
// with many cores (on 2 it runs one count).
var DefaultSuites = []string{"cors", "assets", "tls", "ops", "sites"}

// Sizes of the two churn rotations.
const (
	ChurnOrigins      = 100_000
	LargeChurnOrigins = 1_000_000
	LargeChurnCache   = 10_000
)

// All returns every scenario, in the order they run.
func All() []*Scenario {
	return slices.Concat(cors(), assets(), tlsSuite(), ops(), sitesSuite(), scaleSuite())
}

// preflight returns a preflight for the /js/ rule from origin.
func preflight(origin string, header ...[2]string) load.Request {
	h := [][2]string{{"Access-Control-Request-Method", "POST"}}
	if origin != "" {
		h = append([][2]string{{"Origin", origin}}, h...)
	}
	return load.Request{Method: "OPTIONS", Path: fixture.Script, Header: append(h, header...)}
}

// allowedPreflight is the cors suite's preflight-allowed request: its
// decision is cached after the first.
func allowedPreflight() load.Request {
	return preflight("https://app.example.com", [2]string{"Access-Control-Request-Headers", "content-type"})
}

// allowedGet is the cors suite's get-allowed request: the 496-byte script.
func allowedGet() load.Request {
	return load.Request{Method: "GET", Path: fixture.Script, Header: [][2]string{{"Origin", "https://app.example.com"}}}
}

func cors() []*Scenario {
	// Browsers send the requested header names sorted, lowercase, comma-separated.
	all := slices.Sorted(slices.Values(fixture.Headers))
	churn := func(n int) load.Request {
		r := preflight("", [2]string{"Access-Control-Request-Headers", "content-type"})
		r.Origin = &load.Rotation{Prefix: "https://o", Suffix: ".example.net", Count: n}
		return r
	}
	cached := preflight("https://o0.example.net", [2]string{"Access-Control-Request-Headers", "content-type"})
	return []*Scenario{
		{
			Name: "preflight-allowed", Suite: "cors", Title: "allowed preflight",
			Request: allowedPreflight(), Status: 204, Checks: corsChecks,
			Targets: []Target{{Goal: "allowed preflight: corsedge CPU/request ≤ bare fasthttp's",
				Row: "bare fasthttp (fixed answer)", Metric: "cpu", Max: 1}},
		},
		{
			Name: "preflight-refused", Suite: "cors", Title: "refused preflight (origin not allowed)",
			Request: preflight("https://evil.example.com", [2]string{"Access-Control-Request-Headers", "content-type"}),
			Status:  403, Checks: corsChecks,
		},
		{
			Name: "preflight-10-headers", Suite: "cors", Title: "allowed preflight asking for 10 request headers",
			Request: preflight("https://app.example.com", [2]string{"Access-Control-Request-Headers", strings.Join(all, ",")}),
			Status:  204, Checks: corsChecks,
		},
		{
			Name: "get-allowed", Suite: "cors", Title: "GET of a small script with an allowed Origin",
			Request: allowedGet(), Status: 200, Checks: corsChecks,
		},
		{
			Name: "churn-100k", Suite: "cors", Title: "allowed preflights from 100,000 rotating origins (decision-cache churn)",
			Request: churn(ChurnOrigins), Status: 204, Baseline: &cached, Checks: corsChecks,
			Targets: []Target{{Goal: "100,000 rotating origins: CPU/request ≤ 1.15 × the cached case",
				Row: "corsedge, one cached origin", Metric: "cpu", Max: 1.15}},
		},
		{
			Name: "churn-1m", Suite: "cors", Title: "allowed preflights from 1,000,000 rotating origins, -cache-size 10000",
			Request: churn(LargeChurnOrigins), Status: 204, CacheSize: LargeChurnCache, Fill: true,
			Baseline: &cached, Checks: corsChecks,
			Targets: []Target{{Goal: "1,000,000 rotating origins at -cache-size 10000: RSS grows < 64 MiB",
				Metric: "rss", Max: 64}},
		},
	}
}

// againstNginx is the goal of every asset scenario: less CPU per request
// than nginx, and at least its throughput.
func againstNginx(name string) []Target {
	return []Target{
		{Goal: name + ": corsedge CPU/request ≤ 0.9 × nginx's", Row: "nginx", Metric: "cpu", Max: 0.9},
		{Goal: name + ": corsedge requests/second ≥ nginx's", Row: "nginx", Metric: "rps", Min: 1},
	}
}

func assets() []*Scenario {
	return []*Scenario{
		{
			Name: "woff2", Suite: "assets", Title: "GET of a 20 KiB woff2",
			Request: load.Request{Method: "GET", Path: fixture.Font},
			Status:  200, Checks: assetChecks, Targets: againstNginx("woff2"),
		},
		{
			Name: "css-br", Suite: "assets", Title: "GET of a 1 KiB css with Accept-Encoding: br, gzip",
			Request: load.Request{Method: "GET", Path: fixture.Stylesheet, Header: [][2]string{{"Accept-Encoding", "br, gzip"}}},
			Status:  200, Checks: assetChecks, Targets: againstNginx("css-br"),
		},
		{
			Name: "not-modified", Suite: "assets", Title: "conditional GET of the woff2 answered 304",
			Request: load.Request{Method: "GET", Path: fixture.Font},
			Status:  304, Conditional: true, Checks: assetChecks, Targets: againstNginx("not-modified"),
		},
	}
}

// tlsSuite times HTTPS: the keep-alive cases (the record layer's cost on
// top of the plain scenarios) and a full handshake per request.
func tlsSuite() []*Scenario {
	allowed := allowedPreflight()
	handshake := allowed
	handshake.Close = true
	cpu := func(goal string) []Target {
		return []Target{{Goal: goal + ": corsedge CPU ≤ 1.0 × nginx's", Row: "nginx", Metric: "cpu", Max: 1}}
	}
	return []*Scenario{
		{
			Name: "tls-preflight", Suite: "tls", Title: "allowed preflight over HTTPS, keep-alive",
			Request: allowed, Status: 204, TLS: true, Checks: append(tlsChecks(), corsChecks...),
			Targets: cpu("keep-alive HTTPS preflight, per request"),
		},
		{
			Name: "tls-woff2", Suite: "tls", Title: "GET of the 20 KiB woff2 over HTTPS, keep-alive",
			Request: load.Request{Method: "GET", Path: fixture.Font},
			Status:  200, TLS: true, Checks: append(tlsChecks(), assetChecks...),
			Targets: cpu("keep-alive HTTPS woff2, per request"),
		},
		{
			Name: "tls-handshake", Suite: "tls", Title: "allowed preflight on a new HTTPS connection each: a full handshake per request",
			Request: handshake, Status: 204, TLS: true, Checks: append(tlsChecks(closes), corsChecks...),
			Targets: cpu("full TLS handshake (Connection: close, no resumption), per handshake"),
		},
	}
}
