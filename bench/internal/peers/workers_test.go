package peers

import (
	"context"
	"slices"
	"testing"
	"time"

	"corsedge/bench/internal/fixture"
	"corsedge/bench/internal/load"
	"corsedge/bench/internal/procstat"
)

// A corsedge started with -workers counts as its supervisor and every
// worker: the process tree Start reads (once the supervisor's /readyz says
// every worker serves) holds them all, and the CPU time of the requests the
// workers served is in the server's.
func TestWorkersProcessTree(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs corsedge")
	}
	dir := t.TempDir()
	files, err := fixture.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{Dir: dir, Bin: dir + "/bin", Files: files}
	if err := Build(env, nil); err != nil {
		t.Fatal(err)
	}
	proc, err := Start(env, CorsedgeWith("workers", "corsedge -workers 2", "-workers", "2"), Launch{})
	if err != nil {
		t.Fatal(err)
	}
	defer proc.Stop()
	pids := proc.PIDs()
	if len(pids) != 3 || pids[0] != proc.cmd.Process.Pid {
		t.Fatalf("PIDs = %v, want the supervisor (%d) and its 2 workers", pids, proc.cmd.Process.Pid)
	}
	workers := pids[1:]
	before, err := procstat.CPU(workers)
	if err != nil {
		t.Fatal(err)
	}
	req := load.Request{Method: "GET", Path: fixture.Script}
	res, err := load.Go{}.Run(context.Background(), req, load.Options{Addr: proc.Addr, Conns: 8, Duration: time.Minute, Requests: 20000, Status: 200})
	if err != nil || res.Requests != 20000 || res.Errors > 0 {
		t.Fatalf("load: %+v, %v", res, err)
	}
	after, err := procstat.CPU(workers)
	if err != nil {
		t.Fatalf("a worker is gone: %v", err)
	}
	if after <= before {
		t.Errorf("the workers' CPU time did not grow over 20000 requests (%v → %v): the requests were not theirs", before, after)
	}
	if now, err := procstat.Tree(pids[0]); err != nil || !slices.Equal(slices.Sorted(slices.Values(now)), slices.Sorted(slices.Values(pids))) {
		t.Errorf("the tree is now %v (%v), was %v: a worker restarted under load", now, err, pids)
	}
}
