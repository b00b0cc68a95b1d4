package load

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Wrk runs wrk (github.com/wg/wrk), pinned with taskset when Cores is set.
type Wrk struct {
	Path    string // the wrk binary
	Cores   string // taskset CPU list for wrk ("1", "2-3"); "" leaves it unpinned
	Threads int    // wrk -t; 1 when 0
	Dir     string // where the Lua scripts go
}

// FindWrk returns the wrk binary on PATH, or "" when there is none.
func FindWrk() string {
	p, err := exec.LookPath("wrk")
	if err != nil {
		return ""
	}
	return p
}

func (w *Wrk) Name() string { return "wrk" }

// Run runs wrk once. wrk has no request limit (opt.Requests is ignored) and
// counts whole seconds, so opt.Duration is rounded up to at least 1 s.
// Over HTTPS it does not verify the certificate.
func (w *Wrk) Run(ctx context.Context, req Request, opt Options) (Result, error) {
	if req.Close && opt.TLS != nil {
		// wrk keeps the TLS session of a closed connection (SSL_clear) and
		// resumes it on the next: counted with nginx's $ssl_session_reused,
		// 1576 of 1579 Connection: close requests resumed.
		return Result{}, errors.New("load: wrk resumes TLS sessions on reconnect; a full handshake per request needs the go generator")
	}
	threads := max(w.Threads, 1)
	scheme := "http://"
	if opt.TLS != nil {
		scheme = "https://"
	}
	script, err := os.CreateTemp(w.Dir, "wrk-*.lua")
	if err != nil {
		return Result{}, err
	}
	defer os.Remove(script.Name())
	if _, err := script.WriteString(wrkScript(req, opt.Start)); err != nil {
		script.Close()
		return Result{}, err
	}
	if err := script.Close(); err != nil {
		return Result{}, err
	}
	secs := int(math.Ceil(opt.Duration.Seconds()))
	args := []string{w.Path, "-t", strconv.Itoa(threads), "-c", strconv.Itoa(max(opt.Conns, threads)),
		"-d", strconv.Itoa(max(secs, 1)) + "s", "--timeout", strconv.Itoa(int(ioTimeout.Seconds())) + "s",
		"-s", filepath.Clean(script.Name()), scheme + opt.Addr + req.Path}
	if w.Cores != "" {
		args = append([]string{"taskset", "-c", w.Cores}, args...)
	}
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return Result{}, fmt.Errorf("load: %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return parseWrk(out, opt.Status, req.Sites, opt.Conns)
}

// wrkScript returns the Lua script that shapes wrk's requests and prints a
// machine-readable summary line. With a rotation, each request takes the
// next Origin; each wrk thread starts a million positions further on.
func wrkScript(req Request, start int64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "wrk.method = %s\n", luaString(req.Method))
	if req.Close {
		b.WriteString(`wrk.headers["Connection"] = "close"` + "\n")
	}
	for _, f := range req.Header {
		fmt.Fprintf(&b, "wrk.headers[%s] = %s\n", luaString(f[0]), luaString(f[1]))
	}
	if r := req.Origin; r != nil {
		fmt.Fprintf(&b, `local count, prefix, suffix, pos = %d, %s, %s, %d
local threads = 0
function setup(thread)
  thread:set("offset", threads * 1000003)
  threads = threads + 1
end
function request()
  if offset then pos, offset = pos + offset, nil end
  wrk.headers["Origin"] = prefix .. (pos %% count + 1) .. suffix
  pos = pos + 1
  return wrk.format()
end
`, r.Count, luaString(r.Prefix), luaString(r.Suffix), start)
	}
	if s := req.Sites; s != nil {
		b.WriteString(s.lua(start))
	}
	b.WriteString(`function done(summary, latency, requests)
  local e = summary.errors
  local refused = 0
  if refused_sent then refused = refused_sent() end
  io.write(string.format("wrk-result requests=%d duration_us=%d p50_us=%d p99_us=%d connect=%d read=%d write=%d status=%d timeout=%d refused=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout, refused))
end
`)
	return b.String()
}

// luaString quotes s as a Lua string literal; header names and values are
// printable ASCII, so escaping the quote and the backslash is enough.
func luaString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// parseWrk reads the summary line the script prints. wrk counts every
// status above 399 as an error; when status itself is one (a refused
// preflight's 403), those are the expected answers, not errors. With a
// sites rotation whose refusals are answered ≥ 400, those answers are
// expected for the refused positions the script sent: at most one a
// connection (conns) may still have been in flight when wrk stopped.
func parseWrk(out []byte, status int, sites *Sites, conns int) (Result, error) {
	var line string
	for l := range strings.Lines(string(out)) {
		if strings.HasPrefix(l, "wrk-result ") {
			line = l
		}
	}
	if line == "" {
		return Result{}, fmt.Errorf("load: no wrk-result line in wrk's output:\n%s", out)
	}
	v := map[string]int64{}
	for _, kv := range strings.Fields(line)[1:] {
		k, s, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return Result{}, fmt.Errorf("load: wrk-result %q: %v", kv, err)
		}
		v[k] = n
	}
	res := Result{
		Generator: "wrk",
		Requests:  v["requests"],
		Elapsed:   time.Duration(v["duration_us"]) * time.Microsecond,
		P50:       time.Duration(v["p50_us"]) * time.Microsecond,
		P99:       time.Duration(v["p99_us"]) * time.Microsecond,
		Errors:    v["connect"] + v["read"] + v["write"] + v["timeout"],
	}
	switch {
	case sites != nil && sites.Refused >= 400:
		// Every answer counts; the 403s must match the refusals sent.
		if lost := v["refused"] - v["status"]; lost < 0 || lost > int64(conns)+res.Errors {
			res.Errors += max(-lost, lost-int64(conns)-res.Errors)
			res.FirstError = fmt.Sprintf("wrk: %d statuses ≥ 400 for %d refused requests sent (%d connections)", v["status"], v["refused"], conns)
		}
	case status < 400:
		res.Errors += v["status"]
		res.Requests -= v["status"]
	}
	if res.Errors > 0 && res.FirstError == "" {
		res.FirstError = fmt.Sprintf("wrk: %d connect, %d read, %d write, %d timeout errors; %d statuses ≥ 400",
			v["connect"], v["read"], v["write"], v["timeout"], v["status"])
	}
	return res, nil
}
