// Package procstat reads a process tree's CPU time and resident memory from /proc.
package procstat

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Tree returns pid followed by all its descendants (nginx: the master and
// its workers), found by scanning /proc for parent links.
func Tree(pid int) ([]int, error) {
	parents, err := parentLinks()
	if err != nil {
		return nil, err
	}
	tree := []int{pid}
	for i := 0; i < len(tree); i++ {
		for child, parent := range parents {
			if parent == tree[i] {
				tree = append(tree, child)
			}
		}
	}
	return tree, nil
}

// parentLinks maps every live process to its parent.
func parentLinks() (map[int]int, error) {
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return nil, err
	}
	links := make(map[int]int, len(dirs))
	for _, dir := range dirs {
		pid, err := strconv.Atoi(filepath.Base(dir))
		if err != nil {
			continue
		}
		f, err := statFields(pid)
		if err != nil {
			continue // exited since the glob
		}
		if ppid, err := strconv.Atoi(f[1]); err == nil {
			links[pid] = ppid
		}
	}
	return links, nil
}

// statFields returns /proc/PID/stat split after the command name, so that
// f[0] is field 3 (state), f[1] field 4 (ppid), f[11] field 14 (utime) and
// f[12] field 15 (stime). The name is skipped by its closing parenthesis,
// since it may itself hold spaces.
func statFields(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return nil, fmt.Errorf("procstat: /proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[end+1:]))
	if len(f) < 13 {
		return nil, fmt.Errorf("procstat: /proc/%d/stat: %d fields", pid, len(f)+2)
	}
	return f, nil
}

// CPU returns the user+system time the processes have used so far. Its
// resolution is one clock tick (10 ms at the usual 100 Hz).
func CPU(pids []int) (time.Duration, error) {
	var ticks int64
	for _, pid := range pids {
		f, err := statFields(pid)
		if err != nil {
			return 0, err
		}
		for _, s := range f[11:13] {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("procstat: /proc/%d/stat: %w", pid, err)
			}
			ticks += n
		}
	}
	return time.Duration(ticks) * time.Second / time.Duration(clockTicks()), nil
}

// RSS returns the processes' summed resident memory (VmRSS) in bytes.
func RSS(pids []int) (int64, error) {
	var total int64
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			return 0, err
		}
		kib, err := statusKiB(b, "VmRSS:")
		if err != nil {
			return 0, fmt.Errorf("procstat: /proc/%d/status: %w", pid, err)
		}
		total += kib << 10
	}
	return total, nil
}

// statusKiB reads one "Key:   123 kB" line of /proc/PID/status.
func statusKiB(status []byte, key string) (int64, error) {
	for line := range bytes.Lines(status) {
		if rest, ok := bytes.CutPrefix(line, []byte(key)); ok {
			f := strings.Fields(string(rest))
			if len(f) == 0 {
				break
			}
			return strconv.ParseInt(f[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s line", key)
}

var clockTicks = sync.OnceValue(func() int64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil && n > 0 {
			return n
		}
	}
	return 100 // USER_HZ on every Linux architecture Go supports
})
