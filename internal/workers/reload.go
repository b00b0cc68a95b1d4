package workers

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// serveReload is POST /reload for every worker: dry runs are relayed
// (servePreview); a reload answers when every worker has.
func (s *Supervisor) serveReload(w http.ResponseWriter, r *http.Request) {
	if dry, _ := strconv.ParseBool(r.URL.Query().Get("dry_run")); dry {
		s.servePreview(w, r)
		return
	}
	code, text := s.Reload(r.Context(), r.URL.RawQuery, "admin")
	if code != http.StatusOK {
		http.Error(w, strings.TrimSuffix(text, "\n"), code)
		return
	}
	fmt.Fprint(w, text)
}

// Reload sends POST /reload (with query: force=1) to every worker at
// once, waiting for one that is restarting, and answers when all have:
// 200 only when each reloaded (or had the file's table already) and they
// all serve the same table then; else the failing worker's status (422
// for a rejected file), 503 for one that did not answer, 409 for workers
// that answered well but serve different tables (the file changed
// between their reads: reload again). The text has a line for each
// worker, then the verdict. trigger (admin, sighup) labels
// corsedge_supervisor_reloads_total.
func (s *Supervisor) Reload(ctx context.Context, query, trigger string) (int, string) {
	ctx, cancel := context.WithTimeout(ctx, reloadTimeout)
	defer cancel()
	path := "/reload"
	if query != "" {
		path += "?" + query
	}
	answers := s.ask(ctx, "POST", path, true)
	var b strings.Builder
	code := http.StatusOK
	for _, a := range answers {
		switch {
		case a.err != nil:
			fmt.Fprintf(&b, "worker %d: not reloaded: %v\n", a.worker, a.err)
			code = cmp.Or(nonOK(code), http.StatusServiceUnavailable)
		default:
			fmt.Fprintf(&b, "worker %d (pid %d): %s\n", a.worker, a.pid, indent(a.body))
			if !a.ok() {
				code = cmp.Or(nonOK(code), a.code)
			}
		}
	}
	if code == http.StatusOK {
		same, sum := sameTable(s.ask(ctx, "GET", "/status", false))
		if same {
			fmt.Fprintf(&b, "all %d workers serve the same rules (sha256 %s)\n", len(s.workers), sum)
		} else {
			code = http.StatusConflict
			b.WriteString("the workers do not all serve the same rules (the file changed while they read it?): reload again\n")
		}
	}
	result, log := "success", s.log.Info
	if code != http.StatusOK {
		result, log = "failure", s.log.Error
	}
	s.reloads.add(trigger, result)
	log("reload of every worker: "+result, "trigger", trigger, "answer", b.String())
	return code, b.String()
}

// nonOK is code unless it is 200: the first failure's status is kept.
func nonOK(code int) int {
	if code == http.StatusOK {
		return 0
	}
	return code
}

// servePreview relays POST /reload?dry_run=1 to every worker: each
// previews the edit against the traffic it recorded. JSON:
// {"workers": [{"worker", "pid", "code", "preview" or "error"}]}; with
// format=text each worker's text under a line that names it.
func (s *Supervisor) servePreview(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), reloadTimeout)
	defer cancel()
	answers := s.ask(ctx, "POST", "/reload?"+r.URL.RawQuery, true)
	code := http.StatusOK
	for _, a := range answers {
		if a.err != nil {
			code = cmp.Or(nonOK(code), http.StatusServiceUnavailable)
		} else if a.code != http.StatusOK {
			code = cmp.Or(nonOK(code), a.code)
		}
	}
	if r.URL.Query().Get("format") == "text" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(code)
		for _, a := range answers {
			if a.err != nil {
				fmt.Fprintf(w, "worker %d: %v\n", a.worker, a.err)
				continue
			}
			fmt.Fprintf(w, "worker %d (pid %d):\n%s", a.worker, a.pid, a.body)
		}
		return
	}
	type preview struct {
		Worker  int             `json:"worker"`
		PID     int             `json:"pid,omitempty"`
		Code    int             `json:"code,omitempty"`
		Preview json.RawMessage `json:"preview,omitempty"`
		Error   string          `json:"error,omitempty"`
	}
	var out struct {
		Workers []preview `json:"workers"`
	}
	for _, a := range answers {
		p := preview{Worker: a.worker, PID: a.pid, Code: a.code}
		if a.code == http.StatusOK && json.Valid(a.body) {
			p.Preview = a.body
		} else {
			p.Error = a.problem()
			if a.err == nil {
				p.Error = strings.TrimSpace(string(a.body))
			}
		}
		out.Workers = append(out.Workers, p)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	enc.Encode(out)
}
