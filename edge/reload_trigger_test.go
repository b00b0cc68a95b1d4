package edge_test

import (
	"io"
	"strings"
	"testing"

	"corsedge/edge"
)

// Start-up is one more caller of the reload path: it is counted like any
// reload, under its own trigger, and every trigger has its label.
func TestReloadTriggersCounted(t *testing.T) {
	ts := startServer(t, tableA)
	writeFile(t, ts.rulesFile, tableB)
	if err := ts.srv.Reload(edge.TriggerSIGHUP); err != nil {
		t.Fatal(err)
	}
	if err := ts.srv.Reload(edge.TriggerPoll); err != edge.ErrUnchanged {
		t.Fatalf("second reload of the same bytes: %v, want ErrUnchanged", err)
	}
	resp, err := ts.client.Get(ts.admin + "/metrics")
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, tc := range []struct {
		desc, want string
	}{
		{"the load at start", `corsedge_rules_reloads_total{trigger="start",result="success"} 1`},
		{"a SIGHUP", `corsedge_rules_reloads_total{trigger="sighup",result="success"} 1`},
		{"a poll of the same bytes", `corsedge_rules_reloads_total{trigger="poll",result="unchanged"} 1`},
		{"no file event", `corsedge_rules_reloads_total{trigger="fsnotify",result="success"} 0`},
		{"no admin reload", `corsedge_rules_reloads_total{trigger="admin",result="failure"} 0`},
	} {
		if !strings.Contains(string(body), tc.want+"\n") {
			t.Errorf("%s: /metrics lacks %q", tc.desc, tc.want)
		}
	}
	for _, tc := range []struct {
		desc string
		t    edge.Trigger
		want string
	}{
		{"start", edge.TriggerStart, "start"},
		{"fsnotify", edge.TriggerFSNotify, "fsnotify"},
		{"sighup", edge.TriggerSIGHUP, "sighup"},
		{"admin", edge.TriggerAdmin, "admin"},
		{"poll", edge.TriggerPoll, "poll"},
		{"out of range", edge.Trigger(200), "Trigger(200)"},
	} {
		if got := tc.t.String(); got != tc.want {
			t.Errorf("%s: String() = %q, want %q", tc.desc, got, tc.want)
		}
	}
}
