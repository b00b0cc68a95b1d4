package deploy_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"corsedge/internal/testlog"
	"corsedge/internal/testpki"
)

// repoRoot is the build context of deploy/Dockerfile: tests run in deploy/.
const repoRoot = ".."

// flagDef is one flag as the binary's -h lists it.
type flagDef struct {
	name, def string
	isBool    bool
}

var flagCache sync.Map // command -> map[string]flagDef

// flagsOf returns the flags of `corsedge cmd`, read from what the binary
// itself prints for -h (flag.PrintDefaults), so a manifest cannot name a
// flag that does not exist.
func flagsOf(t *testing.T, cmd string) map[string]flagDef {
	t.Helper()
	if f, ok := flagCache.Load(cmd); ok {
		return f.(map[string]flagDef)
	}
	out, _ := exec.Command(binary(t).path, cmd, "-h").CombinedOutput()
	head := regexp.MustCompile(`^  -(\S+)(?:\s+(\S+))?`)
	def := regexp.MustCompile(`\(default (.*)\)$`)
	flags := map[string]flagDef{}
	var last string
	for _, line := range strings.Split(string(out), "\n") {
		if m := head.FindStringSubmatch(line); m != nil {
			last = m[1]
			// PrintDefaults names a type for every flag but a bool one.
			flags[last] = flagDef{name: last, isBool: m[2] == "" || strings.HasPrefix(line, "  -"+last+"\t")}
			continue
		}
		if m := def.FindStringSubmatch(line); m != nil && last != "" {
			f := flags[last]
			f.def = strings.Trim(m[1], `"`)
			flags[last] = f
		}
	}
	if len(flags) == 0 {
		t.Fatalf("corsedge %s -h lists no flags:\n%s", cmd, out)
	}
	flagCache.Store(cmd, flags)
	return flags
}

// invocation is a command line of corsedge, checked against its flags.
type invocation struct {
	cmd    string              // subcommand: serve when the line starts with a flag
	values map[string]string   // flag name -> value, defaults filled in
	all    map[string][]string // flag name -> every value the line gives, in order (repeatable flags)
	set    map[string]bool     // flags the line names
}

// parseArgs reads args (after the binary) the way main and package flag do,
// failing the test on a flag the binary does not have or on a stray
// argument (serve would stop parsing there and ignore the rest).
func parseArgs(t *testing.T, where string, args []string) invocation {
	t.Helper()
	inv := invocation{cmd: "serve", values: map[string]string{}, all: map[string][]string{}, set: map[string]bool{}}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		inv.cmd, args = args[0], args[1:]
	}
	flags := flagsOf(t, inv.cmd)
	for _, f := range flags {
		inv.values[f.name] = f.def
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
			t.Errorf("%s: argument %q is not a flag: `corsedge %s` would ignore it and all after it", where, a, inv.cmd)
			return inv
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f, ok := flags[name]
		switch {
		case !ok:
			t.Errorf("%s: flag -%s does not exist in `corsedge %s`", where, name, inv.cmd)
			continue
		case !hasValue && f.isBool:
			value = "true"
		case !hasValue:
			if i+1 == len(args) {
				t.Errorf("%s: flag -%s has no value", where, name)
				return inv
			}
			i++
			value = args[i]
		}
		inv.values[name], inv.set[name] = value, true
		inv.all[name] = append(inv.all[name], value)
	}
	return inv
}

// withAddrs returns args with the value of each flag in addrs replaced (or
// the flag added), leaving every other argument as it is.
func withAddrs(args []string, addrs map[string]string) []string {
	out := make([]string, 0, len(args)+2*len(addrs))
	done := map[string]bool{}
	for i := 0; i < len(args); i++ {
		name, _, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		v, ok := addrs[name]
		if !ok || !strings.HasPrefix(args[i], "-") {
			out = append(out, args[i])
			continue
		}
		out, done[name] = append(out, "-"+name, v), true
		if !hasValue {
			i++
		}
	}
	for name, v := range addrs {
		if !done[name] {
			out = append(out, "-"+name, v)
		}
	}
	return out
}

// port returns the port of a listen address such as ":9090".
func port(t *testing.T, where, addr string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("%s: listen address %q: %v", where, addr, err)
	}
	return p
}

// allAddresses reports whether a listen address accepts connections from
// outside the host (or container) on every interface.
func allAddresses(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && (host == "" || net.ParseIP(host).IsUnspecified())
}

// sandbox is how a test starts the binary: inside rootfs (chroot), as
// uid:gid with supplementary groups, in dir, with only env; everything in
// rootfs is root's and read-only, so the process can write nowhere.
type sandbox struct {
	rootfs, dir string
	uid, gid    uint32
	groups      []uint32
	env, args   []string
}

// server is the started binary: its public (plain HTTP), HTTPS (empty
// without -tls-addr) and admin base URLs.
type server struct {
	public, tls, admin string
	log                *testlog.Buffer
}

// start runs sb until the test ends (then SIGTERM, and a clean exit is
// expected) and waits for the startup line that says where it listens.
func start(t *testing.T, sb sandbox) server {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to chroot into the image's files and switch to its uid (CI runs as root)")
	}
	readOnly(t, sb.rootfs)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	cmd := exec.CommandContext(ctx, sb.args[0], sb.args[1:]...)
	cmd.Dir, cmd.Env = sb.dir, sb.env
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Chroot:     sb.rootfs,
		Credential: &syscall.Credential{Uid: sb.uid, Gid: sb.gid, Groups: append([]uint32{}, sb.groups...)},
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %q in %s: %v", sb.args, sb.rootfs, err)
	}
	log := &testlog.Buffer{}
	startLine := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stderr)
		for lines.Scan() {
			fmt.Fprintln(log, lines.Text())
			if strings.Contains(lines.Text(), "corsedge serving") {
				startLine <- lines.Text()
			}
		}
		close(startLine)
	}()
	t.Cleanup(func() {
		defer cancel()
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, log)
		}
	})
	line, ok := <-startLine
	if !ok {
		t.Fatalf("%q exited before serving:\n%s", sb.args, log)
	}
	public := regexp.MustCompile(`url=(http://\S+)`).FindStringSubmatch(line)
	admin := regexp.MustCompile(`admin=(http://\S+)/status`).FindStringSubmatch(line)
	if public == nil || admin == nil {
		t.Fatalf("startup line %q names no public and admin URL", line)
	}
	s := server{public: public[1], admin: admin[1], log: log}
	if m := regexp.MustCompile(`tls_url=(https://\S+)`).FindStringSubmatch(line); m != nil {
		s.tls = m[1]
	}
	return s
}

// readOnly makes everything under root owned by root and unwritable; the
// group stays (a key may be readable by one).
func readOnly(t *testing.T, root string) {
	t.Helper()
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.Mode()&os.ModeSymlink != 0 {
			return err
		}
		if err := os.Lchown(p, 0, -1); err != nil {
			return err
		}
		return os.Chmod(p, fi.Mode().Perm()&^0o222)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// get fetches url with an Origin header and returns the response (body read).
func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	return getWith(t, http.DefaultClient, url)
}

// getWith is get through client (an HTTPS one that trusts a test CA).
func getWith(t *testing.T, client *http.Client, url string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", "https://anyone.example")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp, string(body)
}

// httpsClient trusts only ca and makes a new connection (a new handshake)
// per request, so each response shows the certificate served now.
func httpsClient(ca *testpki.CA) *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true, TLSClientConfig: &tls.Config{RootCAs: ca.Pool()},
	}}
}

// servedSerial is the serial number of the leaf certificate resp came with.
func servedSerial(resp *http.Response) *big.Int {
	if resp.TLS == nil || len(resp.TLS.PeerCertificates) == 0 {
		return big.NewInt(-1)
	}
	return resp.TLS.PeerCertificates[0].SerialNumber
}

// demoFont finds the font the startup line lists.
func demoFont(t *testing.T, s server) string {
	t.Helper()
	m := regexp.MustCompile(`fonts/[^ ,"]+\.woff2`).FindString(s.log.String())
	if m == "" {
		t.Fatalf("no woff2 font in the startup line:\n%s", s.log)
	}
	return "/" + m
}

// checkFont asserts what a browser on another site needs to use the font.
func checkFont(t *testing.T, s server) {
	t.Helper()
	checkFontAt(t, http.DefaultClient, s.public+demoFont(t, s))
}

// checkFontAt is checkFont for the font at url through client (an HTTPS
// one), and returns the response.
func checkFontAt(t *testing.T, client *http.Client, url string) *http.Response {
	t.Helper()
	resp, _ := getWith(t, client, url)
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Content-Type") != "font/woff2" {
		t.Errorf("GET %s: %d %v", url, resp.StatusCode, resp.Header)
	}
	return resp
}
