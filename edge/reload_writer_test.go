package edge_test

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"corsedge/edge"
)

// tableTwo has two rules; cut ends a valid one-rule table, its first rule.
const tableTwo = `version = 1
[[rule]]
name    = "first"
paths   = ["/js/"]
origins = ["https://a.example"]
` + cut + `
[[rule]]
name    = "second"
paths   = ["/fonts/"]
origins = ["*"]
`

const cut = "# end of the first rule"

// A writer that rewrites the rules file in place, pausing 400 ms after the
// first rule, never puts the one-rule table in service, whatever asks for
// a reload during the pause: generation 2 is the two-rule table.
func TestReloadWaitsForAnInPlaceWriter(t *testing.T) {
	for _, tc := range []struct {
		desc    string
		silent  bool // the rules file is a symlink into another directory: no file event
		config  func(*edge.Config)
		trigger func(t *testing.T, ts *testServer) // during the pause; nil: the file events alone
	}{
		{desc: "file events"},
		{desc: "SIGHUP during the pause", silent: true, trigger: func(t *testing.T, ts *testServer) {
			if err := ts.srv.Reload(edge.TriggerSIGHUP); err != nil {
				t.Errorf("Reload(SIGHUP) during the pause: %v", err)
			}
		}},
		{desc: "POST /reload during the pause", silent: true, trigger: func(t *testing.T, ts *testServer) {
			if code, body := ts.postReload(t); code != 200 || !strings.Contains(body, "reloaded: generation 2") {
				t.Errorf("POST /reload during the pause = %d %q, want generation 2", code, body)
			}
		}},
		{desc: "poll ticks during the pause", silent: true, config: func(c *edge.Config) { c.Poll = 50 * time.Millisecond }},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var file, target string
			if tc.silent {
				file, target = silentRulesFile(t)
			} else {
				target = t.TempDir() + "/rules.toml"
				writeFile(t, target, tableA)
				file = target
			}
			configure := []func(*edge.Config){}
			if tc.config != nil {
				configure = append(configure, tc.config)
			}
			ts := startServerOn(t, file, configure...)
			var wg sync.WaitGroup
			first, rest, _ := strings.Cut(tableTwo, cut)
			w, err := os.OpenFile(target, os.O_WRONLY|os.O_TRUNC, 0)
			must(t, err)
			_, err = w.WriteString(first)
			must(t, err)
			if tc.trigger != nil {
				wg.Go(func() {
					time.Sleep(100 * time.Millisecond)
					tc.trigger(t, ts)
				})
			}
			// Sample what is in service during the pause and after.
			seen := map[uint64]int{}
			sample := func() {
				st := ts.srv.Status()
				seen[st.Generation] = st.Rules
			}
			for pause := time.Now(); time.Since(pause) < 400*time.Millisecond; time.Sleep(2 * time.Millisecond) {
				sample()
			}
			_, err = w.WriteString(cut + rest)
			must(t, err)
			must(t, w.Close())
			if !waitFor(3*time.Second, func() bool { sample(); return ts.srv.Status().Generation >= 2 }) {
				t.Fatalf("the complete file was not loaded within 3 s: %+v", ts.srv.Status())
			}
			wg.Wait()
			time.Sleep(300 * time.Millisecond) // the writer's last events settle
			sample()
			for gen, n := range seen {
				if gen > 1 && n != 2 {
					t.Errorf("generation %d had %d rules: a half-written file went live", gen, n)
				}
			}
			if st := ts.srv.Status(); st.Generation != 2 || st.Rules != 2 || st.LastError != nil {
				t.Errorf("status %+v, want generation 2 with both rules and no error", st)
			}
		})
	}
}
