package rules_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"corsedge/rules"
)

// writeFiles writes name -> contents under dir, making directories.
func writeFiles(tb testing.TB, dir string, files map[string]string) {
	tb.Helper()
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

func readAll(path string) ([]byte, error) { return os.ReadFile(path) }

// load loads dir/rules.toml with a fresh or given Loader.
func load(tb testing.TB, l *rules.Loader, dir string) (*rules.Table, error) {
	tb.Helper()
	main := filepath.Join(dir, "rules.toml")
	src, err := os.ReadFile(main)
	if err != nil {
		tb.Fatal(err)
	}
	snap, err := l.Load(main, src, false)
	if err != nil {
		return nil, err
	}
	return l.Compile(snap)
}

func site(name, path, origin string) string {
	return "[[rule]]\nname = \"" + name + "\"\npaths = [\"" + path + "\"]\norigins = [\"" + origin + "\"]\n"
}

func TestLoadIncludes(t *testing.T) {
	main := "version = 1\ninclude = [\"sites.d/*.toml\", \"extra/*.toml\"]\n[defaults]\ncredentials = true\n" +
		site("main", "/main/", "https://main.example")
	for _, c := range []struct {
		desc   string
		files  map[string]string
		want   []string // rule labels in table order
		nfiles int
	}{
		{desc: "no included file: an empty site directory", files: map[string]string{}, want: []string{`rule #1 ("main")`}, nfiles: 1},
		{
			desc: "main first, then included files in lexical order of path, across globs",
			files: map[string]string{
				"sites.d/b.toml": site("b", "/s/b/", "https://b.example"),
				"sites.d/a.toml": site("a", "/s/a/", "https://a.example") + site("a2", "/s/a2/", "https://a2.example"),
				"extra/z.toml":   site("z", "/s/z/", "https://z.example"),
			},
			want: []string{`rule #1 ("main")`, `rule #1 ("z") in DIR/extra/z.toml`, `rule #1 ("a") in DIR/sites.d/a.toml`,
				`rule #2 ("a2") in DIR/sites.d/a.toml`, `rule #1 ("b") in DIR/sites.d/b.toml`},
			nfiles: 4,
		},
		{
			desc: "dotfiles (editor temporaries, ..data) and other extensions are skipped",
			files: map[string]string{
				"sites.d/a.toml":           site("a", "/s/a/", "https://a.example"),
				"sites.d/.a.toml.swp":      "garbage",
				"sites.d/.hidden.toml":     "garbage",
				"sites.d/..data/x.toml":    "garbage",
				"sites.d/a.toml~":          "garbage",
				"sites.d/..2024_01/a.toml": "garbage",
			},
			want:   []string{`rule #1 ("main")`, `rule #1 ("a") in DIR/sites.d/a.toml`},
			nfiles: 2,
		},
	} {
		t.Run(c.desc, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"rules.toml": main})
			writeFiles(t, dir, c.files)
			table, err := load(t, rules.NewLoader(readAll), dir)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			var got []string
			for _, r := range table.Rules() {
				got = append(got, strings.ReplaceAll(r.Label(), dir, "DIR"))
				if !r.Credentials() {
					t.Errorf("%s does not inherit credentials = true from [defaults]", r.Label())
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("rules:\n got %q\nwant %q", got, c.want)
			}
			if f := table.Files(); len(f) != c.nfiles || f[0].Path != filepath.Join(dir, "rules.toml") {
				t.Errorf("files: %v, want %d, main first", f, c.nfiles)
			}
		})
	}
}

func TestLoadProblemsNameTheirFile(t *testing.T) {
	for _, c := range []struct {
		desc string
		site string
		want string // first line of Describe, DIR for the directory
	}{
		{"syntax error", "[[rule]]\npaths = [\"/s/\"\n", "DIR/sites.d/a.toml:2:"},
		{"bad origin at its element", "[[rule]]\npaths = [\"/s/\"]\norigins = [\"https://ok.example\", \"ftp://x\"]\n",
			`DIR/sites.d/a.toml:3:34: rule #1 origins[1]: "ftp://x": `},
		{"version belongs to the main file", "version = 1\n" + site("a", "/s/", "https://a.example"),
			"DIR/sites.d/a.toml:1:1: version: belongs in the main rules file"},
		{"[defaults] belongs to the main file", "[defaults]\nmax_age = 10\n" + site("a", "/s/", "https://a.example"),
			"DIR/sites.d/a.toml:1:1: defaults: belongs in the main rules file"},
		{"include belongs to the main file", "include = [\"*.toml\"]\n", "DIR/sites.d/a.toml:1:1: include: belongs in the main rules file"},
		{"an empty file (being written)", "", "DIR/sites.d/a.toml: empty file"},
		{"comments alone (cut short)", "# site a\n", "DIR/sites.d/a.toml: holds no [[rule]] or [[cache]] entry"},
		{"a missing key is placed at its rule", "[[rule]]\npaths = [\"/s/\"]\n", "DIR/sites.d/a.toml:1:1: rule #1: origins is required"},
	} {
		t.Run(c.desc, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{
				"rules.toml":     "version = 1\ninclude = [\"sites.d/*.toml\"]\n" + site("main", "/m/", "https://m.example"),
				"sites.d/0.toml": site("zero", "/z/", "https://z.example"),
				"sites.d/a.toml": c.site,
			})
			_, err := load(t, rules.NewLoader(readAll), dir)
			lines := rules.Describe(err, filepath.Join(dir, "rules.toml"))
			if len(lines) == 0 || !strings.HasPrefix(strings.ReplaceAll(lines[0], dir, "DIR"), c.want) {
				t.Errorf("got %q, want a first line starting %q", lines, c.want)
			}
		})
	}
}

func TestLoadBadGlob(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"rules.toml": "version = 1\ninclude = [\"sites.d/[.toml\"]\n"})
	_, err := load(t, rules.NewLoader(readAll), dir)
	got := rules.Describe(err, "rules.toml")
	if !slices.ContainsFunc(got, func(l string) bool {
		return strings.HasPrefix(l, `rules.toml:2:12: include[0]: "sites.d/[.toml": is not a glob`)
	}) {
		t.Errorf("got %q", got)
	}
}

func TestParseRefusesInclude(t *testing.T) {
	_, err := rules.Parse([]byte("version = 1\ninclude = [\"x/*.toml\"]\n"))
	if p := rules.FirstError(err); p == nil || p.Key != "include" {
		t.Errorf("Parse with include: %v", err)
	}
}

// TestLoadIncremental holds that an edit of one included file decodes that
// file alone, and that a file whose stat is unchanged is not read again.
func TestLoadIncremental(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"rules.toml": "version = 1\ninclude = [\"sites.d/*.toml\"]\n"}
	for _, n := range []string{"a", "b", "c", "d"} {
		files["sites.d/"+n+".toml"] = site(n, "/s/"+n+"/", "https://"+n+".example")
	}
	writeFiles(t, dir, files)
	reads := 0
	l := rules.NewLoader(func(p string) ([]byte, error) { reads++; return os.ReadFile(p) })
	if _, err := load(t, l, dir); err != nil {
		t.Fatal(err)
	}
	if l.Parses() != 5 {
		t.Fatalf("first load decoded %d files, want 5", l.Parses())
	}
	for _, c := range []struct {
		desc   string
		edit   func()
		parses uint64
		rules  int
	}{
		{"nothing changed", func() {}, 0, 4},
		{"one file edited", func() {
			writeFiles(t, dir, map[string]string{"sites.d/b.toml": site("b2", "/s/b/", "https://b.example")})
		}, 1, 4},
		{"one file added", func() {
			writeFiles(t, dir, map[string]string{"sites.d/e.toml": site("e", "/s/e/", "https://e.example")})
		}, 1, 5},
		{"one file removed", func() { os.Remove(filepath.Join(dir, "sites.d/a.toml")) }, 0, 4},
		{"the main file edited", func() {
			writeFiles(t, dir, map[string]string{"rules.toml": files["rules.toml"] + "[defaults]\nmax_age = 60\n"})
		}, 1, 4},
	} {
		before := l.Parses()
		c.edit()
		table, err := load(t, l, dir)
		if err != nil {
			t.Fatalf("%s: %v", c.desc, err)
		}
		if got := l.Parses() - before; got != c.parses {
			t.Errorf("%s: %d files decoded, want %d", c.desc, got, c.parses)
		}
		if got := len(table.Rules()); got != c.rules {
			t.Errorf("%s: %d rules, want %d", c.desc, got, c.rules)
		}
	}
	table, _ := load(t, l, dir)
	for _, r := range table.Rules() {
		if r.MaxAge().Seconds() != 60 {
			t.Errorf("%s: max_age %v after the main file's [defaults] changed, want 1m", r.Label(), r.MaxAge())
		}
	}
}
