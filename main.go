// Command corsedge is an edge asset server for cross-origin fonts, scripts
// and stylesheets. main only parses flags and wires the packages together.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"corsedge/assets"
	"corsedge/edge"
	"corsedge/rules"
)

const usage = `usage:
  corsedge [serve] [flags]        serve assets with CORS from rules.toml
  corsedge check FILE             validate a rules file; exit 1 on errors
  corsedge explain [-rules F] [-method M] [-headers h1,h2] [-credentials] ORIGIN PATH
`

func main() {
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
	case "serve":
		return serve(args, stdout, stderr)
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
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, "usage: corsedge check FILE\n")
		return 2
	}
	file := fs.Arg(0)
	table, err := loadRules(file)
	if table != nil {
		for _, w := range table.Warnings() {
			fmt.Fprintln(stdout, located(file, w))
		}
		fmt.Fprintf(stdout, "%s: ok: %d rules\n", file, len(table.Rules()))
		return 0
	}
	printLoadError(stderr, file, err)
	return 1
}

// loadRules reads and compiles a rules file.
func loadRules(file string) (*rules.Table, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return rules.Parse(src)
}

// printLoadError prints each problem of a failed load on its own line.
func printLoadError(w io.Writer, file string, err error) {
	problems := rules.Problems(err)
	if len(problems) == 0 {
		fmt.Fprintf(w, "%s: %v\n", file, err)
		return
	}
	errs := 0
	for _, p := range problems {
		fmt.Fprintln(w, located(file, p))
		if !p.Warning {
			errs++
		}
	}
	fmt.Fprintf(w, "%s: %d errors, %d warnings\n", file, errs, len(problems)-errs)
}

// located prefixes a problem with its file, the form editors jump to.
func located(file string, p *rules.Problem) string {
	return file + ":" + p.Error()
}

func explain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("rules", "rules.toml", "rules file")
	method := fs.String("method", "", "explain a preflight asking for this method")
	headers := fs.String("headers", "", "Access-Control-Request-Headers of the preflight, comma-separated")
	credentials := fs.Bool("credentials", false, "the request carries credentials (cookies)")
	pna := fs.Bool("private-network", false, "the preflight asks for private network access")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 2 {
		fmt.Fprint(stderr, "usage: corsedge explain [-rules F] [-method M] [-headers h1,h2] [-credentials] ORIGIN PATH\n")
		return 2
	}
	table, err := loadRules(*file)
	if err != nil {
		printLoadError(stderr, *file, err)
		return 1
	}
	if *headers != "" && *method == "" {
		fmt.Fprint(stderr, "explain: -headers needs -method (headers are asked for by a preflight)\n")
		return 2
	}
	e := table.Explain(rules.Request{
		Origin: fs.Arg(0), Path: fs.Arg(1), Method: *method, Headers: *headers,
		Credentials: *credentials, PrivateNetwork: *pna,
	})
	if _, err := e.WriteTo(stdout); err != nil {
		return 1
	}
	return 0
}

// serve runs the server until SIGINT or SIGTERM.
func serve(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", ":8080", "public listen address")
	root := fs.String("root", "", "asset directory (default: the embedded demo set)")
	rulesFile := fs.String("rules", "rules.toml", "rules file")
	admin := fs.String("admin", "127.0.0.1:9090", `admin listen address ("" turns it off)`)
	cacheSize := fs.Int("cache-size", edge.DefaultCacheSize, "decision cache entries")
	poll := fs.Duration("poll", 30*time.Second, "rules checksum poll interval (0 turns it off)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (for go tool pprof)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	files, err := assets.New(assets.Options{Root: *root, Logger: log})
	if err != nil {
		log.Error("cannot serve assets", "root", *root, "error", err)
		return 1
	}
	defer files.Close()
	if *poll == 0 {
		*poll = -1 // edge.Config: negative turns polling off
	}
	srv, err := edge.New(edge.Config{
		RulesFile: *rulesFile, Assets: files, CacheSize: *cacheSize, Poll: *poll, Logger: log,
	})
	if err != nil {
		printLoadError(stderr, *rulesFile, err)
		return 1
	}
	public, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Error("cannot listen", "addr", *addr, "error", err)
		return 1
	}
	var adminLn net.Listener
	if *admin != "" {
		if adminLn, err = net.Listen("tcp", *admin); err != nil {
			log.Error("cannot listen for admin", "addr", *admin, "error", err)
			return 1
		}
	}
	if *cpuProfile != "" {
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			log.Error("cannot profile", "file", *cpuProfile, "error", err)
			return 1
		}
		defer stopProfile()
	}
	logStart(log, public.Addr(), adminLn, *rulesFile, *root, files)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.Run(ctx, public, adminLn); err != nil {
		log.Error("server stopped", "error", err)
		return 1
	}
	return 0
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

// logStart tells a new user what is served where.
func logStart(log *slog.Logger, public net.Addr, admin net.Listener, rulesFile, root string, files *assets.Server) {
	what := "assets from " + root
	if files.Demo() {
		what = "the embedded demo set: " + strings.Join(files.Files(), ", ")
	}
	adminURL := "off"
	if admin != nil {
		adminURL = "http://" + admin.Addr().String() + "/status"
	}
	log.Info("corsedge serving "+what,
		"url", "http://"+localURLHost(public), "rules", rulesFile, "admin", adminURL)
}

// localURLHost turns a listen address into one a browser on this machine can open.
func localURLHost(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("localhost", fmt.Sprint(tcp.Port))
}
