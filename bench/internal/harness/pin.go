package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// machineCPUs are the CPUs this process may run on, in order, read when
// the package loads, before any Run pins the process: the machine's, or a
// container's cpuset, which need not start at CPU 0.
var machineCPUs = allowedCPUs()

// allowedCPUs returns the CPUs of this thread's affinity mask; should it
// not be readable, CPUs 0..NumCPU-1.
func allowedCPUs() []int {
	var set unix.CPUSet
	var ids []int
	if err := unix.SchedGetaffinity(0, &set); err == nil {
		for c := 0; len(ids) < set.Count(); c++ {
			if set.IsSet(c) {
				ids = append(ids, c)
			}
		}
		return ids
	}
	for c := range runtime.NumCPU() {
		ids = append(ids, c)
	}
	return ids
}

// cpuList writes CPUs as a taskset CPU list: "0", "0-3", "2,5-7".
func cpuList(cpus []int) string {
	var parts []string
	for i := 0; i < len(cpus); {
		j := i
		for j+1 < len(cpus) && cpus[j+1] == cpus[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, strconv.Itoa(cpus[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", cpus[i], cpus[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// pinSelf moves every thread of this process (the built-in load generator
// runs here) onto cpus and sizes GOMAXPROCS to match. Threads made later
// inherit the mask from the thread that makes them.
func pinSelf(cpus []int) error {
	var set unix.CPUSet
	for _, c := range cpus {
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
			return fmt.Errorf("pinning the load generator to cores %s: %v", cpuList(cpus), err)
		}
	}
	runtime.GOMAXPROCS(len(cpus))
	return nil
}
