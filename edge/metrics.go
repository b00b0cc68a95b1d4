package edge

import (
	"fmt"
	"io"
	"runtime/debug"
	"strconv"
	"time"

	vm "github.com/VictoriaMetrics/metrics"
)

// Request kinds and decisions, the labels of corsedge_requests_total.
type requestKind uint8

const (
	kindPreflight requestKind = iota
	kindActual
	kindOptions          // OPTIONS that is not a preflight
	kindMethodNotAllowed // any method but GET, HEAD and OPTIONS
	kindBadRequest       // fasthttp could not read it: 400, 408, 413, 431 (see handleError)
	numKinds
)

var kindNames = [numKinds]string{"preflight", "actual", "options", "method_not_allowed", "bad_request"}

// kindCodes are the statuses each kind of request can be answered with:
// corsedge_responses_total has a series for each, made at start, and one
// with code="other" per kind for anything else, so the label set stays
// bounded whatever a response carries.
var kindCodes = [numKinds][]int{
	kindPreflight:        {204, 403},
	kindActual:           {200, 206, 304, 404, 412, 416, 503},
	kindOptions:          {204},
	kindMethodNotAllowed: {405},
	kindBadRequest:       {400, 408, 413, 431},
}

type decisionLabel uint8

const (
	decisionAllowed decisionLabel = iota // a rule allows the origin (preflight: accepted)
	decisionRefused                      // the origin, method, headers or path are not allowed
	decisionNone                         // no Origin header: no CORS decision to make
	numDecisions
)

var decisionNames = [numDecisions]string{"allowed", "refused", "none"}

// Trigger is what asked for a (re)load of the rules: a label of
// corsedge_rules_reloads_total.
type Trigger uint8

const (
	TriggerStart    Trigger = iota // the load in New, before anything is served
	TriggerFSNotify                // a file event in the rules file's directory
	TriggerSIGHUP                  // the operator's signal, caught in main
	TriggerAdmin                   // POST /reload
	TriggerPoll                    // the poll tick
	numTriggers
)

var triggerNames = [numTriggers]string{"start", "fsnotify", "sighup", "admin", "poll"}

func (t Trigger) String() string {
	if t >= numTriggers {
		return fmt.Sprintf("Trigger(%d)", uint8(t))
	}
	return triggerNames[t]
}

// reloadResult is the other label of corsedge_rules_reloads_total.
type reloadResult uint8

const (
	resultSuccess reloadResult = iota
	resultFailure
	resultUnchanged
	numResults
)

var resultNames = [numResults]string{"success", "failure", "unchanged"}

// Histogram bounds, in seconds. An asset served from memory takes a few
// microseconds in the handler, a file read in and compressed up to
// a tenth of a second: the request buckets start at 10 µs. A reload reads, parses and compiles
// a file of up to 64 MiB.
var (
	requestBuckets = []float64{1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 1e-2, 5e-2, 0.1, 0.5, 1, 5, 10}
	reloadBuckets  = []float64{1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
)

// metrics are the server's counters, in a metrics.Set of its own (several
// servers in one process never share a series). Every series a request
// touches is made in newMetrics: a request costs atomic adds, one histogram
// update and no lookup, formatting or allocation.
type metrics struct {
	set       *vm.Set
	requests  [numKinds][numDecisions]*vm.Counter
	responses [numKinds]codeCounters
	bytes     *vm.Counter
	duration  *vm.PrometheusHistogram // of every request's handler time; nil when Config.NoDurationHistogram

	reloads        [numTriggers][numResults]*vm.Counter
	reloadDuration *vm.PrometheusHistogram
	tlsReloads     [numTriggers][numResults]*vm.Counter
	assetErrors    *vm.Counter // assets not served for an I/O error (a 503)

	// Counted where they happen, by code that predates the set; written
	// at each scrape.
	cache      cacheStats
	handshakes handshakeCounts
}

// codeCounters are one kind's corsedge_responses_total series.
type codeCounters struct {
	index  [600]uint8    // status -> position in byCode; 0 for code="other"
	byCode []*vm.Counter // [0] is code="other"
}

func (c *codeCounters) count(status int) {
	i := uint8(0)
	if status >= 0 && status < len(c.index) {
		i = c.index[status]
	}
	c.byCode[i].Inc()
}

// init registers every series of the server's set. Call it before the
// first load (which counts itself).
func (m *metrics) init(s *Server) {
	vm.ExposeMetadata(true) // TYPE lines, which Prometheus reads; a process-wide switch of the library
	m.set = vm.NewSet()
	set := m.set
	for k := range numKinds {
		for d := range numDecisions {
			m.requests[k][d] = set.NewCounter(fmt.Sprintf(`corsedge_requests_total{kind=%q,decision=%q}`, kindNames[k], decisionNames[d]))
		}
		rc := &m.responses[k]
		rc.byCode = []*vm.Counter{set.NewCounter(fmt.Sprintf(`corsedge_responses_total{kind=%q,code="other"}`, kindNames[k]))}
		for _, code := range kindCodes[k] {
			rc.index[code] = uint8(len(rc.byCode))
			rc.byCode = append(rc.byCode, set.NewCounter(fmt.Sprintf(`corsedge_responses_total{kind=%q,code="%d"}`, kindNames[k], code)))
		}
	}
	m.bytes = set.NewCounter("corsedge_response_bytes_total")
	if !s.cfg.NoDurationHistogram {
		m.duration = set.NewPrometheusHistogramExt("corsedge_request_duration_seconds", requestBuckets)
	}
	for t := range numTriggers {
		for r := range numResults {
			m.reloads[t][r] = set.NewCounter(fmt.Sprintf(`corsedge_rules_reloads_total{trigger=%q,result=%q}`, t, resultNames[r]))
			if s.cfg.Certificates != nil {
				m.tlsReloads[t][r] = set.NewCounter(fmt.Sprintf(`corsedge_tls_reloads_total{trigger=%q,result=%q}`, t, resultNames[r]))
			}
		}
	}
	m.reloadDuration = set.NewPrometheusHistogramExt("corsedge_rules_reload_duration_seconds", reloadBuckets)
	m.assetErrors = set.NewCounter("corsedge_asset_errors_total")

	set.NewGauge("corsedge_rules_last_reload_successful", func() float64 { return boolGauge(s.lastReload().err == nil) })
	set.NewGauge("corsedge_rules_last_reload_success_timestamp_seconds", func() float64 {
		return float64(s.state.Load().loadedAt.UnixMilli()) / 1000
	})
	set.NewGauge("corsedge_rules_generation", func() float64 { return float64(s.state.Load().generation) })
	set.NewGauge("corsedge_decision_cache_entries", func() float64 { return float64(s.state.Load().cache.len()) })
	set.NewGauge("corsedge_connections_open", func() float64 { return float64(s.openConnections()) })
	set.NewGauge("corsedge_draining", func() float64 { return boolGauge(s.draining.Load()) })
	version, goVersion := buildVersion()
	set.NewGauge(fmt.Sprintf(`corsedge_build_info{version=%s,goversion=%s}`, strconv.Quote(version), strconv.Quote(goVersion)), func() float64 { return 1 })
	s.registerGuardMetrics(set)
	set.RegisterMetricsWriter(s.writeCountedElsewhere)
}

func (m *metrics) countRequest(k requestKind, d decisionLabel) { m.requests[k][d].Inc() }

func (m *metrics) countReload(t Trigger, r reloadResult) { m.reloads[t][r].Inc() }

func (m *metrics) countTLSReload(t Trigger, r reloadResult) {
	if c := m.tlsReloads[t][r]; c != nil {
		c.Inc()
	}
}

// countResponse counts a finished response by status, its body bytes and,
// when the histogram is on and the handler was timed, its time.
func (m *metrics) countResponse(k requestKind, status int, bodyBytes int64, took time.Duration, timed bool) {
	m.responses[k].count(status)
	if bodyBytes > 0 {
		m.bytes.Add(int(bodyBytes))
	}
	if m.duration != nil && timed {
		m.duration.Update(took.Seconds())
	}
}

// writeMetrics writes every metric in the Prometheus text format, the
// process's and the Go runtime's included.
func (s *Server) writeMetrics(w io.Writer) {
	s.metrics.set.WritePrometheus(w)
	vm.WriteProcessMetrics(w)
}

// writeCountedElsewhere writes the counters kept by the decision caches,
// the connection limiter, fasthttp, the asset server and the TLS listener.
func (s *Server) writeCountedElsewhere(w io.Writer) {
	m := &s.metrics
	vm.WriteCounterUint64(w, "corsedge_decision_cache_hits_total", m.cache.hits.Load())
	vm.WriteCounterUint64(w, "corsedge_decision_cache_misses_total", m.cache.misses.Load())
	vm.WriteCounterUint64(w, "corsedge_decision_cache_evictions_total", m.cache.evictions.Load())
	s.writeConnMetrics(w)
	st := s.cfg.Assets.Stats()
	vm.WriteCounterUint64(w, "corsedge_asset_cache_hits_total", st.Hits)
	vm.WriteCounterUint64(w, "corsedge_asset_cache_misses_total", st.Misses)
	vm.WriteCounterUint64(w, "corsedge_asset_cache_loads_total", st.Loads)
	vm.WriteGaugeUint64(w, "corsedge_asset_cache_entries", uint64(st.Entries))
	vm.WriteGaugeUint64(w, "corsedge_asset_cache_bytes", uint64(st.Bytes))
	vm.WriteGaugeUint64(w, "corsedge_asset_cache_max_bytes", uint64(st.MaxMemory))
	s.writeTLSMetrics(w)
	vm.WriteCounterUint64(w, "corsedge_access_log_dropped_total", s.cfg.AccessLog.Dropped())
	s.writeACMEMetrics(w)
}

// writeFamily writes the metadata of a labelled family once, then each
// series, one "name{labels} value" line each.
func writeFamily(w io.Writer, name, typ string, lines func(w io.Writer)) {
	vm.WriteMetadataIfNeeded(w, name, typ)
	lines(w)
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// buildVersion returns the main module's version ("(devel)" when built
// from a checkout without a tag) and the Go version that built it.
func buildVersion() (version, goVersion string) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)", "unknown"
	}
	version = bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	return version, bi.GoVersion
}

// writeTLSMetrics writes the certificate expiry and handshake counters,
// when the server has certificates.
func (s *Server) writeTLSMetrics(w io.Writer) {
	if s.cfg.Certificates == nil {
		return
	}
	writeFamily(w, "corsedge_tls_certificate_expiry_timestamp_seconds", "gauge", func(w io.Writer) {
		for name, at := range s.cfg.Certificates.Expiry() {
			fmt.Fprintf(w, "corsedge_tls_certificate_expiry_timestamp_seconds{name=%s} %d\n", strconv.Quote(name), at.Unix())
		}
	})
	writeFamily(w, "corsedge_tls_handshakes_total", "counter", func(w io.Writer) {
		for v := range numTLSVersions {
			for ok, result := range [2]string{"failure", "success"} {
				fmt.Fprintf(w, "corsedge_tls_handshakes_total{result=%q,version=%q} %d\n", result, tlsVersionNames[v], s.metrics.handshakes[v][ok].Load())
			}
		}
	})
}
