package harness

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	"corsedge/bench/internal/answer"
	"corsedge/bench/internal/load"
	"corsedge/bench/internal/peers"
	"corsedge/bench/internal/procstat"
	"corsedge/bench/internal/report"
	"corsedge/bench/internal/scenario"
)

// contender is one server with the request it is timed with.
type contender struct {
	row    *report.Row
	proc   *peers.Process
	req    load.Request
	status int
	gen    load.Generator // the scenario's: the built-in one for a handshake per request
	tls    *tls.Config    // the client's, for an HTTPS scenario; nil over HTTP
	cursor int64          // position in the request's Origin rotation
	cache  bool           // scrape corsedge's decision cache counters around each run
	seen   cacheCounters

	handshakes, resumed int64 // TLS handshakes over the timed runs (built-in generator)
	resumedLog          int   // nginx's resumed.log lines before the timed runs
}

// runScenario times corsedge against each peer that answers alike.
func (h *harness) runScenario(ctx context.Context, sc *scenario.Scenario) (*report.Section, error) {
	if sc.Sites {
		if err := h.prepareSites(sc); err != nil {
			return nil, err
		}
	}
	sec := &report.Section{Suite: sc.Suite, Name: sc.Name, Title: sc.Title, Request: describe(sc, h.genFor(sc).Name())}
	fmt.Fprintf(h.cfg.Log, "\n== %s/%s: %s\n", sc.Suite, sc.Name, sc.Title)
	if sc.Subject != nil {
		sec.Notes = append(sec.Notes, variantNote(append([]scenario.Variant{*sc.Subject}, sc.Against...)))
	}
	ce, rivals, err := h.startAll(ctx, sc, sec)
	defer func() {
		for _, c := range append([]*contender{ce}, rivals...) {
			if c != nil {
				c.proc.Stop() // the baseline's is corsedge's: stopping twice is harmless
			}
		}
	}()
	if err == nil && sc.Cores > 0 {
		err = countProcesses(sc, ce, rivals)
	}
	if err != nil {
		return nil, err
	}
	if ce == nil {
		// corsedge could not serve this scenario (HTTPS before it has it):
		// the peers are still timed, the first leading the alternation.
		if len(rivals) == 0 {
			return sec, nil
		}
		ce, rivals = rivals[0], rivals[1:]
		sec.Lead = ce.row.Label
	}
	if sc.TLS && sc.Request.Close {
		if err := h.checkResumption(ctx, append([]*contender{ce}, rivals...)); err != nil {
			return nil, err
		}
	}
	servers := []*contender{ce} // one per process, for memory and the fill
	for _, r := range rivals {
		if r.proc != ce.proc {
			servers = append(servers, r)
		}
	}
	if err := h.memory(servers, func(r *report.Row, rss int64) { r.RSSBefore = rss }); err != nil {
		return nil, err
	}
	if sc.Fill {
		if err := h.fillAll(ctx, sc, servers, sec); err != nil {
			return nil, err
		}
	}
	if err := h.warmUp(ctx, append([]*contender{ce}, rivals...)); err != nil {
		return nil, err
	}
	if err := h.alternate(ctx, ce, rivals); err != nil {
		return nil, err
	}
	if err := h.memory(servers, func(r *report.Row, rss int64) { r.RSSAfter = rss }); err != nil {
		return nil, err
	}
	if err := checkAccessLogs(ctx, append([]*contender{ce}, rivals...)); err != nil {
		return nil, err
	}
	if sc.Lifecycle {
		if err := h.lifecycle(ctx, sc, sec, ce, rivals); err != nil {
			return nil, err
		}
	}
	if sc.TLS && sc.Request.Close {
		handshakeNotes(sec, append([]*contender{ce}, rivals...))
	}
	annotate(sc, ce, rivals, servers)
	return sec, nil
}

// startAll starts corsedge and the peers for sc and adds their rows to
// sec: corsedge, its cached baseline, then the peers, timed or not. The
// rivals are what corsedge is timed against; on error, what has started
// is returned all the same, for the caller to stop.
func (h *harness) startAll(ctx context.Context, sc *scenario.Scenario, sec *report.Section) (*contender, []*contender, error) {
	ce, err := h.startCorsedge(sc)
	if err != nil && !sc.TLS {
		return nil, nil, err
	}
	var ref *scenario.Shape
	if err != nil {
		// No HTTPS in this corsedge: its row says why, and its answer over
		// plain HTTP is the reference the peers must match.
		why := startFailure(err)
		fmt.Fprintf(h.cfg.Log, "corsedge does not serve HTTPS: %s\n", why)
		sec.Rows = append(sec.Rows, &report.Row{Label: "corsedge", Generator: h.genFor(sc).Name(),
			Skipped: "did not start with -tls-addr (" + why + ")"})
		if ref, err = h.plainReference(ctx, sc); err != nil {
			return nil, nil, err
		}
		ce = nil
	} else {
		sec.Rows = append(sec.Rows, ce.row)
		if ref, err = h.reference(ctx, sc, ce); err != nil {
			return ce, nil, err
		}
	}
	var rivals []*contender
	if sc.Baseline != nil {
		base, err := h.baseline(ctx, sc, ce)
		if err != nil {
			return ce, nil, err
		}
		rivals = append(rivals, base)
		sec.Rows = append(sec.Rows, base.row)
	}
	if sc.Sites {
		spread, err := h.sameSpread(ctx, sc, ce)
		if err != nil {
			return ce, rivals, err
		}
		rivals = append(rivals, spread)
		sec.Rows = append(sec.Rows, spread.row)
		sec.Notes = append(sec.Notes, baselinesNote(sc))
	}
	for _, p := range append(variants(sc.Against), h.peers[sc.Suite]...) {
		c, row := h.startPeer(ctx, sc, p, ref)
		sec.Rows = append(sec.Rows, row)
		if c != nil {
			rivals = append(rivals, c)
		}
	}
	return ce, rivals, nil
}

// startFailure returns the line of a failed start that says why: the
// server's first line of output, else the error itself.
func startFailure(err error) string {
	lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
	if len(lines) > 1 && strings.TrimSpace(lines[1]) != "" {
		return strings.TrimSpace(lines[1])
	}
	return lines[0]
}

// plainReference is corsedge's answer to sc's request over plain HTTP, for
// an HTTPS scenario corsedge cannot serve: the HTTP answer is the same.
func (h *harness) plainReference(ctx context.Context, sc *scenario.Scenario) (*scenario.Shape, error) {
	proc, err := peers.Start(h.env, peers.Corsedge, peers.Launch{CacheSize: sc.CacheSize})
	if err != nil {
		return nil, err
	}
	defer proc.Stop()
	ref, err := scenario.Probe(ctx, proc.Addr, nil, sc.Request)
	if err != nil {
		return nil, fmt.Errorf("corsedge over HTTP: %v", err)
	}
	if ref.Status != sc.Status {
		return nil, fmt.Errorf("corsedge answered %d over HTTP, the scenario expects %d", ref.Status, sc.Status)
	}
	if sc.Request.Close && !ref.Close {
		return nil, errors.New("corsedge kept the connection open after Connection: close")
	}
	return ref, nil
}

// warmUp runs each contender once, untimed.
func (h *harness) warmUp(ctx context.Context, all []*contender) error {
	for _, c := range all {
		if _, err := h.measure(ctx, c, c.gen, h.cfg.Warmup, 0); err != nil {
			return err
		}
		c.row.Runs, c.seen, c.handshakes, c.resumed = nil, cacheCounters{}, 0, 0
	}
	return nil
}

// annotate adds what the figures alone do not say to the rows' notes.
func annotate(sc *scenario.Scenario, ce *contender, rivals, servers []*contender) {
	if sc.Fill || sc.Sites {
		for _, c := range servers {
			c.row.Notes = append(c.row.Notes, fmt.Sprintf("RSS %.1f → %.1f MiB (%+.1f)",
				mib(c.row.RSSBefore), mib(c.row.RSSAfter), mib(c.row.RSSAfter-c.row.RSSBefore)))
		}
	}
	for _, c := range append([]*contender{ce}, rivals...) {
		if c.cache {
			n := c.seen.hits + c.seen.misses
			c.row.Notes = append(c.row.Notes, fmt.Sprintf("decision cache over the timed runs: %.1f%% misses (%.0f of %.0f), %.0f evictions; "+
				"%.0f entries held after the last", 100*c.seen.misses/max(n, 1), c.seen.misses, n, c.seen.evictions, c.seen.entries))
		}
		if c.row.Errors > 0 {
			c.row.Notes = append(c.row.Notes, fmt.Sprintf("**%d errors**, first: %s", c.row.Errors, c.row.FirstError))
		}
	}
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// startCorsedge starts corsedge for sc, with its admin listener when the
// scenario churns the decision cache, so its counters can be read.
func (h *harness) startCorsedge(sc *scenario.Scenario) (*contender, error) {
	l := peers.Launch{CacheSize: sc.CacheSize, TLS: sc.TLS, Sites: h.sitesFor(sc)}
	p, label := peers.Corsedge, "corsedge"
	if v := sc.Subject; v != nil {
		p, label = variants([]scenario.Variant{*v})[0], v.Label
	}
	if h.cfg.Profile != "" {
		l.CPUProfile = fmt.Sprintf("%s/corsedge-%s.prof", h.cfg.Profile, sc.Name)
		label += " (profiling build)"
	}
	churn := sc.Request.Origin != nil || sc.Request.Sites != nil
	l.Admin = churn || sc.TLS // over HTTPS: its handshake metrics, for a look after the run
	proc, err := peers.Start(h.env, p, l)
	if err != nil {
		return nil, err
	}
	gen := h.genFor(sc)
	c := &contender{row: &report.Row{Label: label, Generator: gen.Name()}, proc: proc, status: sc.Status,
		cache: churn, gen: gen, tls: h.tlsFor(sc)}
	return c, nil
}

// variants returns the peers that start corsedge with each variant's flags.
func variants(vs []scenario.Variant) []*peers.Peer {
	var out []*peers.Peer
	for _, v := range vs {
		p := peers.CorsedgeWith(v.Name, v.Label, v.Flags...)
		p.Env = v.Env
		out = append(out, p)
	}
	return out
}

// variantNote spells out the flags each corsedge of a self-comparison was
// started with, beyond the harness's own.
func variantNote(vs []scenario.Variant) string {
	var parts []string
	for _, v := range vs {
		flags := "none"
		if len(v.Flags) > 0 {
			flags = "`" + strings.Join(v.Flags, " ") + "`"
		}
		parts = append(parts, fmt.Sprintf("%s: %s", v.Label, flags))
	}
	return "corsedge's flags beyond the harness's own (`" + peers.RunPrefix + "`: a file prefix of that start's own in the work directory) — " +
		strings.Join(parts, "; ") + "."
}

// reference prepares corsedge's request and records its answer, which every
// peer's must match. corsedge answering otherwise than the scenario
// expects is an error: the figures would time the wrong thing.
func (h *harness) reference(ctx context.Context, sc *scenario.Scenario, ce *contender) (*scenario.Shape, error) {
	req, err := sc.RequestFor(ctx, ce.proc.Addr, ce.tls)
	if err != nil {
		return nil, fmt.Errorf("corsedge: %v", err)
	}
	ce.req = req
	ref, err := scenario.Probe(ctx, ce.proc.Addr, ce.tls, req)
	if err != nil {
		return nil, fmt.Errorf("corsedge: %v", err)
	}
	if ref.Status != sc.Status {
		return nil, fmt.Errorf("corsedge answered %d, the scenario expects %d", ref.Status, sc.Status)
	}
	if sc.Request.Close && !ref.Close {
		return nil, errors.New("corsedge kept the connection open after Connection: close")
	}
	if sc.Sites {
		if h.siteRefs, err = siteShapes(ctx, sc, sc.Request, ce.proc.Addr, ce.tls); err != nil {
			return nil, fmt.Errorf("corsedge: %v", err)
		}
	}
	return ref, nil
}

// baseline is corsedge timed with the scenario's cached-case request.
func (h *harness) baseline(ctx context.Context, sc *scenario.Scenario, ce *contender) (*contender, error) {
	if sc.Sites {
		return h.oneRule(ctx, sc, ce)
	}
	shape, err := scenario.Probe(ctx, ce.proc.Addr, ce.tls, *sc.Baseline)
	if err != nil {
		return nil, fmt.Errorf("corsedge baseline: %v", err)
	}
	if shape.Status != sc.Status {
		return nil, fmt.Errorf("corsedge answered the baseline request %d, want %d", shape.Status, sc.Status)
	}
	origin := ""
	for _, f := range sc.Baseline.Header {
		if f[0] == "Origin" {
			origin = f[1]
		}
	}
	row := &report.Row{Label: "corsedge, one cached origin (" + origin + ")", Generator: ce.gen.Name(),
		Notes: []string{"ratio columns: this scenario's corsedge ÷ this row"}}
	return &contender{row: row, proc: ce.proc, req: *sc.Baseline, status: sc.Status, gen: ce.gen, tls: ce.tls}, nil
}

// startPeer starts p and checks its answer against corsedge's. It returns
// the contender to time, or nil with a row saying why p is not timed.
func (h *harness) startPeer(ctx context.Context, sc *scenario.Scenario, p *peers.Peer, ref *scenario.Shape) (*contender, *report.Row) {
	gen, conf := h.genFor(sc), h.tlsFor(sc)
	row := &report.Row{Label: p.Label, Generator: gen.Name()}
	l := peers.Launch{TLS: sc.TLS, Sites: h.sitesFor(sc)}
	if p.Fixed {
		l.Answer = fixedAnswer(ref)
	}
	proc, err := peers.Start(h.env, p, l)
	if err != nil {
		row.Skipped = "did not start: " + err.Error()
		return nil, row
	}
	req, err := sc.RequestFor(ctx, proc.Addr, conf)
	var shape *scenario.Shape
	if err == nil {
		shape, err = scenario.Probe(ctx, proc.Addr, conf, req)
	}
	if err != nil {
		proc.Stop()
		row.Skipped = "no answer: " + err.Error()
		return nil, row
	}
	if sc.TLS && ref.TLS == "" {
		// corsedge did not serve HTTPS: the first peer's handshake (the
		// bare peer's crypto/tls, corsedge's own) is what the others must match.
		ref.TLS = shape.TLS
	}
	diffs, notes := scenario.Compare(ref, shape, sc.Checks)
	if sc.Sites && len(diffs) == 0 {
		diffs, err = compareSites(ctx, sc, h.siteRefs, proc.Addr, conf)
		if err != nil {
			diffs = append(diffs, err.Error())
		}
	}
	row.Notes = notes
	if len(diffs) > 0 {
		proc.Stop()
		row.Skipped = "answers differently: " + strings.Join(diffs, "; ")
		fmt.Fprintf(h.cfg.Log, "%s answers differently: %s\n", p.Label, strings.Join(diffs, "; "))
		return nil, row
	}
	return &contender{row: row, proc: proc, req: req, status: sc.Status, gen: gen, tls: conf}, row
}

// fixedAnswer is corsedge's answer, for the bare peer to repeat verbatim.
func fixedAnswer(ref *scenario.Shape) *answer.Answer {
	a := &answer.Answer{Status: ref.Status, Body: ref.Body}
	for name, values := range ref.Header {
		switch name {
		case "Date", "Content-Length", "Connection", "Server", "Content-Encoding":
			continue // the server's own, or (Content-Encoding) the body is stored decoded
		}
		for _, v := range values {
			a.Header = append(a.Header, [2]string{name, v})
		}
	}
	acao := ref.Header.Get("Access-Control-Allow-Origin")
	a.EchoOrigin = acao != "" && acao != "*"
	return a
}

// memory records each distinct server's resident memory.
func (h *harness) memory(all []*contender, set func(*report.Row, int64)) error {
	for _, c := range all {
		rss, err := procstat.RSS(c.proc.PIDs())
		if err != nil {
			return fmt.Errorf("%s: %v", c.row.Label, err)
		}
		set(c.row, rss)
	}
	return nil
}

// fillAll sends every position of the rotation once to each server whose
// request rotates, with the built-in generator, which can stop after an
// exact number of requests: the timed runs then measure the steady state,
// every (origin, path) pair already decided once.
func (h *harness) fillAll(ctx context.Context, sc *scenario.Scenario, all []*contender, sec *report.Section) error {
	n := sc.Request.Period()
	if h.cfg.FillLimit > 0 {
		n = min(n, h.cfg.FillLimit)
	}
	for _, c := range all {
		if c.req.Period() == 0 { // a baseline on one fixed request: nothing to fill
			continue
		}
		start := time.Now()
		if _, err := h.measure(ctx, c, h.fill, 30*time.Minute, n); err != nil {
			return err
		}
		c.row.Runs = nil
		fmt.Fprintf(h.cfg.Log, "%s: sent %d positions of the rotation in %v\n", c.row.Label, n, time.Since(start).Round(time.Millisecond))
	}
	what := "one per distinct origin"
	if sc.Request.Sites != nil {
		what = "every position of the sites rotation once (each site's ten)"
	}
	sec.Notes = append(sec.Notes, fmt.Sprintf("Before timing, each server was sent %d requests, %s, "+
		"with the built-in generator; RSS is read from /proc/PID/status before that and after the timed runs.", n, what))
	return nil
}

// alternate times ce and each rival in turn, pair after pair, so that the
// machine's drifting speed affects both sides of every ratio alike.
func (h *harness) alternate(ctx context.Context, ce *contender, rivals []*contender) error {
	for i := range h.cfg.Pairs {
		if len(rivals) == 0 { // a peer alone, corsedge not running: its figures only
			if _, err := h.measure(ctx, ce, ce.gen, h.cfg.Duration, 0); err != nil {
				return err
			}
		}
		for _, r := range rivals {
			a, err := h.measure(ctx, ce, ce.gen, h.cfg.Duration, 0)
			if err != nil {
				return err
			}
			b, err := h.measure(ctx, r, r.gen, h.cfg.Duration, 0)
			if err != nil {
				return err
			}
			if a.CPUPerReq > 0 && b.CPUPerReq > 0 && b.RPS > 0 {
				r.row.CPURatio = append(r.row.CPURatio, float64(a.CPUPerReq)/float64(b.CPUPerReq))
				r.row.RPSRatio = append(r.row.RPSRatio, a.RPS/b.RPS)
			}
			fmt.Fprintf(h.cfg.Log, "pair %d/%d: %s %7.0f req/s %6.2f µs/req | %s %7.0f req/s %6.2f µs/req\n",
				i+1, h.cfg.Pairs, ce.row.Label, a.RPS, us(a.CPUPerReq), r.row.Label, b.RPS, us(b.CPUPerReq))
		}
	}
	return nil
}

func us(d time.Duration) float64 { return float64(d) / 1e3 }

// measure runs gen against c once and records the run on c's row.
func (h *harness) measure(ctx context.Context, c *contender, gen load.Generator, d time.Duration, requests int64) (report.Run, error) {
	pids := c.proc.PIDs()
	var before cacheCounters
	var err error
	if c.cache {
		if before, err = readCacheCounters(ctx, c.proc.AdminAddr()); err != nil {
			return report.Run{}, err
		}
	}
	cpu0, err := procstat.CPU(pids)
	if err != nil {
		return report.Run{}, fmt.Errorf("%s: %v", c.row.Label, err)
	}
	res, err := gen.Run(ctx, c.req, load.Options{Addr: c.proc.Addr, Conns: h.conns, Duration: d,
		Requests: requests, Status: c.status, Start: c.cursor, TLS: c.tls})
	if err != nil {
		return report.Run{}, fmt.Errorf("%s: %v", c.row.Label, err)
	}
	cpu1, err := procstat.CPU(pids)
	if err != nil {
		return report.Run{}, fmt.Errorf("%s stopped: %v\n%s", c.row.Label, err, c.proc.LogTail())
	}
	if c.cache {
		after, err := readCacheCounters(ctx, c.proc.AdminAddr())
		if err != nil {
			return report.Run{}, err
		}
		c.seen = c.seen.add(after.sub(before))
	}
	c.cursor += res.Requests + res.Errors
	c.row.Errors += res.Errors
	if c.row.FirstError == "" {
		c.row.FirstError = res.FirstError
	}
	c.handshakes += res.Handshakes
	c.resumed += res.Resumed
	if c.req.Close && res.Resumed > 0 {
		// A resumed handshake is not the full one the scenario times.
		c.row.Errors += res.Resumed
		if c.row.FirstError == "" {
			c.row.FirstError = fmt.Sprintf("%d of %d handshakes resumed a session", res.Resumed, res.Handshakes)
		}
	}
	run := report.Run{Requests: res.Requests, RPS: res.RPS(), P50: res.P50, P99: res.P99}
	if res.Requests > 0 {
		run.CPUPerReq = (cpu1 - cpu0) / time.Duration(res.Requests)
	}
	c.row.Runs = append(c.row.Runs, run)
	return run, nil
}

// describe spells a scenario's request out for the report.
func describe(sc *scenario.Scenario, gen string) string {
	r := sc.Request
	parts := []string{fmt.Sprintf("`%s %s`", r.Method, r.Path)}
	if o := r.Origin; o != nil {
		parts = append(parts, fmt.Sprintf("`Origin: %s{1…%d}%s`", o.Prefix, o.Count, o.Suffix))
	}
	if s := r.Sites; s != nil {
		parts[0] = fmt.Sprintf("`%s %sN/%s`", r.Method, s.Prefix, s.File)
		parts = append(parts, fmt.Sprintf("for N = 1…%d in turn, `Origin:` of ten requests to a site two `https://siteN.example`, "+
			"three `https://www.siteN.example`, two `https://cdn.siteN.example`, two `https://a.b.siteN.example` and one "+
			"the next site's `https://site(N+1).example` (refused)", s.Count))
	}
	for _, f := range r.Header {
		parts = append(parts, fmt.Sprintf("`%s: %s`", f[0], f[1]))
	}
	if sc.Conditional {
		parts = append(parts, "`If-None-Match:` the ETag that server sends for it")
	}
	if r.Close {
		parts = append(parts, "`Connection: close`")
	}
	over := ""
	switch {
	case sc.TLS && r.Close:
		over = " over HTTPS, a new connection with a full TLS handshake (no session offered) for each; CPU per request is CPU per handshake"
	case sc.TLS:
		over = " over HTTPS on keep-alive connections"
	}
	return "Request: " + strings.Join(parts, " ") + over + "; load generator: " + gen + "."
}
