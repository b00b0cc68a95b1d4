package harness

import (
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"corsedge/bench/internal/peers"
)

// machineLine describes the machine and the tools the figures came from;
// bin holds the corsedge binary, whose Go version is read from it (it may
// have been built elsewhere: -bin).
func machineLine(wrk, bin string) string {
	parts := []string{fmt.Sprintf("%s, %d cores", cpuModel(), len(machineCPUs))}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		parts = append(parts, "Linux "+strings.TrimSpace(string(b)))
	}
	if info, err := buildinfo.ReadFile(filepath.Join(bin, "corsedge")); err == nil {
		parts = append(parts, "corsedge built with "+info.GoVersion)
	} else {
		parts = append(parts, firstLine("go", "env", "GOVERSION"))
	}
	if wrk != "" {
		v, _, _ := strings.Cut(firstLine(wrk, "-v"), " Copyright")
		parts = append(parts, v)
	}
	if n := peers.NginxBinary(); n != "" {
		v := strings.TrimPrefix(firstLine(n, "-v"), "nginx version: ")
		if peers.NginxBrotli() {
			v += " with brotli_static"
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, "; ")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// firstLine returns the first line a command prints (on either stream).
func firstLine(name string, args ...string) string {
	out, _ := exec.Command(name, args...).CombinedOutput()
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if line == "" {
		return name + " (version unknown)"
	}
	return line
}
