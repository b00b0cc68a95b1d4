// Package peers builds and starts the servers under test: corsedge and the
// servers it is compared with, each configured with the same policy and tree.
package peers

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"corsedge/bench/internal/answer"
	"corsedge/bench/internal/fixture"
)

// Peer is one kind of server the harness can run.
type Peer struct {
	Name    string // as given to -peers
	Label   string // as shown in tables
	Missing string // why it cannot run on this machine; "" when it can
	Fixed   bool   // repeats corsedge's answer (Launch.Answer) instead of deciding
	TLS     bool   // can serve HTTPS (Launch.TLS)
	Metrics bool   // corsedge with flags: always started with its admin listener, for /metrics
	// Env is added to the process's environment ("GOMAXPROCS=4").
	Env     []string
	build   string // import path `go build` builds it from
	command func(env *Env, addr string, l Launch) ([]string, error)
	// resumedLog, when set, names the file the server logs each request
	// on a resumed TLS session to, one line each (nginx).
	resumedLog func(env *Env, addr string) string
}

// Launch is what one start of a server needs beyond the shared Env.
type Launch struct {
	CacheSize  int            // corsedge -cache-size; its default when 0
	Answer     *answer.Answer // the bare peer's fixed response
	CPUProfile string         // corsedge: write a CPU profile of the run here
	Admin      bool           // corsedge: serve the admin listener, on a free port
	TLS        bool           // serve HTTPS only, with the fixture's certificate and key
	// Sites, when set, serves the sites fixture instead of the shared one:
	// corsedge its tree and rules (SitesRules when set: the directory
	// layout's main file), nginx a configuration made from it.
	Sites      *fixture.Sites
	SitesRules string

	adminAddr string // the port Start picked for it
}

// Env is shared by every server of a harness run.
type Env struct {
	Dir     string        // config files and logs
	Bin     string        // built binaries
	Files   fixture.Files // the tree and rules.toml
	Cores   string        // taskset CPU list for servers; "" leaves them unpinned
	Workers int           // nginx worker_processes
}

// Corsedge is the server under test.
var Corsedge = &Peer{
	Name: "corsedge", Label: "corsedge", build: "corsedge", TLS: true,
	command: func(env *Env, addr string, l Launch) ([]string, error) { return corsedgeCommand(env, addr, l), nil },
}

// RunPrefix, in a flag of CorsedgeWith, stands for the path of a file
// prefix of that start's own in the work directory (beside its output log),
// so that two starts never append to the same file.
const RunPrefix = "{run}"

// CorsedgeWith is the peer kind "corsedge with flags": corsedge started
// with extra flags after the harness's own, for scenarios that time
// corsedge against itself (a feature on against off). name must be unique
// among the peers of a run: it names the start's files. It is always
// started with its admin listener, so its /metrics can be read.
func CorsedgeWith(name, label string, flags ...string) *Peer {
	return &Peer{
		Name: "corsedge-" + name, Label: label, build: "corsedge", TLS: true, Metrics: true,
		command: func(env *Env, addr string, l Launch) ([]string, error) {
			run := filepath.Join(env.Dir, runName("corsedge-"+name, addr))
			args := corsedgeCommand(env, addr, l)
			for _, f := range flags {
				args = append(args, strings.ReplaceAll(f, RunPrefix, run))
			}
			return args, nil
		},
	}
}

// corsedgeCommand is corsedge's command line for one start.
func corsedgeCommand(env *Env, addr string, l Launch) []string {
	bin := env.Bin + "/corsedge"
	args := []string{"serve"}
	if l.CPUProfile != "" {
		args = append(args, "-cpuprofile", l.CPUProfile)
	}
	if l.TLS {
		// -addr "" turns plain HTTP off: the server is timed on HTTPS alone.
		args = append(args, "-addr", "", "-tls-addr", addr, "-tls-cert", env.Files.Cert, "-tls-key", env.Files.Key)
	} else {
		args = append(args, "-addr", addr)
	}
	root, rules := env.Files.Root, env.Files.Rules
	if l.Sites != nil {
		root, rules = l.Sites.Root, l.Sites.Rules
		if l.SitesRules != "" {
			rules = l.SitesRules
		}
	}
	args = append(args, "-admin", l.adminAddr, "-root", root,
		"-rules", rules, "-poll", "0")
	if l.CacheSize > 0 {
		args = append(args, "-cache-size", fmt.Sprint(l.CacheSize))
	}
	return append([]string{bin}, args...)
}

// runName is the base name of one start's files: its output log is
// runName + ".log".
func runName(peer, addr string) string {
	return peer + "-" + strings.ReplaceAll(addr, ":", "-")
}

// Peers are what corsedge is compared with, in table order.
var Peers = []*Peer{
	{
		Name: "bare", Label: "bare fasthttp (fixed answer)", Fixed: true, TLS: true,
		build:   "corsedge/bench/peers/barefasthttp",
		command: bareCommand,
	},
	{
		Name: "bare-timeouts", Label: "bare fasthttp with corsedge's timeouts", Fixed: true, TLS: true,
		build: "corsedge/bench/peers/barefasthttp",
		command: func(env *Env, addr string, l Launch) ([]string, error) {
			args, err := bareCommand(env, addr, l)
			return append(args, "-timeouts"), err
		},
	},
	{
		Name: "rscors", Label: "net/http + rs/cors", TLS: true,
		build: "corsedge/bench/peers/rscors",
		command: func(env *Env, addr string, l Launch) ([]string, error) {
			return append([]string{env.Bin + "/rscors", "-addr", addr, "-root", env.Files.Root,
				"-origins", strings.Join(origins(), ","),
				"-methods", strings.Join(fixture.Methods, ","),
				"-headers", strings.Join(fixture.Headers, ","),
				"-max-age", fmt.Sprint(fixture.MaxAge),
				fmt.Sprintf("-credentials=%t", fixture.Credentials)}, tlsArgs(env, l)...), nil
		},
	},
	{
		Name: "nginx", Label: NginxLabel, Missing: nginxMissing(), TLS: true,
		command: nginxCommand, resumedLog: nginxResumedLog,
	},
	{
		// Sites only: a cheaper nginx that leans on the fixture's siteN naming.
		Name: "nginx-regex", Label: NginxRegexLabel, Missing: nginxMissing(),
		command: func(env *Env, addr string, l Launch) ([]string, error) {
			if l.Sites == nil {
				return nil, fmt.Errorf("peers: nginx-regex serves only the sites suite")
			}
			return nginxSitesCommand(env, addr, l, true)
		},
	},
}

// NginxLabel is the nginx peer's row.
const NginxLabel = "nginx"

// NginxRegexLabel is the nginx-regex peer's row.
const NginxRegexLabel = "one-regex nginx (site number from the Origin by a regex: relies on the siteN naming)"

// bareCommand writes the fixed answer and runs the bare peer with it.
func bareCommand(env *Env, addr string, l Launch) ([]string, error) {
	if l.Answer == nil {
		return nil, fmt.Errorf("peers: the bare peer needs an answer")
	}
	file := fmt.Sprintf("%s/answer-%s.json", env.Dir, strings.ReplaceAll(addr, ":", "-"))
	if err := l.Answer.Write(file); err != nil {
		return nil, err
	}
	return append([]string{env.Bin + "/barefasthttp", "-addr", addr, "-answer", file}, tlsArgs(env, l)...), nil
}

// tlsArgs are the Go peers' flags for HTTPS.
func tlsArgs(env *Env, l Launch) []string {
	if !l.TLS {
		return nil
	}
	return []string{"-tls-cert", env.Files.Cert, "-tls-key", env.Files.Key}
}

// origins returns the policy's origins in the one-wildcard form rs/cors takes.
func origins() []string {
	o := append([]string(nil), fixture.ExactOrigins...)
	for _, d := range fixture.WildcardDomains {
		o = append(o, "https://*."+d)
	}
	return o
}

// Lookup returns the peer named name.
func Lookup(name string) (*Peer, bool) {
	for _, p := range Peers {
		if p.Name == name {
			return p, true
		}
	}
	return nil, false
}

// Names lists every peer's name.
func Names() []string {
	var n []string
	for _, p := range Peers {
		n = append(n, p.Name)
	}
	return n
}

// Build builds corsedge and the given Go peers into env.Bin.
func Build(env *Env, list []*Peer) error {
	args := append([]string{"build", "-o", env.Bin + "/"}, buildPaths(list)...)
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// Prebuilt checks that env.Bin already holds corsedge and the given Go
// peers, built beforehand (on a machine that has Go and the modules) for
// one that has neither: `go build -o DIR/` of each path, which names each
// binary after its path's last element.
func Prebuilt(env *Env, list []*Peer) error {
	for _, p := range buildPaths(list) {
		bin := filepath.Join(env.Bin, path.Base(p))
		if st, err := os.Stat(bin); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return fmt.Errorf("peers: no executable %s: build it first (go build -o %s/ %s)", bin, env.Bin, p)
		}
	}
	return nil
}

// buildPaths are the import paths of corsedge and the given Go peers.
func buildPaths(list []*Peer) []string {
	paths := []string{Corsedge.build}
	for _, p := range list {
		if p.build != "" && !slices.Contains(paths, p.build) {
			paths = append(paths, p.build)
		}
	}
	return paths
}
