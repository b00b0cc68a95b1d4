package assets

import (
	"embed"
	"io/fs"
	"os"
	"path"
	"slices"
	"time"
)

// demoFiles is the set served when no root is given: a font (Font Awesome 4.7,
// SIL OFL 1.1, licence beside it), a stylesheet using it and a script, with
// precompressed sidecars made by `brotli -q 11`, `zstd -19` and `gzip -9`.
//
//go:embed demo
var demoFiles embed.FS

// openDemo returns the embedded set as a tree, and its files for Files.
func openDemo() (*tree, []string, error) {
	fsys, err := fs.Sub(demoFiles, "demo")
	if err != nil {
		return nil, nil, err
	}
	var files []string
	err = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && !isSidecar(name) {
			files = append(files, name)
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	slices.Sort(files)
	return &tree{fsys: fsys, epoch: buildTime()}, files, nil
}

// isSidecar reports whether name is a precompressed copy of another file.
func isSidecar(name string) bool {
	ext := path.Ext(name)
	return slices.Contains(sidecarSuffix[:encIdentity], ext)
}

// buildTime stands for the embedded files' modification time: the binary's
// own, so Last-Modified and ETags hold across restarts and change with a
// rebuild, which is when embedded content can change.
func buildTime() time.Time {
	if exe, err := os.Executable(); err == nil {
		if fi, err := os.Stat(exe); err == nil {
			return fi.ModTime()
		}
	}
	return time.Now()
}
