package edge

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	vm "github.com/VictoriaMetrics/metrics"

	"corsedge/internal/impact"
	"corsedge/rules"
)

// reloadGuard is the state of Config.ReloadGuard.
type reloadGuard struct {
	forcing atomic.Int32 // POST /reload?force=1 requests loading now: admit holds nothing back
	holds   *vm.Counter  // corsedge_rules_reload_held_total: reloads held back since start
}

// HeldError is the outcome of a reload the guard held back: the compiled
// table would refuse more of the recently allowed requests than
// Config.ReloadGuard allows. The old table keeps serving.
type HeldError struct {
	Report *impact.Report
	Guard  float64 // Config.ReloadGuard, in percent
}

// heldChangesShown is how many of the busiest changes a HeldError names.
const heldChangesShown = 5

func (e *HeldError) Error() string {
	r := e.Report
	var b strings.Builder
	fmt.Fprintf(&b, "held back by the reload guard: the edit would refuse %d of %d recently allowed requests (%.1f%%, over -reload-guard %g%%); POST /reload?force=1 loads it anyway",
		r.RefusedRequests, r.AllowedRequests, 100*r.RefusedShare(), e.Guard)
	shown := 0
	for _, c := range r.Changes {
		if c.Kind != impact.NowRefused || shown == heldChangesShown {
			continue
		}
		fmt.Fprintf(&b, "\n  %d requests from %s on %s, allowed by %s, would be refused", c.Count, c.Origin, c.Path, c.RuleBefore)
		shown++
	}
	return b.String()
}

// admit is the guard between a compiled table and its installation: with
// Config.ReloadGuard set, a table that would refuse more than that share
// of the recently allowed requests is not installed (it is a failed
// reload whose error is a *HeldError) unless POST /reload?force=1 asks.
// Called under reloadMu.
func (s *Server) admit(trigger Trigger, table *rules.Table, sum [sha256.Size]byte) error {
	old := s.state.Load()
	if s.cfg.ReloadGuard <= 0 || old == nil || s.reloadGuard.forcing.Load() > 0 {
		return nil
	}
	r := impact.Compare(old.table, table, s.Traffic())
	if r.RefusedRequests == 0 || 100*r.RefusedShare() <= s.cfg.ReloadGuard {
		return nil
	}
	s.reloadGuard.holds.Inc()
	return s.reloadFailed(trigger, sum, &HeldError{Report: r, Guard: s.cfg.ReloadGuard})
}

// held returns the reload the guard holds back, or nil.
func (s *Server) held() *HeldError {
	var h *HeldError
	if errors.As(s.lastReload().err, &h) {
		return h
	}
	return nil
}

// forceReload loads the rules file past the guard: the held bytes are
// decided again rather than found unchanged.
func (s *Server) forceReload() error {
	s.reloadGuard.forcing.Add(1)
	defer s.reloadGuard.forcing.Add(-1)
	if o := s.outcome.Load(); o != nil && s.held() != nil {
		s.outcome.CompareAndSwap(o, &reloadOutcome{err: o.err, at: o.at}) // forget its sum
	}
	return s.load(TriggerAdmin)
}

// HeldStatus is the reload the guard holds back, in /status.
type HeldStatus struct {
	Reason          string          `json:"reason"`
	GuardPercent    float64         `json:"guard_percent"`
	RefusedPercent  float64         `json:"refused_percent"`
	RefusedRequests uint64          `json:"newly_refused_requests"`
	AllowedRequests uint64          `json:"allowed_requests"`
	Changes         []impact.Change `json:"changes"` // the busiest heldChangesShown
	At              time.Time       `json:"at"`
}

// heldStatus describes the held reload, or returns nil when none is held.
func (s *Server) heldStatus() *HeldStatus {
	h := s.held()
	if h == nil {
		return nil
	}
	r := h.Report
	return &HeldStatus{
		Reason: strings.SplitN(h.Error(), "\n", 2)[0], GuardPercent: h.Guard,
		RefusedPercent: 100 * r.RefusedShare(), RefusedRequests: r.RefusedRequests, AllowedRequests: r.AllowedRequests,
		Changes: r.Changes[:min(heldChangesShown, len(r.Changes))], At: s.lastReload().at,
	}
}

// registerGuardMetrics adds the guard's series to the server's set.
func (s *Server) registerGuardMetrics(set *vm.Set) {
	set.NewGauge("corsedge_rules_reload_held", func() float64 { return boolGauge(s.held() != nil) })
	set.NewGauge("corsedge_rules_reload_held_refused_ratio", func() float64 {
		if h := s.held(); h != nil {
			return h.Report.RefusedShare()
		}
		return 0
	})
	s.reloadGuard.holds = set.NewCounter("corsedge_rules_reload_held_total")
}
