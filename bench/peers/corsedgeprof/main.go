// Command corsedgeprof is corsedge serve with a CPU profile: the same edge
// and assets packages, wired as corsedge's main wires them, writing a pprof
// profile of the whole run to -cpuprofile when SIGINT or SIGTERM stops it.
// The harness runs it instead of corsedge under -cpuprofile.
package main

import (
	"context"
	"flag"
	"log"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"corsedge/assets"
	"corsedge/edge"
)

func main() {
	addr := flag.String("addr", ":8080", "public listen address")
	root := flag.String("root", "", "asset directory")
	rulesFile := flag.String("rules", "rules.toml", "rules file")
	admin := flag.String("admin", "", "admin listen address")
	cacheSize := flag.Int("cache-size", edge.DefaultCacheSize, "decision cache entries")
	poll := flag.Duration("poll", -1, "rules checksum poll interval (negative: off)")
	profile := flag.String("cpuprofile", "cpu.prof", "where the CPU profile goes")
	flag.Parse()
	files, err := assets.New(assets.Options{Root: *root})
	if err != nil {
		log.Fatal(err)
	}
	srv, err := edge.New(edge.Config{RulesFile: *rulesFile, Assets: files, CacheSize: *cacheSize,
		Poll: *poll, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if err != nil {
		log.Fatal(err)
	}
	public, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	var adminLn net.Listener
	if *admin != "" {
		if adminLn, err = net.Listen("tcp", *admin); err != nil {
			log.Fatal(err)
		}
	}
	out, err := os.Create(*profile)
	if err != nil {
		log.Fatal(err)
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = srv.Run(ctx, public, adminLn)
	pprof.StopCPUProfile()
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		log.Fatal(err)
	}
}
