package edge

import (
	"fmt"
	"io"
	"sync/atomic"
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

// metrics are the server's counters. Request counters sit on the hot path:
// one atomic add each, no map, no label formatting.
type metrics struct {
	requests [numKinds][numDecisions]atomic.Uint64
	reloads  [numTriggers][numResults]atomic.Uint64
	cache    cacheStats

	tlsReloads [numTriggers][numResults]atomic.Uint64
	handshakes handshakeCounts

	assetErrors atomic.Uint64 // assets not served for an I/O error (a 503)
}

func (m *metrics) countRequest(k requestKind, d decisionLabel) { m.requests[k][d].Add(1) }

func (m *metrics) countReload(t Trigger, r reloadResult) { m.reloads[t][r].Add(1) }

func (m *metrics) countTLSReload(t Trigger, r reloadResult) { m.tlsReloads[t][r].Add(1) }

// writeMetrics writes every metric in the Prometheus text format.
func (s *Server) writeMetrics(w io.Writer) {
	m := &s.metrics
	st := s.state.Load()
	fmt.Fprintln(w, "# HELP corsedge_requests_total Requests served, by kind and CORS decision.")
	fmt.Fprintln(w, "# TYPE corsedge_requests_total counter")
	for k := range numKinds {
		for d := range numDecisions {
			fmt.Fprintf(w, "corsedge_requests_total{kind=%q,decision=%q} %d\n", kindNames[k], decisionNames[d], m.requests[k][d].Load())
		}
	}
	fmt.Fprintln(w, "# HELP corsedge_rules_reloads_total Rules reloads, by trigger and result.")
	fmt.Fprintln(w, "# TYPE corsedge_rules_reloads_total counter")
	for t := range numTriggers {
		for r := range numResults {
			fmt.Fprintf(w, "corsedge_rules_reloads_total{trigger=%q,result=%q} %d\n", t, resultNames[r], m.reloads[t][r].Load())
		}
	}
	last := s.lastReload()
	gauge(w, "corsedge_rules_last_reload_successful", "1 when the last reload that read new bytes succeeded.", boolGauge(last.err == nil))
	gauge(w, "corsedge_rules_last_reload_success_timestamp_seconds", "When the current table was loaded.", float64(st.loadedAt.UnixMilli())/1000)
	gauge(w, "corsedge_rules_generation", "Tables loaded since start; 1 is the first.", float64(st.generation))
	counter(w, "corsedge_decision_cache_hits_total", "Decisions served from the decision cache.", m.cache.hits.Load())
	counter(w, "corsedge_decision_cache_misses_total", "Decisions computed on a cache miss.", m.cache.misses.Load())
	counter(w, "corsedge_decision_cache_evictions_total", "Decisions evicted to keep the cache within its bound.", m.cache.evictions.Load())
	gauge(w, "corsedge_decision_cache_entries", "Decisions cached for the current table.", float64(st.cache.len()))
	s.writeConnMetrics(w)
	s.writeTLSMetrics(w)
	s.writeACMEMetrics(w)
	counter(w, "corsedge_asset_errors_total", "Assets not served because of an I/O error (answered 503).", m.assetErrors.Load())
}

func gauge(w io.Writer, name, help string, v float64) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %g\n", name, help, name, name, v)
}

func counter(w io.Writer, name, help string, v uint64) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// writeTLSMetrics writes the certificate, handshake and certificate reload
// metrics, when the server has certificates.
func (s *Server) writeTLSMetrics(w io.Writer) {
	if s.cfg.Certificates == nil {
		return
	}
	m := &s.metrics
	fmt.Fprintln(w, "# HELP corsedge_tls_certificate_expiry_timestamp_seconds When the certificate for a name expires (the earliest, when several pairs carry it).")
	fmt.Fprintln(w, "# TYPE corsedge_tls_certificate_expiry_timestamp_seconds gauge")
	for name, at := range s.cfg.Certificates.Expiry() {
		fmt.Fprintf(w, "corsedge_tls_certificate_expiry_timestamp_seconds{name=%q} %d\n", name, at.Unix())
	}
	fmt.Fprintln(w, "# HELP corsedge_tls_handshakes_total TLS handshakes on the HTTPS listener, by result and version (negotiated; offered for failures, unknown without a ClientHello).")
	fmt.Fprintln(w, "# TYPE corsedge_tls_handshakes_total counter")
	for v := range numTLSVersions {
		for ok, result := range [2]string{"failure", "success"} {
			fmt.Fprintf(w, "corsedge_tls_handshakes_total{result=%q,version=%q} %d\n", result, tlsVersionNames[v], m.handshakes[v][ok].Load())
		}
	}
	fmt.Fprintln(w, "# HELP corsedge_tls_reloads_total Certificate reloads, by trigger and result (failure when any pair failed).")
	fmt.Fprintln(w, "# TYPE corsedge_tls_reloads_total counter")
	for t := range numTriggers {
		for r := range numResults {
			fmt.Fprintf(w, "corsedge_tls_reloads_total{trigger=%q,result=%q} %d\n", t, resultNames[r], m.tlsReloads[t][r].Load())
		}
	}
}
