package harness

import (
	"context"
	"crypto/tls"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"corsedge/bench/internal/fixture"
	"corsedge/bench/internal/load"
	"corsedge/bench/internal/peers"
	"corsedge/bench/internal/report"
	"corsedge/bench/internal/scenario"
)

// siteShape is corsedge's answer at one position of the sites rotation.
type siteShape struct {
	pos     int64
	req     load.Request
	allowed bool
	shape   *scenario.Shape
}

// prepareSites writes the sites fixture on first use and sizes sc's rotation.
func (h *harness) prepareSites(sc *scenario.Scenario) error {
	n := h.cfg.Sites
	if n == 0 {
		n = scenario.DefaultSites
	}
	if n < 10 {
		return fmt.Errorf("harness: the sites suite needs at least 10 sites, not %d", n)
	}
	if h.sites == nil {
		start := time.Now()
		s, err := fixture.WriteSites(filepath.Join(h.env.Dir, "sites"), n)
		if err != nil {
			return err
		}
		h.sites = s
		fmt.Fprintf(h.cfg.Log, "wrote %d sites' rules and files in %v\n", n, time.Since(start).Round(time.Millisecond))
	}
	r := *sc.Request.Sites
	r.Count = n
	sc.Request.Sites = &r
	return nil
}

// sitesFor is the sites fixture when sc serves it, else nil.
func (h *harness) sitesFor(sc *scenario.Scenario) *fixture.Sites {
	if !sc.Sites {
		return nil
	}
	return h.sites
}

// probePositions are the rotation's positions every server is checked at:
// the first ten sites and the last ten, each in another of the ten slots,
// so every kind of origin (exact, subdomains, another site's) is checked.
func probePositions(n int) []int64 {
	var out []int64
	for i := range int64(10) {
		out = append(out, i, int64(n)-10+i)
	}
	return out
}

// siteShapes probes the server at addr with req's rotation at every probe
// position and checks that each answer has the status the position must get.
func siteShapes(ctx context.Context, sc *scenario.Scenario, req load.Request, addr string, conf *tls.Config) ([]siteShape, error) {
	var out []siteShape
	for _, pos := range probePositions(req.Sites.Count) {
		fixed, allowed := req.Fixed(pos)
		shape, err := scenario.Probe(ctx, addr, conf, fixed)
		if err != nil {
			return nil, err
		}
		want := sc.Status
		if !allowed && req.Sites.Refused != 0 {
			want = req.Sites.Refused
		}
		if shape.Status != want {
			return nil, fmt.Errorf("%s %s from %s: %d, want %d", fixed.Method, fixed.Path, fixed.Header[0][1], shape.Status, want)
		}
		out = append(out, siteShape{pos: pos, req: fixed, allowed: allowed, shape: shape})
	}
	return out, nil
}

// compareSites lists how the server at addr answers otherwise than
// corsedge did (refs) at the probe positions.
func compareSites(ctx context.Context, sc *scenario.Scenario, refs []siteShape, addr string, conf *tls.Config) ([]string, error) {
	var diffs []string
	for _, ref := range refs {
		shape, err := scenario.Probe(ctx, addr, conf, ref.req)
		if err != nil {
			return nil, err
		}
		d, _ := scenario.Compare(ref.shape, shape, sc.Checks)
		for _, x := range d {
			diffs = append(diffs, fmt.Sprintf("%s from %s: %s", ref.req.Path, ref.req.Header[0][1], x))
		}
	}
	return diffs, nil
}

// oneRule starts corsedge on the shared one-rule fixture, a process of its
// own, timed with sc's Baseline request: what the same request path costs
// on a table of one rule.
func (h *harness) oneRule(ctx context.Context, sc *scenario.Scenario, ce *contender) (*contender, error) {
	proc, err := peers.Start(h.env, peers.Corsedge, peers.Launch{})
	if err != nil {
		return nil, err
	}
	shape, err := scenario.Probe(ctx, proc.Addr, nil, *sc.Baseline)
	if err == nil && shape.Status != sc.Status {
		err = fmt.Errorf("answered %d, want %d", shape.Status, sc.Status)
	}
	if err != nil {
		proc.Stop()
		return nil, fmt.Errorf("corsedge on one rule: %v", err)
	}
	row := &report.Row{Label: fmt.Sprintf("%s (`%s %s`, the cors suite's table)", scenario.OneRule, sc.Baseline.Method, sc.Baseline.Path),
		Generator: ce.gen.Name(), Notes: []string{"ratio columns: the sites corsedge ÷ this row"}}
	return &contender{row: row, proc: proc, req: *sc.Baseline, status: sc.Status, gen: ce.gen}, nil
}

// sameSpread starts corsedge on one rule allowing every site
// (fixture.WriteOneRule) over the sites tree, a process of its own, timed
// with sc's rotation but for its refused positions, whose origins are the
// next site's name in another domain (scenario.SpreadRefusedDomain): the
// next site's own origin would be allowed by the one rule. Its table is
// one rule; the spread of its requests, their (origin, prefix) pairs and
// files, is the sites corsedge's. Its answers are held, at every probe
// position of its own rotation, to the sites corsedge's answers to the
// same requests, refusals included.
func (h *harness) sameSpread(ctx context.Context, sc *scenario.Scenario, ce *contender) (*contender, error) {
	rules, err := h.sites.WriteOneRule()
	if err != nil {
		return nil, err
	}
	req := sc.Request
	r := *req.Sites
	r.RefusedDomain = scenario.SpreadRefusedDomain
	req.Sites = &r
	refs, err := siteShapes(ctx, sc, req, ce.proc.Addr, nil)
	if err != nil {
		return nil, fmt.Errorf("corsedge on the sites table, sent the one-rule row's rotation: %v", err)
	}
	proc, err := peers.Start(h.env, peers.Corsedge, peers.Launch{Sites: h.sites, SitesRules: rules, Admin: true})
	if err != nil {
		return nil, err
	}
	_, err = siteShapes(ctx, sc, req, proc.Addr, nil)
	var diffs []string
	if err == nil {
		diffs, err = compareSites(ctx, sc, refs, proc.Addr, nil)
	}
	if err == nil && len(diffs) > 0 {
		err = fmt.Errorf("answers otherwise than the sites corsedge: %s", strings.Join(diffs, "; "))
	}
	if err != nil {
		proc.Stop()
		return nil, fmt.Errorf("%s: %v", scenario.OneRuleSpread, err)
	}
	row := &report.Row{Label: fmt.Sprintf("%s (`paths = [\"%s\"]`, `origins = [\"%s\"]`, the sites tree)",
		scenario.OneRuleSpread, fixture.SitePrefix, fixture.OneRuleOrigin),
		Generator: ce.gen.Name(), Notes: []string{"ratio columns: the sites corsedge ÷ this row",
			fmt.Sprintf("the sites corsedge's rotation, but the refused tenth from `https://site(N+1).%s` (the next site's own origin "+
				"would be allowed by the one rule): as many distinct (origin, prefix) pairs, five a site", scenario.SpreadRefusedDomain)}}
	return &contender{row: row, proc: proc, req: req, status: sc.Status, gen: ce.gen, cache: true}, nil
}

// baselinesNote says what each of the sites suite's two baselines isolates.
func baselinesNote(sc *scenario.Scenario) string {
	n := sc.Request.Sites.Count
	return fmt.Sprintf("Two baselines, each a corsedge of its own, timed in alternation with the sites corsedge. "+
		"`%s` is the cors suite's one-rule table sent one request over and over (`%s %s`): one origin, one path, one file, "+
		"one decision-cache entry; the sites corsedge's ratio to it is what %d rules and the spread of the requests cost together. "+
		"`%s` is one rule allowing every site's origins (`%s`, the site rules' settings), over the same %d files, sent the same "+
		"rotation (%d (origin, prefix) pairs in its decision cache, %d files read in turn) but for the refused tenth, sent from "+
		"`https://site(N+1).%s`; the ratio to it is what %d rules cost over one rule, the requests being the same. "+
		"What the first ratio has beyond the second is the spread's own cost (cache entries and files that no longer fit the "+
		"CPU caches), which no rule table can remove.",
		scenario.OneRule, sc.Baseline.Method, sc.Baseline.Path, n, scenario.OneRuleSpread, fixture.OneRuleOrigin, n,
		5*n, n, scenario.SpreadRefusedDomain, n)
}

// lifecycle times what a many-sites deployment waits for: one-site edits
// to effect under load (corsedge watching its rules file; nginx rewritten
// and sent nginx -s reload), then start-up from exec to the first correct
// answer, for corsedge and each nginx; and, when corsedge takes
// include = [...], the same for one file per site.
func (h *harness) lifecycle(ctx context.Context, sc *scenario.Scenario, sec *report.Section, ce *contender, rivals []*contender) error {
	starts, edits := cmp(h.cfg.Starts, 3), cmp(h.cfg.Edits, 5)
	n := sc.Request.Sites.Count
	var nginxes []*contender
	for _, r := range rivals {
		if strings.HasPrefix(r.proc.Peer.Name, "nginx") {
			nginxes = append(nginxes, r)
		}
	}
	edit := func(c *contender, apply func(site int, origin string) error) error {
		return h.editsUnderLoad(ctx, sc, c.row, c.proc.Addr, c.req, edits, apply)
	}
	if err := edit(ce, h.sites.Edit); err != nil {
		return err
	}
	ce.proc.Stop() // its reloads of later edits would share the server core
	for _, c := range nginxes {
		err := edit(c, func(site int, origin string) error {
			if err := h.sites.Edit(site, origin); err != nil {
				return err
			}
			return c.proc.Rewrite(h.env, peers.Launch{Sites: h.sites})
		})
		if err != nil {
			return err
		}
		c.proc.Stop()
	}
	ready := h.readyProbe(ctx, sc)
	for _, c := range append([]*contender{ce}, nginxes...) {
		for range starts {
			proc, took, err := peers.StartTimed(h.env, c.proc.Peer, peers.Launch{Sites: h.sites}, ready)
			if err != nil {
				return fmt.Errorf("%s: timed start: %v", c.row.Label, err)
			}
			proc.Stop()
			c.row.Startups = append(c.row.Startups, took)
		}
		c.row.Notes = append(c.row.Notes, "start-up (exec to the first 204) "+durations(c.row.Startups, false))
	}
	sec.Notes = append(sec.Notes, fmt.Sprintf("Start-up: %d starts of each server with %d sites, from the exec to the first 204 "+
		"to a preflight for site %d, polled every millisecond on a new connection. Edits: %d times under load "+
		"(the built-in generator, %d connections, this scenario's rotation), a new origin added to one site's rule, "+
		"and the time from the write to the first 204 for that origin, polled the same way; corsedge watches its "+
		"rules file (written to a temporary file and renamed), nginx's configuration is rewritten and `nginx -s reload` "+
		"run. Failed requests are those of the load during the edits (a connection closed without an answer counts; "+
		"one closed after an answer with `Connection: close` does not).", starts, n, n-9, edits, h.cfg.Conns))
	if h.cfg.SitesDir {
		sec.Notes = append(sec.Notes, h.sitesDir(ctx, sc, sec, starts, edits, ready))
	}
	return nil
}

func cmp(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// readyProbe reports whether the server answers an allowed preflight for
// one of the last sites with the scenario's status.
func (h *harness) readyProbe(ctx context.Context, sc *scenario.Scenario) func(string) bool {
	req, _ := sc.Request.Fixed(int64(sc.Request.Sites.Count - 10)) // slot 0: the exact origin
	return func(addr string) bool {
		s, err := scenario.Probe(ctx, addr, nil, req)
		return err == nil && s.Status == sc.Status
	}
}

// editsUnderLoad runs the scenario's load against addr and makes edits
// one-site edits through apply, each adding a new origin, timing each from
// the write to the first answer allowing that origin.
func (h *harness) editsUnderLoad(ctx context.Context, sc *scenario.Scenario, row *report.Row, addr string, req load.Request,
	edits int, apply func(site int, origin string) error) error {
	n := sc.Request.Sites.Count
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan load.Result, 1)
	go func() {
		res, _ := load.Go{}.Run(lctx, req, load.Options{Addr: addr, Conns: h.cfg.Conns, Duration: 10 * time.Minute, Status: sc.Status})
		done <- res
	}()
	time.Sleep(200 * time.Millisecond)
	var took []time.Duration
	for range edits {
		h.edits++
		site := h.edits*7919%n + 1
		origin := fmt.Sprintf("https://site%d-edit%d.example", site, h.edits)
		probe, _ := sc.Request.Fixed(int64(site - 1)) // site's first position: its path
		probe.Header[0][1] = origin
		t0 := time.Now()
		if err := apply(site, origin); err != nil {
			return fmt.Errorf("%s: edit: %v", row.Label, err)
		}
		for {
			s, err := scenario.Probe(ctx, addr, nil, probe)
			if err == nil && s.Status == sc.Status && s.Header.Get("Access-Control-Allow-Origin") == origin {
				break
			}
			if time.Since(t0) > 20*time.Second {
				return fmt.Errorf("%s: the edit adding %s to site %d has no effect after 20 s", row.Label, origin, site)
			}
			time.Sleep(time.Millisecond)
		}
		took = append(took, time.Since(t0))
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	stop()
	res := <-done
	row.Edits = append(row.Edits, took...)
	failed := fmt.Sprintf("%d of %d requests failed during them", res.Errors, res.Requests+res.Errors)
	if res.Errors > 0 {
		failed = "**" + failed + "**, first: " + res.FirstError
	}
	row.Notes = append(row.Notes, fmt.Sprintf("%d one-site edits to effect under load %s; %s", len(took), durations(took, true), failed))
	return nil
}

// durations spells a set of timings: the median and the range, or for
// edits the median, the p99 (nearest rank) and the slowest.
func durations(ds []time.Duration, edits bool) string {
	if len(ds) == 0 {
		return "none"
	}
	s := slices.Sorted(slices.Values(ds))
	if edits {
		return fmt.Sprintf("median %s, p99 %s, slowest %s", ms(s[len(s)/2]), ms(nearestRank(s, 0.99)), ms(s[len(s)-1]))
	}
	return fmt.Sprintf("median %s (%s–%s)", ms(s[len(s)/2]), ms(s[0]), ms(s[len(s)-1]))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/1e6) }

// nearestRank is the q-quantile of sorted by the nearest-rank method: the
// smallest value at least q of the values are at or under.
func nearestRank(sorted []time.Duration, q float64) time.Duration {
	rank := int(math.Ceil(q * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// minP99Edits is how many edits make a p99 worth judging: under it, the
// edit target reads the slowest edit instead.
const minP99Edits = 100

// editFigure is the edit time the target judges, and its name: the p99
// (nearest rank) of at least minP99Edits edits, else the slowest.
func editFigure(ds []time.Duration) (time.Duration, string) {
	s := slices.Sorted(slices.Values(ds))
	if len(s) >= minP99Edits {
		return nearestRank(s, 0.99), fmt.Sprintf("p99 of %d edits", len(s))
	}
	return s[len(s)-1], fmt.Sprintf("slowest of %d edits (a p99 needs %d)", len(s), minP99Edits)
}

// sitesDir times corsedge on the directory layout, one file per site
// included from the main file, once `corsedge check` accepts it, and
// returns the note that says what it found.
func (h *harness) sitesDir(ctx context.Context, sc *scenario.Scenario, sec *report.Section, starts, edits int, ready func(string) bool) string {
	main, err := h.sites.WriteSitesDir()
	if err != nil {
		return "One file per site: not run: " + err.Error()
	}
	out, err := exec.CommandContext(ctx, filepath.Join(h.env.Bin, "corsedge"), "check", main).CombinedOutput()
	if err != nil {
		line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		return fmt.Sprintf("One file per site (`include = [\"sites.d/*.toml\"]`): not run: `corsedge check` refuses the main file (%s).", line)
	}
	l := peers.Launch{Sites: h.sites, SitesRules: main}
	var ups []time.Duration
	var proc *peers.Process
	for i := range starts {
		p, took, err := peers.StartTimed(h.env, peers.Corsedge, l, ready)
		if err != nil {
			return "One file per site: not run: " + err.Error()
		}
		ups = append(ups, took)
		if i < starts-1 {
			p.Stop()
		} else {
			proc = p
		}
	}
	defer proc.Stop()
	row := &report.Row{Label: scenario.OneFilePerSite, Startups: ups}
	req := sc.Request
	if err := h.editsUnderLoad(ctx, sc, row, proc.Addr, req, edits, h.sites.EditDir); err != nil {
		return "One file per site: edits not run: " + err.Error()
	}
	sec.Lifecycle = append(sec.Lifecycle, row)
	return fmt.Sprintf("One file per site (`include = [\"sites.d/*.toml\"]`, %d files in sites.d/): corsedge start-up %s; %s.",
		h.sites.Count, durations(ups, false), strings.Join(row.Notes, "; "))
}
