package rules_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"corsedge/rules"
)

// sitesDir writes the many-sites layout: a main file including sites.d/*.toml,
// one file per site, each with one rule for /s/N/ and the site's origins.
func sitesDir(tb testing.TB, n int) string {
	tb.Helper()
	dir := tb.TempDir()
	files := map[string]string{"rules.toml": "version = 1\ninclude = [\"sites.d/*.toml\"]\n"}
	for i := range n {
		files[fmt.Sprintf("sites.d/site%06d.toml", i)] = siteSrc(i, "")
	}
	writeFiles(tb, dir, files)
	return dir
}

func siteSrc(i int, extra string) string {
	return fmt.Sprintf("[[rule]]\nname = \"site%d\"\npaths = [\"/s/%d/\"]\norigins = [\"https://site%d.example\", \"https://*.site%d.example\"%s]\n", i, i, i, i, extra)
}

// BenchmarkLoadSites is start-up: every site file read, decoded, validated
// and compiled into one table.
func BenchmarkLoadSites(b *testing.B) {
	for _, n := range []int{10000} {
		b.Run(fmt.Sprintf("sites=%d", n), func(b *testing.B) {
			dir := sitesDir(b, n)
			for b.Loop() {
				table, err := load(b, rules.NewLoader(readAll), dir)
				if err != nil || len(table.Rules()) != n {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReloadOneSite is a reload after one site file was replaced (a
// new inode, as a rename gives): stat every file, read and decode the new
// one, rebuild the table; named=true is LoadChanged given the file's name,
// as the watcher gives it. compile-ms is Compile alone.
func BenchmarkReloadOneSite(b *testing.B) {
	for _, n := range []int{10000} {
		for _, named := range []bool{false, true} {
			b.Run(fmt.Sprintf("sites=%d/named=%v", n, named), func(b *testing.B) {
				dir := sitesDir(b, n)
				l := rules.NewLoader(readAll)
				if _, err := load(b, l, dir); err != nil {
					b.Fatal(err)
				}
				main := filepath.Join(dir, "rules.toml")
				src := readFile(b, main)
				var compile int64
				for i := 0; b.Loop(); i++ {
					b.StopTimer()
					name := filepath.Join(dir, fmt.Sprintf("sites.d/site%06d.toml", i%n))
					tmp := filepath.Join(dir, "sites.d", ".tmp")
					if err := os.WriteFile(tmp, []byte(siteSrc(i%n, fmt.Sprintf(", \"https://v%d.example\"", i))), 0o644); err != nil {
						b.Fatal(err)
					}
					if err := os.Rename(tmp, name); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					before := l.Parses()
					var snap *rules.Snapshot
					var err error
					if named { // the watcher named the file: LoadChanged
						abs, _ := filepath.Abs(name)
						snap, err = l.LoadChanged(main, src, []string{abs})
					} else {
						snap, err = l.Load(main, src, false)
					}
					if err != nil {
						b.Fatal(err)
					}
					start := testingNow()
					table, err := l.Compile(snap)
					compile += testingSince(start)
					if err != nil || len(table.Rules()) != n {
						b.Fatal(err)
					}
					if l.Parses()-before != 1 {
						b.Fatalf("%d files decoded, want 1", l.Parses()-before)
					}
				}
				b.ReportMetric(float64(compile)/float64(b.N)/1e6, "compile-ms")
			})
		}
	}
}

// BenchmarkReloadOneRuleInFile is a reload after one site's rule was
// edited in a single rules.toml of 10,000: the file is read whole, but only
// the segment holding the edited rule is decoded again. decode-ms is Load
// alone (split, hash, decode), compile-ms is Compile.
func BenchmarkReloadOneRuleInFile(b *testing.B) {
	const n = 10000
	sites := make([]string, n)
	for i := range sites {
		sites[i] = siteSrc(i, "")
	}
	file := func() []byte { return []byte("version = 1\n\n" + strings.Join(sites, "\n")) }
	main := filepath.Join(b.TempDir(), "rules.toml")
	l := rules.NewLoader(readAll)
	snap, err := l.Load(main, file(), false)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := l.Compile(snap); err != nil {
		b.Fatal(err)
	}
	var decode, compile int64
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		sites[i*7919%n] = siteSrc(i*7919%n, fmt.Sprintf(", \"https://v%d.example\"", i))
		src := file()
		before := l.SegmentParses()
		b.StartTimer()
		start := testingNow()
		snap, err := l.Load(main, src, false)
		decode += testingSince(start)
		if err != nil {
			b.Fatal(err)
		}
		start = testingNow()
		table, err := l.Compile(snap)
		compile += testingSince(start)
		if err != nil || len(table.Rules()) != n {
			b.Fatal(err)
		}
		// One, or two when the edit moved a segment's start.
		if got := l.SegmentParses() - before; got < 1 || got > 2 {
			b.Fatalf("%d segments decoded, want 1 or 2", got)
		}
	}
	b.ReportMetric(float64(decode)/float64(b.N)/1e6, "decode-ms")
	b.ReportMetric(float64(compile)/float64(b.N)/1e6, "compile-ms")
}

// BenchmarkTableMemory reports the heap a compiled table holds per rule
// (runtime.MemStats after GC), the source bytes and the parse dropped.
func BenchmarkTableMemory(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			var b2 strings.Builder
			b2.WriteString("version = 1\n")
			for i := range n {
				b2.WriteString(siteSrc(i, ""))
			}
			src := []byte(b2.String())
			var perRule float64
			for b.Loop() {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				table := mustParse(b, src)
				runtime.GC()
				runtime.ReadMemStats(&after)
				perRule = float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
				runtime.KeepAlive(table)
			}
			b.ReportMetric(perRule, "B/rule")
		})
	}
}

// BenchmarkMatchSites decides over a table of 10,000 site rules, with
// origins spread over every site and its subdomains, one in ten refused.
func BenchmarkMatchSites(b *testing.B) {
	const n = 10000
	var src strings.Builder
	src.WriteString("version = 1\n")
	for i := 1; i <= n; i++ { // sites 1 to 10,000, as the bench's fixture: 4 and 5 digits
		src.WriteString(siteSrc(i, ""))
	}
	table := mustParse(b, []byte(src.String()))
	type req struct{ origin, path []byte }
	reqs := make([]req, 4096)
	for i := range reqs {
		site := (i*7919)%n + 1
		o := fmt.Sprintf("https://site%d.example", site)
		switch {
		case i%10 == 9:
			o = fmt.Sprintf("https://site%d.example", (site+1)%n) // another site's origin: refused
		case i%2 == 1:
			o = fmt.Sprintf("https://www.site%d.example", site)
		}
		reqs[i] = req{[]byte(o), []byte(fmt.Sprintf("/s/%d/font.woff2", site))}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r := reqs[i%len(reqs)]
		table.Match(r.origin, r.path)
		i++
	}
}
