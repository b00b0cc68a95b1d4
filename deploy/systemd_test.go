package deploy_test

import (
	"bytes"
	"net/http"
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
	"corsedge/internal/testpki"
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
	certFiles, keyFiles := inv.all["tls-cert"], inv.all["tls-key"]
	var tlsFiles []string
	for _, f := range slices.Concat(certFiles, keyFiles) {
		if !covered(readOnly, f) {
			tlsFiles = append(tlsFiles, f)
		}
	}
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
		{"IP sockets and sd_notify's only", unless(one("Service.RestrictAddressFamilies") == "AF_UNIX AF_INET AF_INET6", "RestrictAddressFamilies=%s", one("Service.RestrictAddressFamilies"))},
		{"systemd follows a binary upgrade", unless(one("Service.Type") == "notify" && one("Service.NotifyAccess") == "all", "Type=%s NotifyAccess=%s: after SIGUSR2 the new process is not the one systemd started", one("Service.Type"), one("Service.NotifyAccess"))},
		{"reload is SIGHUP", unless(one("Service.ExecReload") == "/bin/kill -HUP $MAINPID", "ExecReload=%s", one("Service.ExecReload"))},
		{"a descriptor per connection", unless(one("Service.LimitNOFILE") == "1048576", "LimitNOFILE=%s", one("Service.LimitNOFILE"))},
		{"restarts on failure", unless(one("Service.Restart") == "on-failure", "Restart=%s", one("Service.Restart"))},
		{"the stop timeout outlasts the drain", unless(stopTimeout > edge.ShutdownTimeout, "TimeoutStopSec=%s, drain bound %v", one("Service.TimeoutStopSec"), edge.ShutdownTimeout)},
		{"-root is read-only", unless(inv.values["root"] == "" || covered(readOnly, inv.values["root"]), "-root %s is not under ReadOnlyPaths=%v", inv.values["root"], readOnly)},
		{"-rules is read-only", unless(covered(readOnly, inv.values["rules"]), "-rules %s is not under ReadOnlyPaths=%v", inv.values["rules"], readOnly)},
		{"HTTPS on", unless(inv.values["tls-addr"] != "", "no -tls-addr: browsers block http:// fonts and scripts on an https:// page")},
		{"-tls-addr on every address", unless(inv.values["tls-addr"] == "" || allAddresses(inv.values["tls-addr"]), "-tls-addr %s: browsers cannot reach it", inv.values["tls-addr"])},
		{"-tls-cert and -tls-key in pairs", unless(len(certFiles) > 0 && len(certFiles) == len(keyFiles), "-tls-cert %q, -tls-key %q", certFiles, keyFiles)},
		{"the certificates and keys are read-only", unless(len(tlsFiles) == 0, "%q not under ReadOnlyPaths=%v", tlsFiles, readOnly)},
		{"a group to read the keys by", unless(len(keyFiles) == 0 || one("Service.DynamicUser") != "yes" || one("Service.SupplementaryGroups") != "", "DynamicUser=yes and no SupplementaryGroups: the transient uid cannot read a key that is not readable by all")},
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
		// Exposure 1.5 when written (1.4 before SupplementaryGroups= for the
		// TLS key); 2.0 leaves room for one more grant.
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

// TestSystemdUnitServes runs ExecStart's command line (listen addresses
// moved to loopback) with its files laid out where its flags and comment
// put them: a read-only root, a transient uid whose one supplementary group
// (SupplementaryGroups=) alone may read the key, a test CA's certificate;
// then GETs a font over HTTP and HTTPS, and renews the certificate by
// rewriting both files, as certbot's deploy hook does.
func TestSystemdUnitServes(t *testing.T) {
	img := binary(t)
	unit := readUnit(t)
	exec0, ok := shellWords(strings.TrimLeft(unit["Service.ExecStart"][0], "@-:+!"))
	if !ok || len(exec0) < 2 {
		t.Fatalf("ExecStart=%s: want the binary and its arguments", unit["Service.ExecStart"][0])
	}
	inv := parseArgs(t, "ExecStart", exec0[1:])
	const uid, keyGID = 61234, 61235 // in DynamicUser's range (61184-65519); the key's group
	root := t.TempDir()
	font, err := os.ReadFile(filepath.Join(repoRoot, "assets/demo/fonts/fontawesome-webfont.woff2"))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := os.ReadFile(filepath.Join(repoRoot, "rules.toml"))
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(img.path)
	if err != nil {
		t.Fatal(err)
	}
	ca := testpki.NewCA(t)
	leaf := ca.Issue(t, testpki.Spec{})
	install := func(name string, data []byte, mode os.FileMode, gid int) {
		t.Helper()
		file := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		// WriteFile then Chmod: the umask would narrow a new file's mode.
		if err := os.WriteFile(file, data, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(file, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(file, 0, gid); err != nil {
			t.Fatal(err)
		}
	}
	install(exec0[0], bin, 0o755, 0)
	install(inv.values["rules"], rules, 0o644, 0)
	install(inv.values["root"]+"/fonts/font.woff2", font, 0o644, 0)
	writePair := func(l testpki.Leaf) {
		for i, certFile := range inv.all["tls-cert"] {
			install(certFile, l.CertPEM, 0o644, 0)
			install(inv.all["tls-key"][i], l.KeyPEM, 0o640, keyGID)
		}
	}
	writePair(leaf)
	s := start(t, sandbox{
		rootfs: root, dir: "/", uid: uid, gid: uid, groups: []uint32{keyGID},
		env:  []string{"PATH=/usr/bin:/bin"},
		args: slices.Concat(exec0[:1], withAddrs(exec0[1:], loopback(inv))),
	})
	if s.tls == "" {
		t.Fatalf("the startup line names no HTTPS URL:\n%s", s.log)
	}
	https := httpsClient(ca)
	checkFontAt(t, http.DefaultClient, s.public+"/fonts/font.woff2")
	if got := servedSerial(checkFontAt(t, https, s.tls+"/fonts/font.woff2")); got.Cmp(leaf.Cert.SerialNumber) != 0 {
		t.Errorf("HTTPS served serial %v, want %v", got, leaf.Cert.SerialNumber)
	}
	renewed := ca.Issue(t, testpki.Spec{})
	writePair(renewed)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got := servedSerial(checkFontAt(t, https, s.tls+"/fonts/font.woff2"))
		if got.Cmp(renewed.Cert.SerialNumber) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after rewriting the certificate and key: served serial %v, want %v\n%s", got, renewed.Cert.SerialNumber, s.log)
		}
	}
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
