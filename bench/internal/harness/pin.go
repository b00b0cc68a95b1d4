package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// cpuList writes cores [from, to) as a taskset CPU list.
func cpuList(from, to int) string {
	if to-from == 1 {
		return strconv.Itoa(from)
	}
	return fmt.Sprintf("%d-%d", from, to-1)
}

// pinSelf moves every thread of this process (the built-in load generator
// runs here) onto cores [from, to) and sizes GOMAXPROCS to match. Threads
// made later inherit the mask from the thread that makes them.
func pinSelf(from, to int) error {
	var set unix.CPUSet
	for c := from; c < to; c++ {
		set.Set(c)
	}
	tasks, err := filepath.Glob("/proc/self/task/*")
	if err != nil {
		return err
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(filepath.Base(t))
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &set); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("pinning the load generator to cores %s: %v", cpuList(from, to), err)
		}
	}
	runtime.GOMAXPROCS(to - from)
	return nil
}
