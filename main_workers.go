package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"syscall"
	"time"

	"corsedge/edge"
	"corsedge/internal/handover"
	"corsedge/internal/workers"
)

// workersFlag defines serve's -workers: a count, or auto.
func workersFlag(fs *flag.FlagSet) *int {
	n := 1
	fs.Func("workers", `worker processes, each on one CPU (GOMAXPROCS=1) with its own SO_REUSEPORT socket per address, under a supervisor that owns -admin; "auto": one per CPU the process may use (default 1: one process, no supervisor)`, func(v string) (err error) {
		n, err = workers.ParseCount(v)
		return err
	})
	return &n
}

// supervision is what serve hands the supervisor.
type supervision struct {
	count                int
	args                 []string // serve's, for every worker
	addr, tlsAddr, admin string
	rulesFile            string
	shutdownDelay        time.Duration
	stdout, stderr       io.Writer
}

// supervise runs serve as -workers processes until SIGINT or SIGTERM, or
// until a binary hand-over (SIGUSR2) has given its sockets to a new
// supervisor: each worker is this binary with the same arguments, started
// with its sockets; this process holds the sockets and answers -admin for
// all. With up (serve as the process's own command), every socket comes
// through it: the previous supervisor's, or a new one kept for the next.
func supervise(ctx context.Context, sig <-chan os.Signal, up *handover.Upgrader, log *slog.Logger, o supervision) int {
	ctx, handedOver := context.WithCancel(ctx)
	defer handedOver()
	cfg := workers.Config{
		Count: o.count, Version: buildVersion(), Args: append([]string{"serve"}, o.args...),
		Addr: o.addr, TLSAddr: o.tlsAddr, Admin: o.admin,
		Logger: log, Stdout: o.stdout, Stderr: o.stderr,
		// The workers' drain: the delay, then in-flight requests, then a margin.
		StopTimeout: o.shutdownDelay + edge.ShutdownTimeout + 5*time.Second,
	}
	if up != nil {
		cfg.Listen = func(name, addr string, reuseport bool) (net.Listener, error) {
			return up.Listen(name, addr, func(addr string) (net.Listener, error) { return workers.Listen(name, addr, reuseport) })
		}
	}
	sup, err := workers.Start(ctx, cfg)
	switch {
	case err != nil && ctx.Err() != nil:
		// SIGTERM before every worker was ready: stopped, as one process
		// stops when told to during its start.
		log.Info("stopped while starting the workers")
		return 0
	case err != nil:
		log.Error("cannot start the workers", "error", err)
		return 1
	}
	var args []any
	http, https := sup.Public()
	if http != nil {
		args = append(args, "url", "http://"+localURLHost(http))
	}
	if https != nil {
		args = append(args, "tls_url", "https://"+localURLHost(https))
	}
	adminURL := "off"
	if a := sup.Admin(); a != nil {
		adminURL = "http://" + a.String() + "/status"
	}
	log.Info(fmt.Sprintf("corsedge serving with %d workers", o.count), append(args, "rules", o.rulesFile, "admin", adminURL, "pid", os.Getpid())...)
	if up != nil {
		if err := sayReady(up, log); err != nil {
			handedOver() // stops the workers
			sup.Serve(ctx)
			return 1
		}
		whenTakenOver(ctx, up.Exit(), func() {
			log.Info("handed over to the new supervisor: draining the workers")
			sup.HandOver()
			handedOver()
		})
	}
	go handleSupervisorSignals(ctx, sup, up, log, sig)
	if err := sup.Serve(ctx); err != nil {
		log.Error("workers stopped", "error", err)
		return 1
	}
	return 0
}

// handleSupervisorSignals is handleSignals for the supervisor: SIGHUP
// reloads every worker (POST /reload to each, the result logged once),
// SIGUSR1 is passed to each (every worker reopens its access log), SIGUSR2
// hands the sockets to the binary now at this path, which starts its own
// workers on them (see handOver).
func handleSupervisorSignals(ctx context.Context, sup *workers.Supervisor, up *handover.Upgrader, log *slog.Logger, sig <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case s := <-sig:
			switch s {
			case syscall.SIGHUP:
				sup.Reload(ctx, "", "sighup") // logs its result
			case syscall.SIGUSR1:
				log.Info("SIGUSR1 passed to the workers", "workers", sup.Signal(syscall.SIGUSR1))
			case syscall.SIGUSR2:
				startHandOver(up, log)
			}
		}
	}
}

// childListeners are the sockets a worker inherited from its supervisor.
func childListeners(c *workers.Child) (lns edge.Listeners, err error) {
	for _, l := range []struct {
		role string
		ln   *net.Listener
	}{{"http", &lns.HTTP}, {"https", &lns.HTTPS}, {"admin", &lns.Admin}} {
		if *l.ln, err = c.Listener(l.role); err != nil {
			closeListeners(lns)
			return edge.Listeners{}, err
		}
	}
	return lns, nil
}
