package edge_test

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"corsedge/edge"
	"corsedge/internal/impact"
)

// Two sites, one a prefix each, as a host of many sites has them.
const twoSites = `version = 1
[[rule]]
name    = "site1"
paths   = ["/s/1/"]
origins = ["https://a.example", "https://*.a.example"]
max_age = 600
[[rule]]
name    = "site2"
paths   = ["/s/2/"]
origins = ["https://b.example"]
max_age = 600
`

// noWatch keeps edits on disk from loading by themselves: only POST
// /reload loads them, so a dry run sees the file and the old table alike.
func noWatch(c *edge.Config) { c.Debounce = time.Hour }

// sendTraffic sends n requests from origin to path, preflights and GETs
// alternately, over the test server's real socket.
func (ts *testServer) sendTraffic(t *testing.T, origin, path string, n int) {
	t.Helper()
	for i := range n {
		if i%2 == 0 {
			ts.do(t, "OPTIONS", path, "Origin: "+origin, "Access-Control-Request-Method: GET")
		} else {
			ts.do(t, "GET", path, "Origin: "+origin)
		}
	}
}

func (ts *testServer) post(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := ts.client.Post(ts.admin+path, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// changeLines renders a report's changes as "COUNT KIND ORIGIN PATH".
func changeLines(changes []impact.Change) string {
	var b strings.Builder
	for _, c := range changes {
		b.WriteString(strconv.FormatUint(c.Count, 10) + " " + string(c.Kind) + " " + c.Origin + " " + c.Path + "\n")
	}
	return b.String()
}

// The dry run lists exactly the recorded pairs an edit changes, busiest
// first, with their request counts, and swaps nothing.
func TestDryRun(t *testing.T) {
	ts := startServer(t, twoSites, noWatch)
	ts.sendTraffic(t, "https://a.example", "/s/1/a.woff2", 5)
	ts.sendTraffic(t, "https://x.a.example", "/s/1/b.woff2", 2)
	ts.sendTraffic(t, "https://b.example", "/s/2/c.js", 4)
	ts.sendTraffic(t, "https://evil.example", "/s/2/c.js", 1)
	for _, tc := range []struct {
		desc, edit, want string
	}{
		{desc: "the same rules", edit: twoSites, want: ""},
		{desc: "a subdomain pattern dropped, an origin added, a max-age changed",
			edit: strings.NewReplacer(`, "https://*.a.example"`, "",
				`["https://b.example"]`, `["https://b.example", "https://evil.example"]`,
				"max_age = 600\n`", "max_age = 60\n").Replace(twoSites + "`"),
			want: "4 headers https://b.example /s/2/\n" +
				"2 allowed->refused https://x.a.example /s/1/\n" +
				"1 refused->allowed https://evil.example /s/2/\n"},
		{desc: "a site removed", edit: strings.SplitAfter(twoSites, "max_age = 600\n")[0],
			want: "4 allowed->refused https://b.example /s/2/\n"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			writeFile(t, ts.rulesFile, strings.TrimSuffix(tc.edit, "`"))
			code, body := ts.post(t, "/reload?dry_run=1")
			if code != http.StatusOK {
				t.Fatalf("dry run: %d %s", code, body)
			}
			var p edge.Preview
			if err := json.Unmarshal([]byte(body), &p); err != nil {
				t.Fatal(err)
			}
			if got := changeLines(p.Changes); got != tc.want {
				t.Errorf("changes:\n%swant:\n%s", got, tc.want)
			}
			if p.Pairs != 4 || p.Requests != 12 || p.AllowedRequests != 11 || p.Generation != 1 {
				t.Errorf("%d pairs, %d requests, %d allowed, generation %d; want 4, 12, 11, 1", p.Pairs, p.Requests, p.AllowedRequests, p.Generation)
			}
			if st := ts.status(t); st.Generation != 1 {
				t.Errorf("generation %d after a dry run, want 1", st.Generation)
			}
		})
	}
	t.Run("text form", func(t *testing.T) {
		_, body := ts.post(t, "/reload?dry_run=1&format=text")
		if !strings.Contains(body, "1 of 4 pairs change") || !strings.Contains(body, "4 of 11 allowed requests would be refused") {
			t.Errorf("text form:\n%s", body)
		}
	})
	t.Run("a broken file", func(t *testing.T) {
		writeFile(t, ts.rulesFile, "version = 1\n[[rule]]\npaths = 3\n")
		if code, body := ts.post(t, "/reload?dry_run=1"); code != http.StatusUnprocessableEntity || !strings.Contains(body, "3:1: rule #1 paths") {
			t.Errorf("dry run of a broken file: %d %s", code, body)
		}
	})
}

// The reload guard holds back an edit that drops a busy site, says so in
// /status and the metrics, keeps the old table serving, and lets the edit
// through on POST /reload?force=1; a smaller edit passes by itself.
func TestReloadGuard(t *testing.T) {
	ts := startServer(t, twoSites, noWatch, func(c *edge.Config) { c.ReloadGuard = 50 })
	ts.sendTraffic(t, "https://a.example", "/s/1/a.woff2", 6)
	ts.sendTraffic(t, "https://b.example", "/s/2/c.js", 2)
	site2 := "version = 1\n" + strings.SplitAfter(twoSites, "max_age = 600\n")[1]
	preflight := func(origin, path string) int {
		return ts.do(t, "OPTIONS", path, "Origin: "+origin, "Access-Control-Request-Method: GET").StatusCode
	}

	writeFile(t, ts.rulesFile, site2) // refuses a.example: 6 of 8 allowed requests, over 50%
	code, body := ts.post(t, "/reload")
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "held back by the reload guard") || !strings.Contains(body, "6 of 8") {
		t.Fatalf("destructive reload: %d %s", code, body)
	}
	if got := preflight("https://a.example", "/s/1/a.woff2"); got != http.StatusNoContent {
		t.Errorf("a.example while held: %d, want the old table's 204", got)
	}
	st := ts.status(t)
	if st.Held == nil || st.Generation != 1 || st.Held.RefusedRequests != 6 || st.LastError == nil {
		t.Fatalf("status while held: %+v held %+v", st, st.Held)
	}
	m := scrape(t, ts.admin)
	for series, want := range map[string]float64{"corsedge_rules_reload_held": 1, "corsedge_rules_reload_held_total": 1, "corsedge_rules_reload_held_refused_ratio": 0.75} {
		if got, ok := m[series]; !ok || got != want {
			t.Errorf("%s = %v (present %t) while held, want %v", series, got, ok, want)
		}
	}
	if code, body := ts.post(t, "/reload"); code != http.StatusUnprocessableEntity || !strings.Contains(body, "still rejected") {
		t.Errorf("reload of the held bytes again: %d %s", code, body)
	}

	if code, body := ts.post(t, "/reload?force=1"); code != http.StatusOK || !strings.Contains(body, "generation 2") {
		t.Fatalf("forced reload: %d %s", code, body)
	}
	if got := preflight("https://a.example", "/s/1/a.woff2"); got != http.StatusForbidden {
		t.Errorf("a.example after force: %d, want 403", got)
	}
	if st := ts.status(t); st.Held != nil || st.LastError != nil {
		t.Errorf("status after force: held %+v, error %+v", st.Held, st.LastError)
	}
	if got, ok := scrape(t, ts.admin)["corsedge_rules_reload_held"]; !ok || got != 0 {
		t.Errorf("corsedge_rules_reload_held = %v (present %t) after force, want 0", got, ok)
	}

	// Back to both sites, then an edit refusing b.example alone: 2 of the
	// 8 (and more) allowed requests, under the guard.
	writeFile(t, ts.rulesFile, twoSites)
	if code, body := ts.post(t, "/reload"); code != http.StatusOK {
		t.Fatalf("reload allowing more: %d %s", code, body)
	}
	writeFile(t, ts.rulesFile, strings.SplitAfter(twoSites, "max_age = 600\n")[0])
	if code, body := ts.post(t, "/reload"); code != http.StatusOK {
		t.Errorf("small edit: %d %s", code, body)
	}
}

// A flood of distinct origins, across a reload, leaves at most the
// decision cache's bound of recorded pairs.
func TestTrafficRecordBounded(t *testing.T) {
	const bound = 300
	ts := startServer(t, twoSites, noWatch, func(c *edge.Config) { c.CacheSize = bound })
	flood := func(from, to int) {
		for i := from; i < to; i++ {
			ts.do(t, "GET", "/s/1/a.woff2", "Origin: https://o"+strconv.Itoa(i)+".a.example")
		}
	}
	flood(0, 2*bound)
	writeFile(t, ts.rulesFile, strings.Replace(twoSites, "max_age = 600", "max_age = 60", 1))
	if code, body := ts.post(t, "/reload"); code != http.StatusOK {
		t.Fatalf("reload: %d %s", code, body)
	}
	flood(2*bound, 4*bound)
	resp, err := ts.client.Get(ts.admin + "/traffic")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct{ Pairs []impact.Pair }
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if n := len(got.Pairs); n == 0 || n > bound {
		t.Errorf("%d recorded pairs after %d distinct origins, want 1 to %d", n, 4*bound, bound)
	}
}

// With site files included, the dry run compiles what a reload would:
// an edit to one site's file is previewed, nothing is swapped.
func TestDryRunSeesIncludedFiles(t *testing.T) {
	main := "version = 1\ninclude = [\"sites.d/*.toml\"]\n"
	ts := startServer(t, main, noWatch)
	dir := filepath.Join(filepath.Dir(ts.rulesFile), "sites.d")
	site := func(origin string) string {
		return "[[rule]]\nname = \"site1\"\npaths = [\"/s/1/\"]\norigins = [\"" + origin + "\"]\n"
	}
	writeFile(t, filepath.Join(dir, "site1.toml"), site("https://a.example"))
	if code, body := ts.post(t, "/reload"); code != http.StatusOK {
		t.Fatalf("reload: %d %s", code, body)
	}
	ts.sendTraffic(t, "https://a.example", "/s/1/a.woff2", 3)
	writeFile(t, filepath.Join(dir, "site1.toml"), site("https://b.example"))
	code, body := ts.post(t, "/reload?dry_run=1")
	if code != http.StatusOK {
		t.Fatalf("dry run: %d %s", code, body)
	}
	var p edge.Preview
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	if got, want := changeLines(p.Changes), "3 allowed->refused https://a.example /s/1/\n"; got != want {
		t.Errorf("changes:\n%swant:\n%s", got, want)
	}
	if st := ts.status(t); st.Generation != 2 {
		t.Errorf("generation %d after the dry run, want 2 (the site's first load only)", st.Generation)
	}
}
