package deploy_test

import (
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	line      int
	cmd, args string // cmd upper-cased: "RUN", "COPY"
}

// stage is one FROM ... and what follows it.
type stage struct {
	from, name string
	ins        []instruction
}

// parseDockerfile reads the instructions of file by stage. Comments,
// parser directives and blank lines are dropped.
func parseDockerfile(t *testing.T, file string) []stage {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var stages []stage
	var cur strings.Builder
	first := 0
	for n, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if cur.Len() == 0 {
			first = n + 1
		}
		if body, more := strings.CutSuffix(trimmed, `\`); more {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		cur.Reset()
		in := instruction{line: first, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			st := stage{from: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			t.Fatalf("%s:%d: %s before FROM", file, in.line, in.cmd)
		}
		stages[len(stages)-1].ins = append(stages[len(stages)-1].ins, in)
	}
	return stages
}

// shellWords splits a shell command line into words as sh would for a
// simple command: quotes and backslashes, no expansions.
func shellWords(s string) ([]string, bool) {
	var words []string
	var w strings.Builder
	inWord, quote := false, rune(0)
	for i := 0; i < len(s); i++ {
		c := rune(s[i])
		switch {
		case quote == '\'' && c != '\'', quote == '"' && c != '"' && c != '\\':
			w.WriteRune(c)
		case quote != 0 && c == rune(quote):
			quote = 0
		case c == '\\' && i+1 < len(s):
			i++
			w.WriteByte(s[i])
			inWord = true
		case quote == 0 && (c == '\'' || c == '"'):
			quote, inWord = c, true
		case quote == 0 && (c == ' ' || c == '\t'):
			if inWord {
				words, inWord = append(words, w.String()), false
				w.Reset()
			}
		case quote == 0 && strings.ContainsRune(";&|<>()`$", c):
			return nil, false // more than a simple command
		default:
			w.WriteRune(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, quote == 0
}

// envOf collects the ENV instructions of st ("K=V ..." or "K V").
func envOf(t *testing.T, st stage) []string {
	t.Helper()
	var env []string
	for _, in := range st.ins {
		if in.cmd != "ENV" {
			continue
		}
		words, ok := shellWords(in.args)
		if !ok || len(words) == 0 {
			t.Fatalf("Dockerfile:%d: cannot read ENV %s", in.line, in.args)
		}
		if !strings.Contains(words[0], "=") {
			words = []string{words[0] + "=" + strings.Join(words[1:], " ")}
		}
		env = append(env, words...)
	}
	return env
}

// execForm reads the JSON (exec) form of ENTRYPOINT or CMD: the image has
// no shell to run the other form.
func execForm(t *testing.T, in instruction) []string {
	t.Helper()
	var words []string
	if err := json.Unmarshal([]byte(in.args), &words); err != nil {
		t.Fatalf("Dockerfile:%d: %s must be a JSON array (distroless has no /bin/sh): %v", in.line, in.cmd, err)
	}
	return words
}

// image is what deploy/Dockerfile builds, rebuilt here: its root
// filesystem laid out in a directory, and how it runs.
type image struct {
	path       string // the binary built with the Dockerfile's flags
	files      map[string]string
	uid, gid   uint32
	workdir    string
	env        []string
	entrypoint []string
	cmd        []string
	expose     []string
}

var (
	builtOnce sync.Once
	built     image
	builtErr  string
)

// binary builds the image's binary once for all tests of the package.
func binary(t *testing.T) *image {
	t.Helper()
	builtOnce.Do(func() {
		dir, err := os.MkdirTemp("", "corsedge-deploy-test-")
		if err != nil {
			builtErr = err.Error()
			return
		}
		built, builtErr = buildImage(t, dir)
	})
	if builtErr != "" {
		t.Fatal(builtErr)
	}
	if built.path == "" {
		t.Fatal("reading deploy/Dockerfile failed in an earlier test")
	}
	return &built
}

// TestMain removes the one build that binary shares between tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if built.path != "" {
		os.RemoveAll(filepath.Dir(filepath.Dir(built.path)))
	}
	os.Exit(code)
}

// buildImage follows deploy/Dockerfile: the build stage's go build, with
// its environment and flags, in a copy of the context that the Dockerfile's
// ignore file filters; then the final stage's COPYs, USER, ENV and args.
func buildImage(t *testing.T, dir string) (image, string) {
	stages := parseDockerfile(t, "Dockerfile")
	if len(stages) < 2 {
		return image{}, "Dockerfile: want a build stage and a final stage"
	}
	context := filepath.Join(dir, "context")
	if msg := copyContext(t, context, "Dockerfile.dockerignore"); msg != "" {
		return image{}, msg
	}
	img := image{path: filepath.Join(dir, "bin", "corsedge"), files: map[string]string{}, workdir: "/"}
	var builder stage
	var outPath string
	for _, st := range stages[:len(stages)-1] {
		for _, in := range st.ins {
			if in.cmd != "RUN" || !strings.Contains(in.args, "go build") {
				continue
			}
			words, ok := shellWords(in.args)
			if !ok {
				return image{}, "Dockerfile: the go build RUN must be one simple command: " + in.args
			}
			var env, args []string
			for len(words) > 0 && strings.Contains(words[0], "=") {
				env, words = append(env, words[0]), words[1:]
			}
			if len(words) < 2 || words[0] != "go" || words[1] != "build" {
				return image{}, "Dockerfile: cannot read " + in.args
			}
			for i := 2; i < len(words); i++ {
				if words[i] == "-o" && i+1 < len(words) {
					outPath, i = words[i+1], i+1
					continue
				}
				args = append(args, words[i])
			}
			build := exec.Command("go", append([]string{"build", "-o", img.path}, args...)...)
			build.Dir = context
			build.Env = append(append(os.Environ(), envOf(t, st)...), env...)
			if out, err := build.CombinedOutput(); err != nil {
				return image{}, "the Dockerfile's " + in.args + ": " + err.Error() + "\n" + string(out)
			}
			builder = st
		}
	}
	if outPath == "" {
		return image{}, "Dockerfile: no build stage runs go build -o PATH"
	}
	final := stages[len(stages)-1]
	img.env = envOf(t, final)
	for _, in := range final.ins {
		switch in.cmd {
		case "COPY":
			f := strings.Fields(in.args)
			if len(f) == 3 && f[0] == "--from="+builder.name && f[1] == outPath {
				img.files[f[2]] = img.path
			} else if len(f) == 2 && !strings.HasPrefix(f[0], "--") {
				img.files[f[1]] = filepath.Join(context, f[0])
			} else {
				return image{}, "Dockerfile: cannot follow COPY " + in.args
			}
		case "USER":
			u, g, _ := strings.Cut(in.args, ":")
			uid, uerr := strconv.ParseUint(u, 10, 32)
			gid, gerr := strconv.ParseUint(g, 10, 32)
			if uerr != nil || gerr != nil || uid == 0 {
				return image{}, "Dockerfile: USER must be a numeric uid:gid other than root, for runAsNonRoot: " + in.args
			}
			img.uid, img.gid = uint32(uid), uint32(gid)
		case "WORKDIR":
			img.workdir = in.args
		case "EXPOSE":
			img.expose = strings.Fields(in.args)
		case "ENTRYPOINT":
			img.entrypoint = execForm(t, in)
		case "CMD":
			img.cmd = execForm(t, in)
		}
	}
	if img.uid == 0 {
		return image{}, "Dockerfile: the final stage sets no USER"
	}
	return img, ""
}

// copyContext copies the repository into dst, leaving out what ignoreFile
// excludes (Docker's patterns: anchored at the root, ** for any depth).
func copyContext(t *testing.T, dst, ignoreFile string) string {
	data, err := os.ReadFile(ignoreFile)
	if err != nil {
		return err.Error()
	}
	var patterns []string
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasPrefix(l, "!") {
			return ignoreFile + ": exceptions (!) are not followed by this test"
		}
		patterns = append(patterns, strings.TrimPrefix(path.Clean(l), "/"))
	}
	err = filepath.Walk(repoRoot, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, p)
		rel = filepath.ToSlash(rel)
		if rel != "." && ignored(rel, patterns) {
			if fi.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		out := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		if !fi.Mode().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, data, fi.Mode().Perm())
	})
	if err != nil {
		return "copy the build context: " + err.Error()
	}
	return ""
}

// ignored reports whether a .dockerignore pattern matches rel.
func ignored(rel string, patterns []string) bool {
	parts := strings.Split(rel, "/")
	for _, p := range patterns {
		if rest, ok := strings.CutPrefix(p, "**/"); ok {
			for i := range parts {
				if m, _ := path.Match(rest, strings.Join(parts[i:], "/")); m {
					return true
				}
			}
			continue
		}
		if m, _ := path.Match(p, rel); m {
			return true
		}
	}
	return false
}

// args returns what the image passes its binary: the ENTRYPOINT's words
// after the binary, then cmd (Kubernetes args), or the CMD when cmd is nil.
func (img *image) args(cmd []string) []string {
	if cmd == nil {
		cmd = img.cmd
	}
	return slices.Concat(img.entrypoint[1:], cmd)
}

// rootfs lays out the image's files in a new directory and returns it.
func (img *image) rootfs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for dst, src := range img.files {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(root, dst)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, data, 0o555); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// baseEnv is what distroless/static:nonroot sets: a HOME that does not
// exist in the image, so nothing can be written there.
var baseEnv = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/home/nonroot"}

// TestImage runs the binary the way the image does: the Dockerfile's
// static build, alone in a read-only root with the files the final stage
// copies, as its non-root USER, with its ENTRYPOINT and CMD (only the
// listen addresses moved to free loopback ports), and fetches the demo font.
func TestImage(t *testing.T) {
	img := binary(t)
	t.Run("desc=static stripped binary", func(t *testing.T) {
		f, err := elf.Open(img.path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Error("the binary needs a dynamic loader: distroless/static has none")
			}
		}
		if f.Section(".symtab") != nil {
			t.Error("the binary keeps its symbol table: -ldflags=-s did not apply")
		}
	})
	inv := parseArgs(t, "Dockerfile ENTRYPOINT+CMD", img.args(nil))
	t.Run("desc=EXPOSE lists the ports it listens on", func(t *testing.T) {
		want := []string{port(t, "-addr", inv.values["addr"]), port(t, "-admin", inv.values["admin"])}
		if strings.Join(img.expose, " ") != strings.Join(want, " ") {
			t.Errorf("EXPOSE %v, but the binary listens on %v (public, admin)", img.expose, want)
		}
		if !allAddresses(inv.values["admin"]) {
			t.Errorf("-admin %s: a probe from outside the container cannot reach it", inv.values["admin"])
		}
	})
	t.Run("desc=the HTTPS example in a comment names real flags and mounts", func(t *testing.T) {
		words := dockerRunExample(t, "-tls-addr")
		image := slices.Index(words, "corsedge")
		if image < 0 {
			t.Fatalf("docker run example %q: no image corsedge", words)
		}
		ex := parseArgs(t, "Dockerfile's HTTPS example", words[image+1:])
		opts := strings.Join(words[:image], " ")
		if ex.values["tls-addr"] == "" || !strings.Contains(opts, "-p "+port(t, "-tls-addr", ex.values["tls-addr"])+":") {
			t.Errorf("docker run example: -tls-addr %q is not published by %q", ex.values["tls-addr"], opts)
		}
		for _, f := range slices.Concat(ex.all["tls-cert"], ex.all["tls-key"]) {
			if !strings.Contains(opts, ":"+path.Dir(f)+":ro") {
				t.Errorf("docker run example: %s is not in a read-only -v mount: %q", f, opts)
			}
		}
		if len(ex.all["tls-cert"]) == 0 || len(ex.all["tls-cert"]) != len(ex.all["tls-key"]) {
			t.Errorf("docker run example: -tls-cert %q, -tls-key %q: want pairs", ex.all["tls-cert"], ex.all["tls-key"])
		}
	})
	t.Run("desc=serves the demo font as nonroot on a read-only root", func(t *testing.T) {
		s := start(t, sandbox{
			rootfs: img.rootfs(t), dir: img.workdir, uid: img.uid, gid: img.gid,
			env:  slices.Concat(baseEnv, img.env),
			args: slices.Concat(img.entrypoint[:1], withAddrs(img.args(nil), loopback(inv))),
		})
		checkFont(t, s)
		if resp, _ := get(t, s.admin+"/healthz"); resp.StatusCode != 200 {
			t.Errorf("GET /healthz on the admin port: %d", resp.StatusCode)
		}
	})
}

// dockerRunExample returns the words of the docker run command in a
// Dockerfile comment that contains flag (continuation lines joined).
func dockerRunExample(t *testing.T, flag string) []string {
	t.Helper()
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var cmd strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		text, isComment := strings.CutPrefix(line, "#")
		text = strings.TrimSpace(text)
		if !isComment || (cmd.Len() == 0 && !strings.HasPrefix(text, "docker run ")) {
			cmd.Reset()
			continue
		}
		body, more := strings.CutSuffix(text, `\`)
		cmd.WriteString(body + " ")
		if more {
			continue
		}
		if strings.Contains(cmd.String(), flag+" ") {
			words, ok := shellWords(cmd.String())
			if !ok {
				t.Fatalf("Dockerfile: cannot read the example %q", cmd.String())
			}
			return words
		}
		cmd.Reset()
	}
	t.Fatalf("Dockerfile: no docker run example with %s in a comment", flag)
	return nil
}

// loopback moves every listener that inv turns on (-addr, -tls-addr,
// -admin) to a free loopback port, and leaves the ones it turns off off:
// -tls-addr added where the image has no certificate would stop the start.
func loopback(inv invocation) map[string]string {
	addrs := map[string]string{}
	for _, name := range []string{"addr", "tls-addr", "admin"} {
		if inv.values[name] != "" {
			addrs[name] = "127.0.0.1:0"
		}
	}
	return addrs
}
