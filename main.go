// Command corsedge is an edge asset server for cross-origin fonts, scripts
// and stylesheets. main only parses flags and wires the packages together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"corsedge/assets"
	"corsedge/certs"
	"corsedge/edge"
	"corsedge/internal/accesslog"
	"corsedge/internal/handover"
	"corsedge/internal/safefile"
	"corsedge/internal/workers"
	"corsedge/rules"
)

const usage = `usage:
  corsedge [serve] [flags]        serve assets with CORS from rules.toml
  corsedge check [-max-rules-size N] FILE
                                  validate a rules file; exit 1 on errors
  corsedge explain [-rules F] [-method M] [-headers h1,h2] [-credentials] ORIGIN PATH
  corsedge diff (-pairs FILE | -from ADMIN) [-json] OLD NEW
                                  which origins and paths an edit changes; exit 1 if any
  corsedge version                print the version, VCS revision and Go version
`

// ownsProcess is true when serve runs as the process's own command, not
// as a test calling run: only then may it take tableflip's one
// process-wide upgrader and keep sockets for a next binary.
var ownsProcess bool

func main() {
	ownsProcess = true
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "check":
		return check(args, stdout, stderr)
	case "explain":
		return explain(args, stdout, stderr)
	case "diff":
		return diff(args, stdout, stderr) // main_diff.go
	case "serve":
		return serve(args, stdout, stderr)
	case "version":
		printVersion(stdout)
		return 0
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "corsedge: unknown command %q\n%s", cmd, usage)
	return 2
}

// check prints every problem of a rules file as FILE:LINE:COL: message.
func check(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	maxSize := maxRulesSizeFlag(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, "usage: corsedge check FILE\n")
		fs.PrintDefaults()
		return 2
	}
	file := fs.Arg(0)
	table, err := loadRules(file, *maxSize)
	if table != nil {
		for _, w := range table.Warnings() {
			fmt.Fprintln(stdout, rules.Describe(w, file)[0])
		}
		if n := len(table.Files()); n > 1 {
			fmt.Fprintf(stdout, "%s: ok: %d rules in %d files\n", file, len(table.Rules()), n)
		} else {
			fmt.Fprintf(stdout, "%s: ok: %d rules\n", file, len(table.Rules()))
		}
		return 0
	}
	printLoadError(stderr, file, err)
	return 1
}

// loadRules reads a rules file and every file its include globs name as
// the server does (regular files only, at most limit bytes each, bounded in
// time, never while a writer holds one open) and compiles them, so check
// gives the server's errors, each naming its file.
func loadRules(file string, limit int64) (*rules.Table, error) {
	r := safefile.New(safefile.Options{Limit: limit})
	c, err := r.Read(file)
	if err != nil {
		return nil, err
	}
	l := rules.NewLoader(func(path string) ([]byte, error) {
		c, err := r.Read(path)
		return c.Data, err
	})
	snap, err := l.Load(file, c.Data, true)
	if err != nil {
		return nil, err
	}
	return l.Compile(snap)
}

// maxRulesSizeFlag defines -max-rules-size, shared by serve and check.
func maxRulesSizeFlag(fs *flag.FlagSet) *int64 {
	return fs.Int64("max-rules-size", safefile.DefaultLimit, "largest rules file read, in bytes")
}

// printLoadError prints each problem of a failed load on its own line, then
// how many errors and warnings there are.
func printLoadError(w io.Writer, file string, err error) {
	for _, line := range rules.Describe(err, file) {
		fmt.Fprintln(w, line)
	}
	problems := rules.Problems(err)
	if len(problems) == 0 {
		return
	}
	errs := 0
	for _, p := range problems {
		if !p.Warning {
			errs++
		}
	}
	fmt.Fprintf(w, "%s: %d errors, %d warnings\n", file, errs, len(problems)-errs)
}

func explain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("rules", "rules.toml", "rules file")
	method := fs.String("method", "", "explain a preflight asking for this method")
	var headers fieldLines
	fs.Var(&headers, "headers", "an Access-Control-Request-Headers line of the preflight, comma-separated names; repeat for more lines")
	credentials := fs.Bool("credentials", false, "the request carries credentials (cookies)")
	pna := fs.Bool("private-network", false, "the preflight asks for private network access")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 2 {
		fmt.Fprint(stderr, "usage: corsedge explain [-rules F] [-method M] [-headers h1,h2] [-credentials] ORIGIN PATH\n")
		return 2
	}
	table, err := loadRules(*file, safefile.DefaultLimit)
	if err != nil {
		printLoadError(stderr, *file, err)
		return 1
	}
	if len(headers) > 0 && *method == "" {
		fmt.Fprint(stderr, "explain: -headers needs -method (headers are asked for by a preflight)\n")
		return 2
	}
	e := table.Explain(rules.Request{
		Origin: fs.Arg(0), Path: edge.CleanPath(fs.Arg(1)), Method: *method, Headers: headers,
		Credentials: *credentials, PrivateNetwork: *pna,
	})
	if _, err := e.WriteTo(stdout); err != nil {
		return 1
	}
	return 0
}

// fieldLines collects a repeatable flag, one header field line per use.
type fieldLines []string

func (f *fieldLines) String() string     { return strings.Join(*f, "; ") }
func (f *fieldLines) Set(s string) error { *f = append(*f, s); return nil }

// serve runs the server until SIGINT or SIGTERM.
func serve(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", ":8080", `public plain HTTP listen address ("" turns it off)`)
	tlsAddr := fs.String("tls-addr", "", "public HTTPS listen address (needs -tls-cert and -tls-key)")
	var certFiles, keyFiles fieldLines
	fs.Var(&certFiles, "tls-cert", "certificate file (PEM, leaf first, then its chain); repeat for more pairs, each with its -tls-key")
	fs.Var(&keyFiles, "tls-key", "private key file (PEM) of the -tls-cert in the same position")
	root := fs.String("root", "", "asset directory (default: the embedded demo set)")
	rulesFile := fs.String("rules", "rules.toml", "rules file")
	admin := fs.String("admin", "127.0.0.1:9090", `admin listen address ("" turns it off)`)
	cacheSize := fs.Int("cache-size", edge.DefaultCacheSize, "decision cache entries")
	poll := fs.Duration("poll", 30*time.Second, "rules checksum poll interval (0 turns it off)")
	maxRulesSize := maxRulesSizeFlag(fs)
	reloadGuard := fs.Float64("reload-guard", 0, "hold back a reload that would refuse more than this percentage of the recently allowed requests, until POST /reload?force=1 (0: off)")
	maxConnsPerIP := fs.Int("max-conns-per-ip", edge.DefaultMaxConnsPerIP, "connections one client address (IPv6: its /64) may hold; 0 turns the limit off (behind a proxy)")
	accessLogFile := fs.String("access-log", "", `access log file, appended to ("-": standard output; "": none)`)
	accessLog := accesslog.Options{Format: accesslog.JSON, Sample: 1}
	fs.Func("access-log-format", "access log line format: json or combined (default json)", func(v string) (err error) {
		accessLog.Format, err = accesslog.ParseFormat(v)
		return err
	})
	fs.Func("access-log-sample", "fraction of requests in the access log, 0..1; refused CORS decisions and 5xx are always logged (default 1)", func(v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f >= 0 && f <= 1) { // NaN fails both
			return errors.New("want a fraction from 0 to 1")
		}
		accessLog.Sample = f
		return nil
	})
	acmeOpts := defineACMEFlags(fs)
	pidFile := fs.String("pid-file", "", "write the serving process's PID here; after a SIGUSR2 hand-over it names the new process (systemd's PIDFile=)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (for go tool pprof)")
	shutdownDelay := fs.Duration("shutdown-delay", 0, "on SIGTERM, keep serving this long after /readyz turns 503, so load balancers stop sending (5s behind a Kubernetes Service)")
	readTimeout := fs.Duration("read-timeout", edge.DefaultReadTimeout, "longest time to read a request")
	writeTimeout := fs.Duration("write-timeout", edge.DefaultWriteTimeout, "longest time to write a response")
	idleTimeout := fs.Duration("idle-timeout", edge.DefaultIdleTimeout, "how long a keep-alive connection may wait for its next request")
	hotSetSize := fs.Int64("hot-set-size", assets.DefaultMaxMemory, "bytes of files held in memory, sidecars and generated br/gzip included")
	hotFileMax := fs.Int64("hot-file-max", assets.DefaultMaxFileInMemory, "largest file held in memory, in bytes; bigger ones are streamed from disk")
	durationHistogram := fs.Bool("duration-histogram", true, "keep corsedge_request_duration_seconds (two clock reads a request)")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	logLevel := fs.String("log-level", "info", "least severe log level: debug, info, warn or error")
	workerCount := workersFlag(fs) // main_workers.go
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "corsedge serve: %v\n", err)
		return 2
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"shutdown-delay", *shutdownDelay}, {"read-timeout", *readTimeout}, {"write-timeout", *writeTimeout}, {"idle-timeout", *idleTimeout}} {
		if d.v < 0 || (d.v == 0 && d.name != "shutdown-delay") {
			fmt.Fprintf(stderr, "corsedge serve: -%s %v: want a positive duration\n", d.name, d.v)
			return 2
		}
	}
	if !(*reloadGuard >= 0 && *reloadGuard <= 100) { // NaN fails both
		fmt.Fprintf(stderr, "corsedge serve: -reload-guard %v: want a percentage from 0 to 100\n", *reloadGuard)
		return 2
	}
	pairs, err := tlsPairs(*addr, *tlsAddr, certFiles, keyFiles, acmeOpts.on())
	if err != nil {
		fmt.Fprintf(stderr, "corsedge serve: %v\n", err)
		return 2
	}
	child, err := workers.FromEnv() // non-nil in a worker that a supervisor started
	if err != nil {
		fmt.Fprintf(stderr, "corsedge serve: %v\n", err)
		return 2
	}
	ctx, sig, stopSignals := catchSignals()
	defer stopSignals()
	var up *handover.Upgrader
	if ownsProcess && child == nil { // a worker's sockets are its supervisor's
		if up, err = handover.New(*pidFile, handover.DefaultTimeout); err != nil {
			log.Error("cannot prepare binary hand-over", "error", err)
			return 1
		}
		defer up.Stop()
		go func(stopped <-chan struct{}) {
			// Told to exit on its own (SIGTERM): no hand-over from here on,
			// and the sockets close as this process's listeners close.
			<-stopped
			up.Stop()
		}(ctx.Done())
	}
	if child == nil && *workerCount > 1 {
		return supervise(ctx, sig, up, log, supervision{
			count: *workerCount, args: args, addr: *addr, tlsAddr: *tlsAddr, admin: *admin,
			rulesFile: *rulesFile, shutdownDelay: *shutdownDelay, stdout: stdout, stderr: stderr,
		})
	}
	if child != nil {
		log = log.With("worker", child.Index)
		go workers.WatchParent(ctx)
		if *accessLogFile == "-" {
			// The workers share standard output, a pipe or the journal's
			// socket: writes of at most PIPE_BUF bytes are kept whole.
			accessLog.WriteSize = 4096
		}
	}
	accessLog.Logger = log
	access, err := openAccessLog(*accessLogFile, accessLog, stdout)
	if err != nil {
		log.Error("cannot open the access log", "file", *accessLogFile, "error", err)
		return 1
	}
	if access != nil {
		defer access.Close() // after Run: every request's line is queued by then
	}
	files, err := assets.New(assets.Options{Root: *root, Logger: log, MaxMemory: *hotSetSize, MaxFileInMemory: *hotFileMax})
	if err != nil {
		log.Error("cannot serve assets", "root", *root, "error", err)
		return 1
	}
	defer files.Close()
	if *poll == 0 {
		*poll = -1 // edge.Config: negative turns polling off
	}
	if *maxConnsPerIP == 0 {
		*maxConnsPerIP = -1 // edge.Config: negative turns the limit off
	}
	manager, err := acmeOpts.manager(*addr, *tlsAddr, *root, log)
	if err != nil {
		fmt.Fprintf(stderr, "corsedge serve: %v\n", err)
		return 2
	}
	var store *certs.Store
	if len(pairs) > 0 || manager != nil {
		opt := certs.Options{Pairs: pairs}
		if manager != nil {
			opt.Fallback = manager
		}
		if store, err = certs.Load(opt); err != nil {
			fmt.Fprintf(stderr, "corsedge: cannot load the TLS certificates:\n%v\n", err)
			return 1
		}
	}
	srv, err := edge.New(edge.Config{
		Version:   buildVersion(),
		RulesFile: *rulesFile, Assets: files, CacheSize: *cacheSize, Poll: *poll, Logger: log,
		MaxRulesSize:  *maxRulesSize,
		ReloadGuard:   *reloadGuard,
		MaxConnsPerIP: *maxConnsPerIP,
		Certificates:  store,
		AccessLog:     access,
		ShutdownDelay: *shutdownDelay,
		ReadTimeout:   *readTimeout, WriteTimeout: *writeTimeout, IdleTimeout: *idleTimeout,
		NoDurationHistogram: !*durationHistogram,
		ACME:                manager,
	})
	if err != nil {
		printLoadError(stderr, *rulesFile, err)
		return 1
	}
	var lns edge.Listeners
	if child != nil {
		lns, err = childListeners(child)
	} else {
		lns, err = openListeners(up, *addr, *tlsAddr, *admin)
	}
	if err != nil {
		log.Error("cannot listen", "error", err)
		return 1
	}
	if *cpuProfile != "" {
		if child != nil {
			*cpuProfile += fmt.Sprintf(".%d", child.Index) // one profile per worker: FILE.0, FILE.1, …
		}
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			log.Error("cannot profile", "file", *cpuProfile, "error", err)
			return 1
		}
		defer stopProfile()
	}
	stopACME, err := startACME(ctx, manager, log)
	if err != nil {
		log.Error("cannot start ACME", "error", err)
		return 1
	}
	defer stopACME()
	logStart(log, lns, *rulesFile, *root, files, child != nil)
	ctx, handedOver := context.WithCancel(ctx)
	defer handedOver()
	var takenOver <-chan struct{} // closed once a new process serves these sockets
	switch {
	case up != nil:
		if err := sayReady(up, log); err != nil {
			return 1
		}
		takenOver = up.Exit()
	case child != nil:
		takenOver = child.HandedOver() // its supervisor was taken over
	}
	whenTakenOver(ctx, takenOver, func() {
		log.Info("handed over to the new process: draining")
		srv.HandOver()
		handedOver()
	})
	go handleSignals(ctx, srv, up, access, log, sig)
	if err := srv.Serve(ctx, lns); err != nil {
		log.Error("server stopped", "error", err)
		return 1
	}
	return 0
}

// tlsPairs pairs the -tls-cert and -tls-key flags in order, and checks
// that at least one public listener is on and HTTPS has certificates.
func tlsPairs(addr, tlsAddr string, certFiles, keyFiles []string, acme bool) ([]certs.Pair, error) {
	switch {
	case addr == "" && tlsAddr == "":
		return nil, errors.New(`-addr "" turns plain HTTP off: give -tls-addr, or an -addr`)
	case len(certFiles) != len(keyFiles):
		return nil, fmt.Errorf("%d -tls-cert but %d -tls-key: give them in pairs, each -tls-key after its -tls-cert", len(certFiles), len(keyFiles))
	case tlsAddr != "" && len(certFiles) == 0 && !acme:
		return nil, errors.New("-tls-addr needs -acme-domains, or at least one -tls-cert and -tls-key pair")
	case tlsAddr == "" && acme:
		return nil, errors.New("-acme-domains needs -tls-addr: the certificates are for HTTPS, and TLS-ALPN-01 is answered there")
	case tlsAddr == "" && len(certFiles) > 0:
		return nil, errors.New("-tls-cert and -tls-key need -tls-addr")
	}
	var pairs []certs.Pair
	for i := range certFiles {
		pairs = append(pairs, certs.Pair{CertFile: certFiles[i], KeyFile: keyFiles[i]})
	}
	return pairs, nil
}

// catchSignals is the one place that handles signals, following nginx:
// INT and TERM end ctx (drain: /readyz 503, -shutdown-delay of serving,
// then stop accepting and finish what is in flight; see edge.Server.Serve),
// HUP reloads the rules and the certificates, USR1 reopens the access log,
// USR2 hands the sockets to the binary now at this path (see handOver).
// serve calls it before anything is read or served, so a SIGHUP or SIGUSR1
// (logrotate's, even with no access log) never finds the process without a
// handler (their default action would end it).
func catchSignals() (ctx context.Context, sig <-chan os.Signal, stop func()) {
	h := make(chan os.Signal, 2) // a storm of HUPs is one reload more, not a queue
	signal.Notify(h, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2)
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	return ctx, h, func() {
		cancel()
		signal.Stop(h)
	}
}

// handleSignals reloads the rules and certificates on each SIGHUP and
// reopens the access log on each SIGUSR1, until ctx is done.
func handleSignals(ctx context.Context, srv *edge.Server, up *handover.Upgrader, accessLog *accesslog.Log, log *slog.Logger, sig <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case s := <-sig:
			switch {
			case s == syscall.SIGHUP:
				srv.Reload(edge.TriggerSIGHUP)
			case s == syscall.SIGUSR2:
				startHandOver(up, log)
			case accessLog == nil:
				log.Info("SIGUSR1: no access log to reopen")
			default:
				if err := accessLog.Reopen(); err != nil {
					log.Error("access log not reopened; still writing to the old file", "error", err)
				} else {
					log.Info("access log reopened")
				}
			}
		}
	}
}

// sayReady tells the previous process, if any, that this one serves: it
// then drains and exits (see handover.Upgrader.Ready).
func sayReady(up *handover.Upgrader, log *slog.Logger) error {
	if err := up.Ready(); err != nil {
		log.Error("cannot say ready to the previous process", "error", err)
		return err
	}
	if up.Inherited() {
		log.Info("serving the sockets handed over by the previous process")
	}
	return nil
}

// startHandOver answers SIGUSR2, nginx's binary upgrade: the binary now at
// this path, same arguments, gets the sockets. In its own goroutine: the
// new process may take seconds, and HUP/USR1 still work meanwhile. Without
// up (a worker, or serve called by a test) it is logged and ignored.
func startHandOver(up *handover.Upgrader, log *slog.Logger) {
	if up == nil {
		log.Warn("SIGUSR2: this process cannot hand its sockets over; ignored")
		return
	}
	go handOver(up, log)
}

// whenTakenOver runs drain, in a goroutine of its own, once taken is
// closed (a new process serves these sockets), unless ctx ends first; a
// nil taken never closes.
func whenTakenOver(ctx context.Context, taken <-chan struct{}, drain func()) {
	if taken == nil {
		return
	}
	go func() {
		select {
		case <-taken:
			drain()
		case <-ctx.Done():
		}
	}()
}

// handOver starts the new binary and logs how it went; on failure this
// process keeps serving (the new one's own error is on the same stderr).
func handOver(up *handover.Upgrader, log *slog.Logger) {
	// tableflip starts os.Args[0] (looked up as the shell did), not
	// os.Executable, which would resolve a release symlink to the old file.
	log.Info("SIGUSR2: starting the new binary and handing it the sockets", "binary", os.Args[0])
	if err := up.Upgrade(); err != nil {
		log.Error("SIGUSR2: the new binary did not take over; this process keeps serving", "error", err)
		return
	}
	log.Info("SIGUSR2: the new binary is ready")
}

// openAccessLog opens the access log that -access-log names ("-":
// standard output), or returns nil when it names none.
func openAccessLog(file string, o accesslog.Options, stdout io.Writer) (*accesslog.Log, error) {
	switch file {
	case "":
		return nil, nil
	case "-":
		return accesslog.New(stdout, o)
	}
	return accesslog.Open(file, o)
}

// startCPUProfile profiles the process into file until the returned
// function is called.
func startCPUProfile(file string) (stop func(), err error) {
	out, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		out.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		out.Close()
	}, nil
}

// logStart tells a new user what is served where; a worker's admin
// endpoints are reached through its supervisor's.
func logStart(log *slog.Logger, lns edge.Listeners, rulesFile, root string, files *assets.Server, worker bool) {
	what := "assets from " + root
	if files.Demo() {
		what = "the embedded demo set: " + strings.Join(files.Files(), ", ")
	}
	msg, adminURL := "corsedge serving ", "off"
	switch {
	case worker:
		msg, adminURL = "corsedge worker serving ", "the supervisor's"
	case lns.Admin != nil:
		adminURL = "http://" + lns.Admin.Addr().String() + "/status"
	}
	var args []any
	if lns.HTTP != nil {
		args = append(args, "url", "http://"+localURLHost(lns.HTTP.Addr()))
	}
	if lns.HTTPS != nil {
		args = append(args, "tls_url", "https://"+localURLHost(lns.HTTPS.Addr()))
	}
	log.Info(msg+what, append(args, "rules", rulesFile, "admin", adminURL, "pid", os.Getpid())...) // pid: which process, across a hand-over
}

// localURLHost turns a listen address into one a browser on this machine can open.
func localURLHost(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("localhost", fmt.Sprint(tcp.Port))
}
