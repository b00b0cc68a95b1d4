package workers

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httputil"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"corsedge/internal/impact"
)

// How long the admin endpoints wait for the workers: a reload reads and
// compiles up to 64 MiB (and waits for a down worker to start), anything
// else asks only the workers that are ready.
const (
	askTimeout    = 5 * time.Second
	reloadTimeout = 60 * time.Second
)

// handler serves the admin endpoints for the whole server, from the
// workers' own.
func (s *Supervisor) handler() http.Handler {
	mux := http.NewServeMux()
	alive := func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") }
	mux.HandleFunc("GET /healthz", alive)
	mux.HandleFunc("GET /livez", alive) // the supervisor answers; it restarts workers itself
	mux.HandleFunc("GET /readyz", s.serveReady)
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, s.Status(r.Context())) })
	mux.HandleFunc("GET /metrics", s.serveMetrics)
	mux.HandleFunc("POST /reload", s.serveReload)
	mux.HandleFunc("GET /traffic", s.serveTraffic)
	// Everything of one worker, /debug/pprof/ included: /worker/1/debug/pprof/profile.
	mux.HandleFunc("/worker/{i}/{path...}", s.serveWorker)
	return mux
}

// answer is one worker's answer to an admin request.
type answer struct {
	worker, pid int
	code        int
	body        []byte
	err         error // it could not be asked, or did not answer
}

func (a answer) ok() bool { return a.err == nil && a.code >= 200 && a.code < 300 }

// ask sends the request to every worker at once and returns their
// answers in worker order. With wait, a worker that is not ready is
// waited for (and a pending restart started now) while ctx lasts;
// without, it answers with the reason it is down.
func (s *Supervisor) ask(ctx context.Context, method, path string, wait bool) []answer {
	out := make([]answer, len(s.workers))
	done := make(chan struct{})
	for i, w := range s.workers {
		go func() {
			defer func() { done <- struct{}{} }()
			a := &out[i]
			a.worker = w.index
			p := w.readyNow()
			if p == nil && wait {
				p, a.err = w.awaitReady(ctx)
			} else if p == nil {
				a.err = w.downError()
			}
			if p == nil {
				return
			}
			a.pid = p.pid
			a.code, a.body, a.err = w.call(ctx, method, path)
		}()
	}
	for range s.workers {
		<-done
	}
	return out
}

func (s *Supervisor) serveReady(w http.ResponseWriter, r *http.Request) {
	if s.handedOver.Load() {
		// The new supervisor serves, and its workers: a probe this one
		// accepted just before it stopped accepting is answered for the
		// server, not for workers on their way out.
		fmt.Fprintln(w, "ok")
		return
	}
	if s.draining.Load() {
		http.Error(w, "draining", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), askTimeout)
	defer cancel()
	var down []string
	for _, a := range s.ask(ctx, "GET", "/readyz", false) {
		if !a.ok() {
			down = append(down, fmt.Sprintf("worker %d: %s", a.worker, a.problem()))
		}
	}
	if len(down) > 0 {
		http.Error(w, "not ready: "+strings.Join(down, "; "), http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ok")
}

// problem says in a line why an answer is not a success.
func (a answer) problem() string {
	if a.err != nil {
		return a.err.Error()
	}
	return fmt.Sprintf("%d %s", a.code, firstLine(a.body))
}

// Status is the JSON document of the supervisor's GET /status.
type Status struct {
	Supervisor SupervisorStatus `json:"supervisor"`
	Workers    []WorkerStatus   `json:"workers"`
}

// SupervisorStatus is the whole server's part of Status.
type SupervisorStatus struct {
	PID      int       `json:"pid"`
	Version  string    `json:"version"` // Config.Version: which build supervises
	Started  time.Time `json:"started"`
	Workers  int       `json:"workers"`
	Ready    int       `json:"ready"` // workers answering
	Draining bool      `json:"draining"`
	// SameTable says every worker answered and serves the same files;
	// RulesSHA256 is then the main file's digest, else "".
	SameTable   bool   `json:"same_table"`
	RulesSHA256 string `json:"rules_sha256"`
}

// WorkerStatus is one worker's part of Status.
type WorkerStatus struct {
	Worker   int       `json:"worker"`
	PID      int       `json:"pid"` // of its process now; 0 while none runs
	State    string    `json:"state"`
	Started  time.Time `json:"started"`
	Restarts int       `json:"restarts"`
	LastExit *Exit     `json:"last_exit"` // null until its first process ends
	// Status is the worker's own GET /status (rules, generation,
	// certificates…); null when it did not answer, and Error says why.
	Status json.RawMessage `json:"status"`
	Error  string          `json:"error,omitempty"`
}

// table is what two workers compare to serve the same rules: the files
// of the table in service, each with its SHA-256.
type table struct {
	Files []struct {
		Path   string `json:"path"`
		SHA256 string `json:"sha256"`
	} `json:"files"`
}

func (t table) key() string {
	var b strings.Builder
	for _, f := range t.Files {
		b.WriteString(f.Path + "\x00" + f.SHA256 + "\x00")
	}
	return b.String()
}

// Status reports every worker, with its own status, and whether they all
// serve the same table.
func (s *Supervisor) Status(ctx context.Context) Status {
	ctx, cancel := context.WithTimeout(ctx, askTimeout)
	defer cancel()
	answers := s.ask(ctx, "GET", "/status", false)
	out := Status{Supervisor: SupervisorStatus{PID: os.Getpid(), Version: s.cfg.Version, Started: s.started, Workers: len(s.workers), Draining: s.draining.Load()}}
	for i, w := range s.workers {
		a := answers[i]
		w.mu.Lock()
		ws := WorkerStatus{Worker: w.index, PID: w.cur.pid, State: w.state, Started: w.cur.started, Restarts: w.restarts, LastExit: w.lastExit}
		if isClosed(w.cur.exited) {
			ws.PID = 0
		}
		w.mu.Unlock()
		if a.ok() && json.Valid(a.body) {
			ws.Status = a.body
			out.Supervisor.Ready++
		} else {
			ws.Error = a.problem()
		}
		out.Workers = append(out.Workers, ws)
	}
	out.Supervisor.SameTable, out.Supervisor.RulesSHA256 = sameTable(answers)
	return out
}

// sameTable says whether every answer is a /status of the same table,
// and that table's main file digest.
func sameTable(answers []answer) (bool, string) {
	var first *table
	for _, a := range answers {
		var t table
		if !a.ok() || json.Unmarshal(a.body, &t) != nil || len(t.Files) == 0 {
			return false, ""
		}
		if first == nil {
			first = &t
		} else if t.key() != first.key() {
			return false, ""
		}
	}
	if first == nil {
		return false, ""
	}
	return true, first.Files[0].SHA256
}

// serveMetrics writes the supervisor's series, then every ready worker's
// with a worker="i" label (see mergeExpositions).
func (s *Supervisor) serveMetrics(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), askTimeout)
	defer cancel()
	var answers, statuses []answer
	done := make(chan struct{})
	go func() { statuses = s.ask(ctx, "GET", "/status", false); close(done) }()
	answers = s.ask(ctx, "GET", "/metrics", false)
	<-done
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	var b bytes.Buffer
	same, _ := sameTable(statuses)
	s.writeMetrics(&b, answers, same)
	var sources []exposition
	for _, a := range answers {
		if a.ok() {
			sources = append(sources, exposition{label: `worker="` + strconv.Itoa(a.worker) + `"`, text: a.body})
		}
	}
	mergeExpositions(&b, sources)
	w.Write(b.Bytes())
}

func (s *Supervisor) writeMetrics(b *bytes.Buffer, answers []answer, same bool) {
	family := func(name, typ string) { fmt.Fprintf(b, "# TYPE %s %s\n", name, typ) }
	family("corsedge_workers", "gauge")
	fmt.Fprintf(b, "corsedge_workers %d\n", len(s.workers))
	family("corsedge_worker_up", "gauge")
	for _, a := range answers {
		fmt.Fprintf(b, "corsedge_worker_up{worker=\"%d\"} %d\n", a.worker, gauge(a.ok()))
	}
	family("corsedge_worker_restarts_total", "counter")
	for _, w := range s.workers {
		w.mu.Lock()
		fmt.Fprintf(b, "corsedge_worker_restarts_total{worker=\"%d\"} %d\n", w.index, w.restarts)
		w.mu.Unlock()
	}
	family("corsedge_workers_same_table", "gauge")
	fmt.Fprintf(b, "corsedge_workers_same_table %d\n", gauge(same))
	family("corsedge_supervisor_reloads_total", "counter")
	for _, trigger := range []string{"admin", "sighup"} {
		for _, result := range []string{"success", "failure"} {
			fmt.Fprintf(b, "corsedge_supervisor_reloads_total{trigger=%q,result=%q} %d\n", trigger, result, s.reloads.get(trigger, result))
		}
	}
}

func gauge(b bool) int {
	if b {
		return 1
	}
	return 0
}

// serveTraffic is GET /traffic over every ready worker: the pairs each
// recorded, counts added up, busiest first (corsedge diff -from reads it).
func (s *Supervisor) serveTraffic(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), askTimeout)
	defer cancel()
	counts := map[[2]string]uint64{}
	for _, a := range s.ask(ctx, "GET", "/traffic", false) {
		var t struct {
			Pairs []impact.Pair `json:"pairs"`
		}
		if a.ok() && json.Unmarshal(a.body, &t) == nil {
			for _, p := range t.Pairs {
				counts[[2]string{p.Origin, p.Path}] += p.Count
			}
		}
	}
	pairs := make([]impact.Pair, 0, len(counts))
	for k, n := range counts {
		pairs = append(pairs, impact.Pair{Origin: k[0], Path: k[1], Count: n})
	}
	slices.SortFunc(pairs, func(a, b impact.Pair) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Origin, b.Origin), cmp.Compare(a.Path, b.Path))
	})
	writeJSON(w, struct {
		Pairs []impact.Pair `json:"pairs"`
	}{pairs})
}

// serveWorker passes /worker/{i}/PATH to worker i's own admin endpoint
// PATH: its pprof profiles, its raw /status and /metrics.
func (s *Supervisor) serveWorker(w http.ResponseWriter, r *http.Request) {
	i, err := strconv.Atoi(r.PathValue("i"))
	if err != nil || i < 0 || i >= len(s.workers) {
		http.Error(w, fmt.Sprintf("no worker %q: they are 0 to %d", r.PathValue("i"), len(s.workers)-1), http.StatusNotFound)
		return
	}
	wk := s.workers[i]
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme, pr.Out.URL.Host = "http", "worker"
			pr.Out.URL.Path, pr.Out.URL.RawPath = "/"+r.PathValue("path"), ""
		},
		Transport: wk.client.Transport,
	}
	proxy.ServeHTTP(w, r)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func firstLine(b []byte) string {
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return line
}

// indent is a worker's answer on its line, its further lines indented.
func indent(b []byte) string {
	return strings.ReplaceAll(strings.TrimSpace(string(b)), "\n", "\n  ")
}
