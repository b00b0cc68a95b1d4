package deploy_test

import (
	"bytes"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"corsedge/edge"
)

const unitFile = "systemd/corsedge.service"

// readUnit returns the unit's settings, key -> values in order, by section
// ("Service.ExecStart").
func readUnit(t *testing.T) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	unit := map[string][]string{}
	section := ""
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			section = strings.Trim(line, "[]")
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s:%d: not KEY=VALUE: %s", unitFile, n+1, line)
			}
			unit[section+"."+k] = append(unit[section+"."+k], v)
		}
	}
	return unit
}

// TestSystemdUnit checks the unit's command line against the binary's
// flags, its sandbox against what those flags need, and, where
// systemd-analyze is installed, the whole unit with verify and its
// exposure with security.
func TestSystemdUnit(t *testing.T) {
	img := binary(t)
	unit := readUnit(t)
	one := func(key string) string {
		if v := unit[key]; len(v) > 0 {
			return v[len(v)-1]
		}
		return ""
	}
	exec0, ok := shellWords(strings.TrimLeft(one("Service.ExecStart"), "@-:+!"))
	if !ok || len(exec0) < 2 {
		t.Fatalf("ExecStart=%s: want the binary and its arguments", one("Service.ExecStart"))
	}
	inv := parseArgs(t, "ExecStart", exec0[1:])
	if inv.cmd != "serve" {
		t.Errorf("ExecStart runs `corsedge %s`, want serve", inv.cmd)
	}
	lowPort := false
	for _, name := range []string{"addr", "tls-addr"} {
		if addr, ok := inv.values[name]; ok && addr != "" {
			p, _ := strconv.Atoi(port(t, "-"+name, addr))
			lowPort = lowPort || p < 1024
		}
	}
	readOnly := strings.Fields(strings.Join(unit["Service.ReadOnlyPaths"], " "))
	stopTimeout, _ := time.ParseDuration(one("Service.TimeoutStopSec"))
	caps := strings.Fields(one("Service.AmbientCapabilities"))
	bounding := strings.Fields(one("Service.CapabilityBoundingSet"))

	cases := []struct {
		desc string
		fail string // empty when the case holds
	}{
		{"DynamicUser", unless(one("Service.DynamicUser") == "yes", "DynamicUser=%s", one("Service.DynamicUser"))},
		{"ProtectSystem=strict", unless(one("Service.ProtectSystem") == "strict", "ProtectSystem=%s", one("Service.ProtectSystem"))},
		{"ProtectHome", unless(one("Service.ProtectHome") == "yes", "ProtectHome=%s", one("Service.ProtectHome"))},
		{"PrivateTmp", unless(one("Service.PrivateTmp") == "yes", "PrivateTmp=%s", one("Service.PrivateTmp"))},
		{"NoNewPrivileges", unless(one("Service.NoNewPrivileges") == "yes", "NoNewPrivileges=%s", one("Service.NoNewPrivileges"))},
		{"system calls of a service", unless(slices.Contains(unit["Service.SystemCallFilter"], "@system-service"), "SystemCallFilter=%v", unit["Service.SystemCallFilter"])},
		{"IP sockets only", unless(one("Service.RestrictAddressFamilies") == "AF_INET AF_INET6", "RestrictAddressFamilies=%s", one("Service.RestrictAddressFamilies"))},
		{"reload is SIGHUP", unless(one("Service.ExecReload") == "/bin/kill -HUP $MAINPID", "ExecReload=%s", one("Service.ExecReload"))},
		{"a descriptor per connection", unless(one("Service.LimitNOFILE") == "1048576", "LimitNOFILE=%s", one("Service.LimitNOFILE"))},
		{"restarts on failure", unless(one("Service.Restart") == "on-failure", "Restart=%s", one("Service.Restart"))},
		{"the stop timeout outlasts the drain", unless(stopTimeout > edge.ShutdownTimeout, "TimeoutStopSec=%s, drain bound %v", one("Service.TimeoutStopSec"), edge.ShutdownTimeout)},
		{"-root is read-only", unless(inv.values["root"] == "" || covered(readOnly, inv.values["root"]), "-root %s is not under ReadOnlyPaths=%v", inv.values["root"], readOnly)},
		{"-rules is read-only", unless(covered(readOnly, inv.values["rules"]), "-rules %s is not under ReadOnlyPaths=%v", inv.values["rules"], readOnly)},
		{"-admin on loopback", unless(!allAddresses(inv.values["admin"]), "-admin %s: POST /reload and /metrics would be reachable from the network", inv.values["admin"])},
		{"CAP_NET_BIND_SERVICE exactly when a port is below 1024", unless(lowPort == (slices.Contains(caps, "CAP_NET_BIND_SERVICE") && slices.Contains(bounding, "CAP_NET_BIND_SERVICE")), "a port below 1024: %v; AmbientCapabilities=%v CapabilityBoundingSet=%v", lowPort, caps, bounding)},
		{"no capability beyond the bounding set", unless(subsetOf(caps, bounding), "AmbientCapabilities=%v outside CapabilityBoundingSet=%v", caps, bounding)},
	}
	for _, tc := range cases {
		if tc.fail != "" {
			t.Errorf("desc=%s: %s", tc.desc, tc.fail)
		}
	}
	t.Run("desc=systemd-analyze verify and security", func(t *testing.T) {
		if _, err := exec.LookPath("systemd-analyze"); err != nil {
			t.Log("systemd-analyze is not installed (apt-get install systemd): the unit was checked against the binary's flags only, not verified")
			return
		}
		// verify insists that ExecStart's binary exists: point it at the
		// one built from the Dockerfile's flags, and change nothing else.
		data, _ := os.ReadFile(unitFile)
		unitCopy := filepath.Join(t.TempDir(), path.Base(unitFile))
		data = bytes.Replace(data, []byte("ExecStart="+exec0[0]+" "), []byte("ExecStart="+img.path+" "), 1)
		if err := os.WriteFile(unitCopy, data, 0o644); err != nil {
			t.Fatal(err)
		}
		// verify exits 0 even on unknown keys and bad values; it only
		// prints them, so any output fails.
		if out, err := exec.Command("systemd-analyze", "verify", unitCopy).CombinedOutput(); err != nil || len(out) > 0 {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
		// Exposure 1.4 when written; 2.0 leaves room for one more grant.
		// --threshold counts tenths of the exposure it prints.
		out, err := exec.Command("systemd-analyze", "security", "--offline=yes", "--threshold=20", unitCopy).CombinedOutput()
		if err != nil {
			t.Errorf("systemd-analyze security: exposure above 2.0 (%v):\n%s", err, out)
		}
		if i := bytes.Index(out, []byte("Overall exposure")); i >= 0 {
			t.Log(string(bytes.TrimSpace(out[i:])))
		}
	})
}

// covered reports whether file is one of dirs or lies under one.
func covered(dirs []string, file string) bool {
	for _, d := range dirs {
		d = strings.TrimPrefix(d, "-")
		if file == d || strings.HasPrefix(file, strings.TrimSuffix(d, "/")+"/") {
			return true
		}
	}
	return false
}

func subsetOf(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
