package rules

import (
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
)

// A scan is what the last complete Load found: the main file's include
// globs and the files they matched, in lexical order.
type scan struct {
	path    string
	main    *parsedFile
	include []string
	files   []*parsedFile
}

// LoadChanged is Load without verify for a caller that knows which
// included files may have changed since the last Load: changed holds
// absolute paths (a watcher's event names), and only those are stat'ed and
// read again. It falls back to a full Load when the last one left files out,
// the include globs or the directories they look in changed, or a glob has
// a wildcard in its directory part.
func (l *Loader) LoadChanged(path string, src []byte, changed []string) (*Snapshot, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	main := l.decodeMain(path, src)
	prev := l.prev
	if main.cfg == nil || prev == nil || prev.path != path || !slices.Equal(prev.include, main.cfg.include) ||
		!patchable(path, main.cfg.include) || !slices.Equal(includeDirs(path, main.cfg.include), l.dirs) {
		return l.load(path, main, false)
	}
	touched := l.touched(path, main.cfg.include, changed)
	if len(touched) == 0 {
		return l.finishPatch(path, main, prev.files, nil)
	}
	// Merge the touched names into the last scan's sorted files, in order.
	var problems []error
	rest := prev.files
	included := make([]*parsedFile, 0, len(rest)+len(touched))
	for _, name := range touched {
		i, found := slices.BinarySearchFunc(rest, name, func(f *parsedFile, name string) int {
			return strings.Compare(f.key.path, name)
		})
		included = append(included, rest[:i]...)
		var old *parsedFile
		if found {
			old, i = rest[i], i+1
		}
		rest = rest[i:]
		f, err := l.include(name, false)
		if old != nil && (err != nil || f.key != old.key) {
			delete(l.files, old.key) // the bytes it had are gone
		}
		switch {
		case errors.Is(err, fs.ErrNotExist):
			delete(l.stats, name) // removed: its rules go with it
			continue
		case err != nil:
			delete(l.stats, name)
			problems = append(problems, &Problem{File: name, Reason: readReason(err)})
			continue
		}
		included = append(included, f)
	}
	included = append(included, rest...)
	return l.finishPatch(path, main, included, problems)
}

// finishPatch is finish for LoadChanged: the files and stats kept are the
// last scan's, less what LoadChanged dropped, plus what this one read.
func (l *Loader) finishPatch(path string, main *parsedFile, included []*parsedFile, problems []error) (*Snapshot, error) {
	snap, pending := l.decodeNew(main, included)
	if old := l.prev.main; old.key != main.key {
		delete(l.files, old.key)
	}
	l.files[main.key] = main
	for _, f := range pending {
		l.files[f.key] = f
	}
	return l.seal(path, main, snap, problems)
}

// patchable reports whether every glob's directory part is literal, so
// that the files it matches are the entries of one watched directory.
func patchable(path string, patterns []string) bool {
	for _, pattern := range patterns {
		if !filepath.IsAbs(pattern) {
			pattern = filepath.Join(filepath.Dir(path), pattern)
		}
		if strings.ContainsAny(filepath.Dir(pattern), `*?[\`) {
			return false
		}
	}
	return true
}

// touched returns the names, spelled as expand spells them, that the
// include globs match among changed, each once, in lexical order.
func (l *Loader) touched(path string, patterns []string, changed []string) []string {
	self, _ := filepath.Abs(path)
	type glob struct{ dir, absDir, base string }
	globs := make([]glob, 0, len(patterns))
	for _, pattern := range patterns {
		if !filepath.IsAbs(pattern) {
			pattern = filepath.Join(filepath.Dir(path), pattern)
		}
		dir := filepath.Dir(pattern)
		abs, err := filepath.Abs(dir)
		if err != nil {
			continue
		}
		globs = append(globs, glob{dir, abs, filepath.Base(pattern)})
	}
	var out []string
	for _, name := range changed {
		if name == self {
			continue
		}
		dir, base := filepath.Dir(name), filepath.Base(name)
		for _, g := range globs {
			if g.absDir != dir {
				continue
			}
			if ok, _ := filepath.Match(g.base, base); !ok {
				continue
			}
			// expand skips dotfiles a wildcard matched (..data, .a.swp).
			if strings.HasPrefix(base, ".") && strings.ContainsAny(g.base, `*?[\`) {
				continue
			}
			out = append(out, filepath.Join(g.dir, base))
			break
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Rescan makes the next LoadChanged a full Load, for a caller whose named
// changes went unseen (the main file could not be read).
func (l *Loader) Rescan() {
	l.mu.Lock()
	l.prev = nil
	l.mu.Unlock()
}
