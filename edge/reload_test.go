package edge_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"corsedge/edge"
)

// Two tables that answer the same preflight differently in every header.
const (
	tableA = `version = 1
[[rule]]
name    = "A"
paths   = ["/js/"]
origins = ["https://a.example"]
methods = ["GET", "POST"]
headers = ["x-a"]
max_age = 600
`
	tableB = `version = 1
[[rule]]
name    = "B"
paths   = ["/js/"]
origins = ["https://a.example", "https://b.example"]
methods = ["GET", "PUT"]
headers = ["x-b"]
max_age = 60
`
)

// answer is the part of a preflight response that tells the tables apart.
type answer struct {
	status                        int
	origin, methods, hdrs, maxAge string
}

var (
	answerA = answer{204, "https://a.example", "GET, HEAD, POST", "x-a", "600"}
	answerB = answer{204, "https://a.example", "GET, HEAD, PUT", "x-b", "60"}
)

func answerOf(resp *http.Response) answer {
	h := resp.Header
	return answer{resp.StatusCode, h.Get("Access-Control-Allow-Origin"), h.Get("Access-Control-Allow-Methods"),
		h.Get("Access-Control-Allow-Headers"), h.Get("Access-Control-Max-Age")}
}

func (ts *testServer) preflightAnswer(t testing.TB) answer {
	return answerOf(ts.do(t, "OPTIONS", "/js/app.js", "Origin: https://a.example", "Access-Control-Request-Method: GET"))
}

// Each case performs real file operations on a real directory, the way an
// editor, a deploy script or Kubernetes does, then expects table B (or, when
// the new bytes are bad, table A still serving and the error in /status).
var reloadCases = []struct {
	desc   string
	layout func(t *testing.T, dir string) string // prepares the dir holding table A; returns the rules file
	edit   func(t *testing.T, dir, file string)
	wantB  bool // else: table A keeps serving and /status shows the error
	atLine int  // the line /status must give for the error, when known
}{
	{
		desc: "vim save: rename away, create, write, remove backup",
		edit: func(t *testing.T, dir, file string) {
			probe := filepath.Join(dir, "4913")
			must(t, os.WriteFile(probe, nil, 0o644))
			must(t, os.Remove(probe))
			must(t, os.Rename(file, file+"~"))
			f, err := os.OpenFile(file, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o644)
			must(t, err)
			_, err = f.WriteString(tableB)
			must(t, err)
			must(t, f.Close())
			must(t, os.Remove(file+"~"))
		},
		wantB: true,
	},
	{
		desc: "in-place truncate, then write",
		edit: func(t *testing.T, dir, file string) {
			f, err := os.OpenFile(file, os.O_WRONLY|os.O_TRUNC, 0)
			must(t, err)
			time.Sleep(20 * time.Millisecond) // a reader here sees an empty file
			_, err = f.WriteString(tableB)
			must(t, err)
			must(t, f.Close())
		},
		wantB: true,
	},
	{
		desc: "mv of a temp file over the rules file",
		edit: func(t *testing.T, dir, file string) {
			tmp := filepath.Join(dir, ".rules.toml.tmp")
			must(t, os.WriteFile(tmp, []byte(tableB), 0o644))
			must(t, os.Rename(tmp, file))
		},
		wantB: true,
	},
	{
		desc:   "Kubernetes ConfigMap: ..data swapped to a new timestamped directory",
		layout: configMapLayout,
		edit: func(t *testing.T, dir, file string) {
			must(t, os.Mkdir(filepath.Join(dir, "..2026_11_28_v2"), 0o755))
			must(t, os.WriteFile(filepath.Join(dir, "..2026_11_28_v2", "rules.toml"), []byte(tableB), 0o644))
			must(t, os.Symlink("..2026_11_28_v2", filepath.Join(dir, "..data_tmp")))
			must(t, os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
			must(t, os.RemoveAll(filepath.Join(dir, "..2026_11_28_v1")))
		},
		wantB: true,
	},
	{
		desc: "rules file deleted, then recreated",
		edit: func(t *testing.T, dir, file string) {
			must(t, os.Remove(file))
			time.Sleep(300 * time.Millisecond) // long enough for a reload to see it missing
			must(t, os.WriteFile(file, []byte(tableB), 0o644))
		},
		wantB: true,
	},
	{
		desc: "whole directory removed, then recreated",
		edit: func(t *testing.T, dir, file string) {
			must(t, os.RemoveAll(dir))
			time.Sleep(300 * time.Millisecond)
			must(t, os.Mkdir(dir, 0o755))
			must(t, os.WriteFile(file, []byte(tableB), 0o644))
		},
		wantB: true,
	},
	{
		desc: "empty file keeps the old table",
		edit: func(t *testing.T, dir, file string) { must(t, os.WriteFile(file, nil, 0o644)) },
	},
	{
		desc: "half-written file keeps the old table",
		edit: func(t *testing.T, dir, file string) {
			must(t, os.WriteFile(file, []byte(tableB[:len(tableB)/2]), 0o644))
		},
	},
	{
		desc: "syntax error keeps the old table",
		edit: func(t *testing.T, dir, file string) {
			must(t, os.WriteFile(file, []byte(strings.Replace(tableB, `paths   = ["/js/"]`, `paths   = ["/js/"`, 1)), 0o644))
		},
		atLine: 5,
	},
	{
		desc: "invalid table keeps the old table",
		edit: func(t *testing.T, dir, file string) {
			must(t, os.WriteFile(file, []byte(strings.Replace(tableB, "https://b.example", "https://B.example", 1)), 0o644))
		},
		atLine: 5,
	},
}

// configMapLayout lays out dir as a ConfigMap volume does: the rules file is
// a symlink through ..data, itself a symlink to a timestamped directory.
func configMapLayout(t *testing.T, dir string) string {
	must(t, os.MkdirAll(filepath.Join(dir, "..2026_11_28_v1"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "..2026_11_28_v1", "rules.toml"), []byte(tableA), 0o644))
	must(t, os.Symlink("..2026_11_28_v1", filepath.Join(dir, "..data")))
	must(t, os.Symlink("..data/rules.toml", filepath.Join(dir, "rules.toml")))
	return filepath.Join(dir, "rules.toml")
}

func TestReloadTriggersOnFileOperations(t *testing.T) {
	for _, tc := range reloadCases {
		t.Run(tc.desc, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "conf")
			must(t, os.Mkdir(dir, 0o755))
			file := filepath.Join(dir, "rules.toml")
			if tc.layout != nil {
				file = tc.layout(t, dir)
			} else {
				must(t, os.WriteFile(file, []byte(tableA), 0o644))
			}
			ts := startServerOn(t, file)
			if got := ts.preflightAnswer(t); got != answerA {
				t.Fatalf("before the edit: %+v, want table A's %+v", got, answerA)
			}
			tc.edit(t, dir, file)
			if tc.wantB {
				if !waitFor(3*time.Second, func() bool { return ts.status(t).Generation == 2 }) {
					t.Fatalf("no reload within 3 s: status %+v", ts.status(t))
				}
				if got := ts.preflightAnswer(t); got != answerB {
					t.Errorf("after the edit: %+v, want table B's %+v", got, answerB)
				}
				if st := ts.status(t); st.LastError != nil {
					t.Errorf("a good reload must clear last_error, got %+v", st.LastError)
				}
				return
			}
			if !waitFor(3*time.Second, func() bool { return ts.status(t).LastError != nil }) {
				t.Fatalf("bad file not reported within 3 s: status %+v", ts.status(t))
			}
			st := ts.status(t)
			if tc.atLine != 0 && st.LastError.Line != tc.atLine {
				t.Errorf("last_error at line %d, want %d: %+v", st.LastError.Line, tc.atLine, st.LastError)
			}
			if st.Generation != 1 {
				t.Errorf("generation %d after a bad file, want 1", st.Generation)
			}
			if got := ts.preflightAnswer(t); got != answerA {
				t.Errorf("after a bad file: %+v, want table A's %+v still serving", got, answerA)
			}
		})
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A broken edit undone puts back the bytes of the table in service: the
// failure is cleared, and no new generation (with a cold cache) is made.
func TestReloadBackToTableInService(t *testing.T) {
	ts := startServer(t, tableA)
	writeFile(t, ts.rulesFile, "version = 1\n[[rule]]\npaths = 3\n")
	ts.srv.Reload(edge.TriggerAdmin)
	if st := ts.status(t); st.LastError == nil {
		t.Fatalf("broken file: /status has no last_error: %+v", st)
	}
	writeFile(t, ts.rulesFile, tableA)
	ts.srv.Reload(edge.TriggerAdmin)
	st := ts.status(t)
	if st.LastError != nil || st.Generation != 1 {
		t.Errorf("table A's bytes back: last_error %+v, generation %d; want none, 1", st.LastError, st.Generation)
	}
	if got := ts.preflightAnswer(t); got != answerA {
		t.Errorf("answer %+v, want table A's", got)
	}
}
