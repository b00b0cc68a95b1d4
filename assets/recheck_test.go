package assets

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// recheck finds the version open and state find, for a plain file, one
// reached through a symlink and a missing one; and a different version once
// the file is replaced.
func TestRecheckMatchesState(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "s/1"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "s/1/font.woff2"), []byte("font"), 0o644))
	must(os.Symlink("1", filepath.Join(dir, "s/2")))
	tr, err := openDisk(dir)
	must(err)
	defer tr.close()
	for _, name := range []string{"s/1/font.woff2", "s/2/font.woff2", "s/3/font.woff2"} {
		if got, want := tr.recheck(name, ""), tr.state(name); got != want {
			t.Errorf("%s: recheck %+v, state %+v", name, got, want)
		}
	}
	f, v, err := tr.open("s/1/font.woff2", nil)
	must(err)
	f.Close()
	if got := tr.recheck("s/1/font.woff2", ""); got != v {
		t.Errorf("recheck %+v, open's version %+v", got, v)
	}
	tmp := filepath.Join(dir, "s/1/new")
	must(os.WriteFile(tmp, []byte("font"), 0o644))
	must(os.Rename(tmp, filepath.Join(dir, "s/1/font.woff2")))
	if got := tr.recheck("s/1/font.woff2", ""); got == v {
		t.Errorf("recheck after a rename over the file: the old version %+v", got)
	}
}

// TestRecheckAllocs: the re-check of a file held in memory, and of its
// sidecars' names, allocates nothing on Linux (every watched file's every
// 10 s, every unwatched one's every 500 ms).
func TestRecheckAllocs(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("recheck is state off Linux, which allocates its path")
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "s/1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "s/1/a.css"), []byte("a{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	tr, err := openDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.close()
	if tr.recheck("s/1/a.css", "") == absent {
		t.Fatal("the file is not found")
	}
	for _, suffix := range sidecarSuffix {
		if allocs := testing.AllocsPerRun(100, func() { tr.recheck("s/1/a.css", suffix) }); allocs != 0 {
			t.Errorf("recheck with suffix %q: %v allocations, want 0", suffix, allocs)
		}
	}
}
