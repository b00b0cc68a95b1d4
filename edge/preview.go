package edge

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"corsedge/internal/impact"
)

// Preview is the answer of POST /reload?dry_run=1: what loading the rules
// file as it is on disk would change for the recorded traffic.
type Preview struct {
	RulesSHA256 string `json:"rules_sha256"` // of the file on disk
	Generation  uint64 `json:"generation"`   // the table it is compared with, in service
	*impact.Report
	// GuardPercent is Config.ReloadGuard (0: off); WouldHold says whether
	// the guard would hold this edit back.
	GuardPercent float64 `json:"guard_percent"`
	WouldHold    bool    `json:"would_hold"`
}

// Preview reads and compiles the rules file as a reload does and compares
// it with the table in service over the recorded traffic; nothing is
// swapped. The error is the file's, as a reload would report it.
func (s *Server) Preview() (*Preview, error) {
	c, err := s.rulesReader.Read(s.cfg.RulesFile)
	if err != nil {
		return nil, err
	}
	// The same loader as a reload: included files too, parsed ones reused.
	snap, err := s.loader.Load(s.cfg.RulesFile, c.Data, false)
	if err != nil {
		return nil, err
	}
	table, err := s.loader.Compile(snap)
	if err != nil {
		return nil, err
	}
	st := s.state.Load()
	r := impact.Compare(st.table, table, s.traffic.pairs(st.cache))
	guard := s.cfg.ReloadGuard
	return &Preview{
		RulesSHA256: fmt.Sprintf("%x", snap.Digest()), Generation: st.generation, Report: r,
		GuardPercent: guard, WouldHold: guard > 0 && r.RefusedRequests > 0 && 100*r.RefusedShare() > guard,
	}, nil
}

// serveReloadRequest is POST /reload: a reload, a forced one (force=1: past
// the reload guard) or a dry run (dry_run=1: see servePreview).
func (s *Server) serveReloadRequest(w http.ResponseWriter, r *http.Request) {
	dryRun, err1 := queryBool(r, "dry_run")
	force, err2 := queryBool(r, "force")
	switch {
	case err1 != nil || err2 != nil:
		http.Error(w, "dry_run and force take 1 or 0 (or true, false)", http.StatusBadRequest)
	case dryRun:
		s.servePreview(w, r)
	case force:
		s.serveReload(w, r, s.forceReload)
	default:
		s.serveReload(w, r, func() error { return s.load(TriggerAdmin) })
	}
}

// servePreview answers a dry run: 200 with the Preview as JSON, or as text
// with format=text; 422 with every problem when the file does not compile.
func (s *Server) servePreview(w http.ResponseWriter, r *http.Request) {
	p, err := s.Preview()
	if err != nil {
		http.Error(w, "rejected: a reload would keep generation "+strconv.FormatUint(s.state.Load().generation, 10)+" serving:\n"+errorText(err), http.StatusUnprocessableEntity)
		return
	}
	if r.URL.Query().Get("format") == "text" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "dry run: rules on disk (sha256 %s) against generation %d\n", p.RulesSHA256, p.Generation)
		if p.WouldHold {
			fmt.Fprintf(w, "the reload guard (%g%%) would hold this edit back\n", p.GuardPercent)
		}
		p.WriteText(w)
		return
	}
	writeJSON(w, p)
}

// serveTraffic is GET /traffic: the recorded pairs, busiest first, as
// {"pairs": [{"origin", "path", "count"}]}; corsedge diff -from reads it.
func (s *Server) serveTraffic(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, struct {
		Pairs []impact.Pair `json:"pairs"`
	}{s.Traffic()})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // "allowed->refused" as written
	enc.Encode(v)
}

// queryBool reads a boolean query parameter; absent is false.
func queryBool(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	return strconv.ParseBool(v)
}
