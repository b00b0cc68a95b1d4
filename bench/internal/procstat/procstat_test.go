package procstat_test

import (
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"corsedge/bench/internal/procstat"
)

func TestCPUGrowsWithWork(t *testing.T) {
	self := []int{os.Getpid()}
	before, err := procstat.CPU(self)
	if err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); time.Since(start) < 100*time.Millisecond; {
	}
	after, err := procstat.CPU(self)
	if err != nil {
		t.Fatal(err)
	}
	// 100 ms of spinning is 10 ticks at 100 Hz; allow for a busy machine.
	if after-before < 30*time.Millisecond {
		t.Errorf("CPU time grew by %v over 100 ms of spinning", after-before)
	}
}

func TestTreeAndRSS(t *testing.T) {
	child := exec.Command("sleep", "5")
	if err := child.Start(); err != nil {
		t.Skip("no sleep command:", err)
	}
	defer func() { child.Process.Kill(); child.Wait() }()
	tree, err := procstat.Tree(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if tree[0] != os.Getpid() || !slices.Contains(tree, child.Process.Pid) {
		t.Errorf("Tree(self) = %v, want self first and child %d", tree, child.Process.Pid)
	}
	rss, err := procstat.RSS(tree)
	if err != nil {
		t.Fatal(err)
	}
	if rss < 1<<20 {
		t.Errorf("RSS of this test and a child: %d bytes", rss)
	}
	if _, err := procstat.CPU([]int{1 << 30}); err == nil {
		t.Error("CPU of a process that does not exist: no error")
	}
}
