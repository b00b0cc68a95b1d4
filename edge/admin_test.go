package edge_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"corsedge/edge"
)

func TestAdminReload(t *testing.T) {
	ts := startServer(t, tableA)
	for _, step := range []struct {
		desc       string
		write      string // new rules file content; "" leaves it alone
		wantStatus int
		wantBody   string
		wantGen    uint64
		wantErr    bool // /status shows last_error
	}{
		{"nothing changed", "", 200, "unchanged: generation 1", 1, false},
		{"a good edit", tableB, 200, "reloaded: generation 2", 2, false},
		{"a broken file", "version = 1\n[[rule]\n", 422, "rejected; generation 2 keeps serving:\n2:7: syntax error", 2, true},
		{"the same broken file again", "", 422, "unchanged, still rejected", 2, true},
		{"fixed", tableA, 200, "reloaded: generation 3", 3, false},
	} {
		if step.write != "" {
			writeFile(t, ts.rulesFile, step.write)
		}
		resp, err := ts.client.Post(ts.admin+"/reload", "", nil)
		must(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != step.wantStatus || !strings.Contains(string(body), step.wantBody) {
			t.Errorf("%s: POST /reload = %d %q, want %d containing %q", step.desc, resp.StatusCode, body, step.wantStatus, step.wantBody)
		}
		st := ts.status(t)
		if st.Generation != step.wantGen || (st.LastError != nil) != step.wantErr {
			t.Errorf("%s: status generation %d last_error %+v, want generation %d, error %v", step.desc, st.Generation, st.LastError, step.wantGen, step.wantErr)
		}
	}
}

func TestAdminReloadNeedsPOST(t *testing.T) {
	ts := startServer(t, tableA)
	resp, err := ts.client.Get(ts.admin + "/reload")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /reload = %d, want 405", resp.StatusCode)
	}
}

func TestAdminStatusAndHealth(t *testing.T) {
	ts := startServer(t, tableA)
	resp, err := ts.client.Get(ts.admin + "/healthz")
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok\n" {
		t.Errorf("/healthz = %d %q", resp.StatusCode, body)
	}
	ts.preflightAnswer(t)
	st := ts.status(t)
	if st.RulesFile != ts.rulesFile || len(st.RulesSHA256) != 64 || st.Generation != 1 || st.Rules != 1 ||
		st.CacheEntries != 1 || st.LastError != nil || time.Since(st.LoadedAt) > time.Minute {
		t.Errorf("status = %+v", st)
	}
}

func TestMetrics(t *testing.T) {
	ts := startServer(t, tableA)
	ts.preflightAnswer(t)                                                                                   // preflight allowed, cache miss
	ts.preflightAnswer(t)                                                                                   // preflight allowed, cache hit
	ts.do(t, "OPTIONS", "/js/app.js", "Origin: https://evil.example", "Access-Control-Request-Method: GET") // refused
	ts.do(t, "GET", "/js/app.js", "Origin: https://a.example")                                              // actual allowed
	ts.do(t, "GET", "/js/app.js")                                                                           // actual, no Origin
	ts.do(t, "DELETE", "/js/app.js", "Origin: https://a.example")                                           // 405
	writeFile(t, ts.rulesFile, "broken")
	ts.client.Post(ts.admin+"/reload", "", nil)
	resp, err := ts.client.Get(ts.admin + "/metrics")
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`corsedge_requests_total{kind="preflight",decision="allowed"} 2`,
		`corsedge_requests_total{kind="preflight",decision="refused"} 1`,
		`corsedge_requests_total{kind="actual",decision="allowed"} 1`,
		`corsedge_requests_total{kind="actual",decision="none"} 1`,
		`corsedge_requests_total{kind="method_not_allowed",decision="allowed"} 1`,
		`corsedge_rules_reloads_total{trigger="admin",result="failure"} 1`,
		`corsedge_rules_last_reload_successful 0`,
		`corsedge_rules_generation 1`,
		`corsedge_decision_cache_hits_total 3`,
		`corsedge_decision_cache_misses_total 2`,
		`corsedge_decision_cache_evictions_total 0`,
		`corsedge_decision_cache_entries 2`,
	} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if !regexp.MustCompile(`(?m)^corsedge_rules_last_reload_success_timestamp_seconds \d`).Match(body) {
		t.Errorf("/metrics lacks the last success timestamp")
	}
}

// silentRulesFile returns a rules file whose edits no watch sees: a symlink
// to a file in another directory, as on filesystems where inotify is silent.
// Writing the returned target changes the rules.
func silentRulesFile(t *testing.T) (file, target string) {
	target = filepath.Join(t.TempDir(), "real.toml")
	writeFile(t, target, tableA)
	file = filepath.Join(t.TempDir(), "rules.toml")
	must(t, os.Symlink(target, file))
	return file, target
}

func TestPollReloadsWithoutEvents(t *testing.T) {
	file, target := silentRulesFile(t)
	ts := startServerOn(t, file, func(c *edge.Config) { c.Poll = 50 * time.Millisecond })
	writeFile(t, target, tableB)
	if !waitFor(3*time.Second, func() bool { return ts.status(t).Generation == 2 }) {
		t.Fatal("the poll did not reload within 3 s")
	}
	if got := ts.preflightAnswer(t); got != answerB {
		t.Errorf("after the poll: %+v, want table B's", got)
	}
}
