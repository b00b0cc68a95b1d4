package edge

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"time"

	"corsedge/acme"
	"corsedge/certs"
	"corsedge/rules"
)

// adminHandler serves the admin endpoints. They run on their own listener,
// never the public port: /reload changes what the server answers.
func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	alive := func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") }
	mux.HandleFunc("GET /healthz", alive)
	mux.HandleFunc("GET /livez", alive) // the process answers: restarting it would not help otherwise
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		// Handed over, the socket is the new process's, which serves: a
		// probe this one accepted just before is answered for the server.
		if s.draining.Load() && !s.handedOver.Load() {
			http.Error(w, "draining", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	// Profiles only here, never on the public port: a CPU profile costs
	// the server for as long as it is asked to run.
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /status", s.serveStatus)
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		s.writeMetrics(w)
	})
	mux.HandleFunc("POST /reload", s.serveReloadRequest) // preview.go: dry_run, force
	mux.HandleFunc("GET /traffic", s.serveTraffic)
	return mux
}

// Status is the JSON document of GET /status.
type Status struct {
	RulesFile    string       `json:"rules_file"`
	RulesSHA256  string       `json:"rules_sha256"` // of the main file
	Files        []StatusFile `json:"files"`        // the main file, then each included file, in service
	Generation   uint64       `json:"generation"`
	LoadedAt     time.Time    `json:"loaded_at"`
	Rules        int          `json:"rules"`
	CacheEntries int          `json:"cache_entries"`
	LastError    *StatusError `json:"last_error"`
	// Certificates are the HTTPS pairs, in flag order; absent without HTTPS.
	Certificates []certs.Info `json:"certificates,omitempty"`
	// ACME is the managed domains' certificates and orders; absent without ACME.
	ACME *acme.Status `json:"acme,omitempty"`
	// Process is the process answering: after a binary hand-over, the new one.
	Process StatusProcess `json:"process"`
	// Held is the edit the reload guard holds back; absent when none is.
	Held *HeldStatus `json:"held,omitempty"`
}

// StatusProcess names the process and build that answer.
type StatusProcess struct {
	PID       int       `json:"pid"`
	Version   string    `json:"version"`
	StartedAt time.Time `json:"started_at"`
}

// StatusFile is one file of the table in service.
type StatusFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
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
		Files:        statusFiles(st.table.Files()),
		Generation:   st.generation,
		LoadedAt:     st.loadedAt,
		Rules:        len(st.table.Rules()),
		CacheEntries: st.cache.len(),
		Held:         s.heldStatus(),
		Process:      StatusProcess{PID: os.Getpid(), Version: s.cfg.Version, StartedAt: s.started},
	}
	if len(out.Files) > 0 {
		out.RulesSHA256 = out.Files[0].SHA256
	}
	if s.cfg.Certificates != nil {
		out.Certificates = s.cfg.Certificates.Info()
	}
	if s.cfg.ACME != nil {
		st := s.cfg.ACME.Status()
		out.ACME = &st
	}
	if last := s.lastReload(); last.err != nil {
		out.LastError = &StatusError{Message: errorText(last.err), At: last.at}
		if p := rules.FirstError(last.err); p != nil {
			out.LastError.Line, out.LastError.Column = p.Line, p.Col
		}
	}
	return out
}

func statusFiles(files []rules.FileSum) []StatusFile {
	out := make([]StatusFile, len(files))
	for i, f := range files {
		out[i] = StatusFile{Path: f.Path, SHA256: fmt.Sprintf("%x", f.SHA256)}
	}
	return out
}

func (s *Server) serveStatus(w http.ResponseWriter, r *http.Request) { writeJSON(w, s.Status()) }

// serveReload reloads now with load and answers the outcome: 200 with the
// generation in service, or 422 with every problem of the rejected rules
// file or certificate pairs.
func (s *Server) serveReload(w http.ResponseWriter, r *http.Request, load func() error) {
	err := load()
	certErr := s.reloadCertificates(TriggerAdmin)
	gen := s.state.Load().generation
	var msg string
	failed := false
	switch {
	case err == nil:
		msg = fmt.Sprintf("reloaded: generation %d\n", gen)
	case errors.Is(err, ErrUnchanged):
		if last := s.lastReload(); last.err != nil {
			msg, failed = "unchanged, still rejected; generation "+fmt.Sprint(gen)+" keeps serving:\n"+errorText(last.err)+"\n", true
		} else {
			msg = fmt.Sprintf("unchanged: generation %d\n", gen)
		}
	default:
		msg, failed = fmt.Sprintf("rejected; generation %d keeps serving:\n%s\n", gen, errorText(err)), true
	}
	if certErr != nil {
		msg, failed = msg+"certificates rejected; the previous ones keep serving:\n"+certErr.Error()+"\n", true
	}
	if failed {
		http.Error(w, strings.TrimSuffix(msg, "\n"), http.StatusUnprocessableEntity)
		return
	}
	fmt.Fprint(w, msg)
}
