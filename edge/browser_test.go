package edge_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"corsedge/certs"
	"corsedge/edge"
	"corsedge/internal/accesslog"
	"corsedge/internal/accesslog/logtest"
	"corsedge/internal/browsertest"
	"corsedge/internal/testlog"
	"corsedge/internal/testpki"
)

// A real browser on another site is the judge of a CORS answer: each
// engine (Chromium, Firefox, WebKit) loads a page from
// http://localhost:PORT that makes cross-origin requests to corsedge on
// 127.0.0.1, then the same over HTTPS, the page and corsedge both on a
// test CA's certificate (Chromium trusts its key; Firefox's and WebKit's
// WebDriver accept it as an insecure certificate). Every "blocked" comes
// with evidence of what blocked it: the engine's own console message where
// it has a console, and always corsedge's access log of the engine's
// request and a Go replay of that request showing the answer that blocks
// it. The test ends with a table of checks × engines; each engine starts
// once and loads the page over both schemes.
func TestBrowser(t *testing.T) {
	f := newTLSFixture(t)
	pair, leaf := f.pair(t, "edge", testpki.Spec{}) // localhost and 127.0.0.1: the page and corsedge alike
	pki := browserPKI{fixture: f, pair: pair, leaf: leaf}
	table := newBrowserTable()
	for _, e := range browsertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			b := browsertest.Start(t, e, browsertest.Options{TrustedKeys: []string{leaf.SPKIHash()}})
			for _, scheme := range []string{"http", "https"} {
				t.Run(scheme, func(t *testing.T) {
					https := scheme == "https"
					run := browse(t, b, pki, https)
					for _, c := range browserChecks {
						ok := t.Run(c.name, func(t *testing.T) { run.judge(t, c) })
						table.set(string(e)+"/"+scheme, c.name, run.cell(c, ok))
					}
				})
			}
		})
	}
	t.Log("\n" + table.String())
}

// browserPKI is the test CA's leaf that the page and corsedge serve.
type browserPKI struct {
	fixture *tlsFixture
	pair    certs.Pair
	leaf    testpki.Leaf
}

// browserRun is what one engine did with the page on one scheme.
type browserRun struct {
	engine  *browsertest.Browser
	origin  string // the page's: scheme://localhost:PORT
	edgeURL string // corsedge's base URL
	got     map[string]any

	mu        sync.Mutex        // guards what the reload handler fills in: replays, errs, reloadErr
	replays   map[string]string // check: how corsedge's answer to the replayed request blocks it
	errs      map[string]error  // check: why its replay failed
	reloadErr error             // why the rules were not traded

	access   []logtest.JSONLine // corsedge's access log of the engine's requests
	recorded []*http.Request    // the engine's requests as corsedge received them, on plain HTTP; nil on HTTPS
}

// browse serves the page and a fresh corsedge, has the engine load the
// page, and collects the outcomes and the evidence.
func browse(t *testing.T, b *browsertest.Browser, pki browserPKI, https bool) *browserRun {
	var logBuf testlog.Buffer
	al, err := accesslog.New(&logBuf, accesslog.Options{Format: accesslog.JSON, Sample: 1})
	must(t, err)
	t.Cleanup(func() { al.Close() }) // after the server stops: registered first
	withLog := func(c *edge.Config) { c.AccessLog = al }
	var ts *testServer
	var recorder *recordingListener
	edgeURL, scheme, client := "", "http", (*http.Client)(nil)
	if https {
		ts = startHTTPS(t, browserRules(pageOrigins, elsewhere), []certs.Pair{pki.pair}, withLog)
		edgeURL, scheme, client = ts.tlsURL, "https", pki.fixture.httpsClient(false)
	} else {
		rulesFile := filepath.Join(t.TempDir(), "rules.toml")
		writeFile(t, rulesFile, browserRules(pageOrigins, elsewhere))
		recorder = &recordingListener{Listener: listen(t)}
		ts = startServerListening(t, rulesFile, recorder, withLog)
		edgeURL, client = ts.url, ts.client
	}
	fontBytes, err := os.ReadFile("../assets/demo/fonts/fontawesome-webfont.woff2")
	must(t, err)
	for _, c := range browserChecks {
		switch {
		case c.absent || c.control:
		case strings.HasSuffix(c.path, ".woff2"):
			writeFile(t, ts.root+c.path, string(fontBytes))
		default:
			writeFile(t, ts.root+c.path, scriptBody)
		}
	}
	var tlsConfig *tls.Config
	if https {
		cert, err := tls.X509KeyPair(pki.leaf.CertPEM, pki.leaf.KeyPEM)
		must(t, err)
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	controlURL := serveLoopback(t, http.HandlerFunc(permissiveCORS), tlsConfig)

	run := &browserRun{engine: b, edgeURL: edgeURL, replays: map[string]string{}, errs: map[string]error{}}
	reports := make(chan map[string]any, 1)
	page := http.NewServeMux()
	page.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		before, after := pageChecks(edgeURL, controlURL)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, browserPage, before, after)
	})
	page.HandleFunc("POST /reload", func(w http.ResponseWriter, r *http.Request) {
		run.replay(client, false) // while the first table serves
		err := tradeSwapRules(ts)
		run.mu.Lock()
		run.reloadErr = err
		run.mu.Unlock()
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	page.HandleFunc("POST /report", func(w http.ResponseWriter, r *http.Request) {
		var got map[string]any
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			got = map[string]any{"report": err.Error()}
		}
		select {
		case reports <- got:
		default:
		}
	})
	pageURL := serveLoopback(t, page, tlsConfig)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(pageURL, scheme+"://"))
	run.origin = scheme + "://localhost:" + port

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := b.Open(ctx, run.origin+"/"); err != nil {
		t.Fatal(err)
	}
	select {
	case run.got = <-reports:
	case <-ctx.Done():
		t.Fatalf("no report from %s within 90 s; console:\n%v", b.Engine, b.Console())
	}
	run.mu.Lock()
	if run.reloadErr != nil {
		t.Errorf("reload: %v", run.reloadErr)
	}
	run.mu.Unlock()
	run.replay(client, true)
	if https && !regexp.MustCompile(`corsedge_tls_handshakes_total\{result="success",version="1.3"\} [1-9]`).MatchString(metricsText(t, ts.admin)) {
		t.Errorf("%s made no TLS 1.3 handshake with corsedge:\n%s", b.Engine, grepLines(metricsText(t, ts.admin), "handshakes"))
	}
	// Stop corsedge and flush its log: every request it answered is logged.
	must(t, ts.stop())
	must(t, al.Close())
	lines, err := logtest.Lines(logBuf.String())
	must(t, err)
	for _, l := range lines {
		e, err := logtest.DecodeJSON(l)
		must(t, err)
		if e.UserAgent != replayAgent {
			run.access = append(run.access, e)
		}
	}
	if recorder != nil {
		reqs, err := recorder.requests()
		must(t, err)
		for _, req := range reqs {
			if req.UserAgent() != replayAgent {
				run.recorded = append(run.recorded, req)
			}
		}
	}
	return run
}

// replay replays, from Go, the checks the engine must have blocked among
// those made before the reload (after false) or after it.
func (r *browserRun) replay(client *http.Client, after bool) {
	for _, c := range browserChecks {
		cause := c.cause(r.engine.Engine)
		if c.afterReload != after || cause == notBlocked || c.control {
			continue
		}
		answer, err := c.replay(client, r.edgeURL, r.origin, cause)
		r.mu.Lock()
		r.replays[c.name], r.errs[c.name] = answer, err
		r.mu.Unlock()
	}
}

// tradeSwapRules saves the rules with /swap/a/ and /swap/b/ traded, as an
// editor does (a new file renamed over the old), and waits until corsedge
// serves the new table.
func tradeSwapRules(ts *testServer) error {
	before := ts.srv.Status().Generation
	tmp := ts.rulesFile + ".new"
	if err := os.WriteFile(tmp, []byte(browserRules(elsewhere, pageOrigins)), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, ts.rulesFile); err != nil {
		return err
	}
	if !waitFor(5*time.Second, func() bool { return ts.srv.Status().Generation > before }) {
		return fmt.Errorf("the edited rules were not in service within 5 s: %+v", ts.srv.Status().LastError)
	}
	return nil
}

// permissiveCORS is the control server: it allows every origin, method and
// header, answering preflights with Access-Control-Allow-Headers "*".
func permissiveCORS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "*")
		w.Header().Set("Access-Control-Allow-Headers", "*")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	io.WriteString(w, scriptBody)
}

// serveLoopback serves h on 127.0.0.1 (over TLS when config is set) until
// the test ends and returns its base URL.
func serveLoopback(t *testing.T, h http.Handler, config *tls.Config) string {
	ln := listen(t)
	scheme := "http"
	if config != nil {
		ln, scheme = tls.NewListener(ln, config), "https"
	}
	// Browsers' spare connections end in handshake errors: no log.
	srv := &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return scheme + "://" + ln.Addr().String()
}

// judge asserts the engine's outcome for c and, for a blocked request, the
// evidence that CORS blocked it.
func (r *browserRun) judge(t *testing.T, c browserCheck) {
	e := r.engine.Engine
	want := c.wantIn(e)
	if got := r.got[c.name]; !reflect.DeepEqual(got, want) {
		t.Errorf("%s saw %v, want %v", e, got, want)
	}
	if c.fontMode {
		r.judgeFontMode(t, c)
	}
	if want != "blocked" {
		return
	}
	cause := c.cause(e)
	if cause == notBlocked {
		t.Fatalf("check %s: blocked in %s, but by what? (set block or noCORSBlock)", c.name, e)
	}
	url := r.edgeURL + c.path
	if r.engine.HasConsole() {
		if !waitFor(2*time.Second, func() bool { return len(r.engine.CORSErrors(url)) > 0 }) {
			t.Errorf("%s's console has no CORS error for %s:\n%v", e, url, r.engine.Console())
		} else {
			t.Logf("%s: %s", e, r.engine.CORSErrors(url)[0])
		}
	}
	method, status, origin, decision := servedAs(cause, r.origin)
	served := false
	for _, l := range r.access {
		if l.Path == c.path && l.Method == method && l.Origin == origin && l.CORS == decision && (status == 0 || l.Status == status) {
			served = true
			t.Logf("corsedge: %s %s from %s: %d, %s", l.Method, l.Path, l.Origin, l.Status, l.CORS)
			break
		}
	}
	if !served {
		t.Errorf("corsedge's access log has no %s %s from %q answered %s (status %d):\n%s", method, c.path, origin, decision, status, r.accessLines(c.path))
	}
	r.mu.Lock()
	answer, err := r.replays[c.name], r.errs[c.name]
	r.mu.Unlock()
	switch {
	case err != nil:
		t.Error(err)
	case answer == "":
		t.Error("no replay was made")
	default:
		t.Logf("replay: %s", answer)
	}
}

// judgeFontMode asserts the request mode the engine loaded the font in
// (fontModes): with an Origin in cors mode, without in no-cors mode, in
// the access log; and on plain HTTP, Sec-Fetch-Mode as recorded.
func (r *browserRun) judgeFontMode(t *testing.T, c browserCheck) {
	mode := fontModes[r.engine.Engine]
	wantOrigin := map[string]string{"cors": r.origin, "no-cors": ""}[mode]
	n := 0
	for _, l := range r.access {
		if l.Path == c.path && l.Method == "GET" {
			n++
			if l.Origin != wantOrigin {
				t.Errorf("font request from %s in %s mode came with Origin %q, want %q: %s", r.engine.Engine, mode, l.Origin, wantOrigin, r.accessLines(c.path))
			}
		}
	}
	if n == 0 {
		t.Errorf("corsedge's access log has no GET %s:\n%s", c.path, r.accessLines(c.path))
	}
	if r.recorded == nil {
		return
	}
	n = 0
	for _, req := range r.recorded {
		if req.URL.Path == c.path {
			n++
			if got := req.Header.Get("Sec-Fetch-Mode"); got != mode {
				t.Errorf("font request from %s: Sec-Fetch-Mode %q, want %q: %v", r.engine.Engine, got, mode, req.Header)
			}
		}
	}
	if n == 0 {
		t.Errorf("no request for %s was recorded", c.path)
	}
}

func (r *browserRun) accessLines(path string) string {
	var out []string
	for _, l := range r.access {
		if l.Path == path {
			out = append(out, fmt.Sprintf("%s %s %d origin=%q cors=%s", l.Method, l.Path, l.Status, l.Origin, l.CORS))
		}
	}
	return strings.Join(out, "\n")
}

// cell is the table's entry for c: the outcome, with for a blocked request
// where the evidence came from, and for a font the mode it loaded in.
func (r *browserRun) cell(c browserCheck, ok bool) string {
	s := fmt.Sprint(r.got[c.name])
	if r.got[c.name] == nil {
		s = "-"
	}
	if s == "blocked" {
		s += map[bool]string{true: "(c)", false: "(s)"}[r.engine.HasConsole()]
	}
	if c.fontMode {
		s += " " + fontModes[r.engine.Engine]
	}
	if !ok {
		s = "FAIL " + s
	}
	return s
}

// browserTable is the outcome of every check in every engine and scheme.
type browserTable struct {
	mu    sync.Mutex
	cols  []string
	cells map[string]map[string]string // column: check: cell
}

func newBrowserTable() *browserTable {
	tb := &browserTable{cells: map[string]map[string]string{}}
	for _, e := range browsertest.Engines {
		for _, scheme := range []string{"http", "https"} {
			col := string(e) + "/" + scheme
			tb.cols = append(tb.cols, col)
			tb.cells[col] = map[string]string{}
		}
	}
	return tb
}

func (tb *browserTable) set(col, check, cell string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.cells[col][check] = cell
}

func (tb *browserTable) String() string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	var b strings.Builder
	row := func(cells ...string) {
		fmt.Fprintf(&b, "%-27s", cells[0])
		for _, c := range cells[1:] {
			fmt.Fprintf(&b, " %-19s", c)
		}
		b.WriteString("\n")
	}
	row(append([]string{"check"}, tb.cols...)...)
	for _, c := range browserChecks {
		cells := []string{c.name}
		for _, col := range tb.cols {
			cells = append(cells, cmp(tb.cells[col][c.name], "not run"))
		}
		row(cells...)
	}
	b.WriteString("not run: the engine is not installed (skipped) or its run failed before the checks.\n" +
		"blocked(c): the engine's console says CORS blocked it; (s): the engine has no console to tell.\n" +
		"Every blocked cell also has corsedge's access log of the engine's request and a Go replay of it.\n" +
		"cors/no-cors: the mode the engine fetched the font in (Origin, Sec-Fetch-Mode).\n")
	return b.String()
}
