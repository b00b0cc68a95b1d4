package edge

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"corsedge/rules"
)

// adminHandler serves the admin endpoints. They run on their own listener,
// never the public port: /reload changes what the server answers.
func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /status", s.serveStatus)
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		s.writeMetrics(w)
	})
	mux.HandleFunc("POST /reload", s.serveReload)
	return mux
}

// Status is the JSON document of GET /status.
type Status struct {
	RulesFile    string       `json:"rules_file"`
	RulesSHA256  string       `json:"rules_sha256"`
	Generation   uint64       `json:"generation"`
	LoadedAt     time.Time    `json:"loaded_at"`
	Rules        int          `json:"rules"`
	CacheEntries int          `json:"cache_entries"`
	LastError    *StatusError `json:"last_error"`
}

// StatusError is the last failed reload; a good reload clears it.
type StatusError struct {
	Message string    `json:"message"`
	Line    int       `json:"line"`
	Column  int       `json:"column"`
	At      time.Time `json:"at"`
}

// Status reports the table in service and the last reload's failure, if any.
func (s *Server) Status() Status {
	st := s.state.Load()
	out := Status{
		RulesFile:    s.cfg.RulesFile,
		RulesSHA256:  fmt.Sprintf("%x", st.sum),
		Generation:   st.generation,
		LoadedAt:     st.loadedAt,
		Rules:        len(st.table.Rules()),
		CacheEntries: st.cache.len(),
	}
	if last := s.lastReload(); last.err != nil {
		out.LastError = &StatusError{Message: errorText(last.err), At: last.at}
		if p := rules.FirstError(last.err); p != nil {
			out.LastError.Line, out.LastError.Column = p.Line, p.Col
		}
	}
	return out
}

func (s *Server) serveStatus(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(s.Status())
}

// serveReload reloads now and answers the outcome: 200 with the generation
// in service, or 422 with every problem of the rejected file.
func (s *Server) serveReload(w http.ResponseWriter, r *http.Request) {
	err := s.Reload(TriggerAdmin)
	gen := s.state.Load().generation
	switch {
	case err == nil:
		fmt.Fprintf(w, "reloaded: generation %d\n", gen)
	case errors.Is(err, ErrUnchanged):
		if last := s.lastReload(); last.err != nil {
			http.Error(w, "unchanged, still rejected; generation "+fmt.Sprint(gen)+" keeps serving:\n"+errorText(last.err), http.StatusUnprocessableEntity)
			return
		}
		fmt.Fprintf(w, "unchanged: generation %d\n", gen)
	default:
		http.Error(w, fmt.Sprintf("rejected; generation %d keeps serving:\n%s", gen, errorText(err)), http.StatusUnprocessableEntity)
	}
}
