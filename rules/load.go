package rules

import (
	"cmp"
	"crypto/sha256"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A FileSum names one file of a loaded rule set and the SHA-256 of the
// bytes it was compiled from.
type FileSum struct {
	Path   string
	SHA256 [sha256.Size]byte
}

// A Loader loads a main rules file with the files its include globs name,
// keeping each file's parse by path and SHA-256, so that a reload after an
// edit of one file decodes that file alone. It is safe for concurrent use;
// loads run one at a time.
type Loader struct {
	read func(path string) ([]byte, error)

	mu     sync.Mutex
	files  map[fileKey]*parsedFile // the last snapshot's files
	dirs   []string                // where the last main file's globs look
	stats  map[string]fileStat     // included files by path, as last read
	prev   *scan                   // the last Load's included files, when it found them all
	parses atomic.Uint64
	statN  atomic.Uint64 // included files stat'ed, for tests

	segments      map[[sha256.Size]byte][]*segment // the last main file's, by SHA-256, in file order
	segmentParses atomic.Uint64
}

type fileKey struct {
	path string
	sum  [sha256.Size]byte
}

// fileStat is what stat(2) said of an included file when it was read: the
// same answer later means the same bytes, unless the file was written
// within the timestamp's granularity of that read (see racyWindow).
type fileStat struct {
	size    int64
	mod     time.Time
	ino     uint64
	trusted bool
	sum     [sha256.Size]byte
}

// racyWindow is how recent a file's change time may be, when it is read,
// for its stat to be trusted later: the kernel stamps times from a coarse
// clock, so a second write in the same tick, same size, would look the same
// (git's "racily clean" entries).
const racyWindow = 2 * time.Second

// NewLoader returns a Loader that reads included files with read (the
// server passes its bounded, lease-taking safefile reader).
func NewLoader(read func(path string) ([]byte, error)) *Loader {
	return &Loader{read: read, files: map[fileKey]*parsedFile{}, stats: map[string]fileStat{}}
}

// Parses counts the files the Loader has decoded, for tests and metrics.
func (l *Loader) Parses() uint64 { return l.parses.Load() }

// A Snapshot is a main rules file and its included files as one Load found
// them, ready to compile.
type Snapshot struct {
	files  []*parsedFile // main first, then included files in lexical order
	sums   []FileSum
	digest [sha256.Size]byte
}

// Files returns each file of the snapshot with its SHA-256, main first.
func (s *Snapshot) Files() []FileSum { return slices.Clone(s.sums) }

// Digest identifies the snapshot's contents: the main file's SHA-256 when
// it includes nothing, else the SHA-256 of every path and sum in order.
func (s *Snapshot) Digest() [sha256.Size]byte { return s.digest }

// Load takes src, the bytes of the main rules file at path, decodes it,
// and reads and decodes the files its include globs name now; files whose
// bytes were decoded before are not decoded again. An included file whose
// stat(2) is what it was at its last read is not read again either, unless
// verify is set. Read errors of included files are returned as Problems
// naming the file; syntax and type errors wait for Compile.
func (l *Loader) Load(path string, src []byte, verify bool) (*Snapshot, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.load(path, l.decodeMain(path, src), verify)
}

// decodeMain returns the main file at path with bytes src, decoded.
func (l *Loader) decodeMain(path string, src []byte) *parsedFile {
	sum := sha256.Sum256(src)
	main := l.cached(path, sum)
	if main == nil {
		main = &parsedFile{key: fileKey{path, sum}, src: src}
		if !main.decodeSegments(l) {
			main.decode(false)
		}
		l.parses.Add(1)
	}
	return main
}

// load is Load under the lock, with the main file decoded: every name the
// globs match is stat'ed.
func (l *Loader) load(path string, main *parsedFile, verify bool) (*Snapshot, error) {
	var included []*parsedFile
	var problems []error
	l.prev = nil
	if main.cfg != nil {
		l.dirs = includeDirs(path, main.cfg.include)
		for _, name := range expand(path, main.cfg.include) {
			f, err := l.include(name, verify)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				continue // removed since the glob: as if it had not matched
			case err != nil:
				problems = append(problems, &Problem{File: name, Reason: readReason(err)})
				continue
			}
			included = append(included, f)
		}
	}
	return l.finish(path, main, included, problems)
}

// decodeNew decodes the files of included not decoded yet, and returns the
// snapshot of main and included, and those newly decoded.
func (l *Loader) decodeNew(main *parsedFile, included []*parsedFile) (*Snapshot, []*parsedFile) {
	var pending []*parsedFile
	for _, f := range included {
		if f.c == nil {
			pending = append(pending, f)
		}
	}
	l.decodeAll(pending)
	return &Snapshot{files: append([]*parsedFile{main}, included...)}, pending
}

// finish decodes what is new among included, keeps the files and stats of
// this snapshot only, and returns it.
func (l *Loader) finish(path string, main *parsedFile, included []*parsedFile, problems []error) (*Snapshot, error) {
	snap, _ := l.decodeNew(main, included)
	files := make(map[fileKey]*parsedFile, len(snap.files))
	stats := make(map[string]fileStat, len(snap.files))
	for _, f := range snap.files {
		files[f.key] = f
		if st, ok := l.stats[f.key.path]; ok {
			stats[f.key.path] = st
		}
	}
	l.files, l.stats = files, stats
	return l.seal(path, main, snap, problems)
}

// seal returns snap with its sums and digest, or the read problems, and
// keeps its included files for LoadChanged when it has them all.
func (l *Loader) seal(path string, main *parsedFile, snap *Snapshot, problems []error) (*Snapshot, error) {
	h := sha256.New()
	snap.sums = make([]FileSum, 0, len(snap.files))
	for _, f := range snap.files {
		snap.sums = append(snap.sums, FileSum{Path: f.key.path, SHA256: f.key.sum})
		h.Write([]byte(f.key.path))
		h.Write([]byte{0})
		h.Write(f.key.sum[:])
	}
	l.prev = nil
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	// Only a complete scan can be patched: one with a read problem left
	// files out that the next event may not name.
	if main.cfg != nil {
		l.prev = &scan{path: path, main: main, include: slices.Clone(main.cfg.include), files: snap.files[1:]}
	}
	snap.digest = main.key.sum
	if len(snap.files) > 1 {
		h.Sum(snap.digest[:0])
	}
	return snap, nil
}

// Compile validates and compiles a snapshot into a table, as Parse does
// one file: on any error it returns every problem of every file, each
// naming its file, and no table.
func (l *Loader) Compile(s *Snapshot) (*Table, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, err := build(s.files)
	if t != nil {
		t.files = s.sums
	}
	return t, err
}

// Dirs returns the directories the include globs of the last main file
// loaded look in, for a watcher: a file created in one may be included.
func (l *Loader) Dirs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.dirs)
}

// includeDirs returns the directories whose entries patterns can match: each
// pattern's directory, or those its directory part matches when that has a
// wildcard too (sites/*/rules.toml), with the part before the wildcard.
func includeDirs(path string, patterns []string) []string {
	var out []string
	for _, pattern := range patterns {
		if !filepath.IsAbs(pattern) {
			pattern = filepath.Join(filepath.Dir(path), pattern)
		}
		dir := filepath.Dir(pattern)
		if !strings.ContainsAny(dir, `*?[\`) {
			out = append(out, dir)
			continue
		}
		static := dir
		for strings.ContainsAny(static, `*?[\`) {
			static = filepath.Dir(static)
		}
		out = append(out, static)
		matches, _ := filepath.Glob(dir)
		out = append(out, matches...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// cached returns the decoded file of path with bytes of sum, or nil.
func (l *Loader) cached(path string, sum [sha256.Size]byte) *parsedFile {
	return l.files[fileKey{path, sum}]
}

// include returns the included file at name, decoded already when its
// bytes were decoded before, else with its bytes for decodeAll.
func (l *Loader) include(name string, verify bool) (*parsedFile, error) {
	l.statN.Add(1)
	fi, statErr := os.Stat(name)
	if statErr != nil {
		return nil, statErr
	}
	st := statOf(fi)
	if last, ok := l.stats[name]; ok && last.trusted && !verify && st.same(last) {
		if f := l.cached(name, last.sum); f != nil {
			return f, nil
		}
	}
	src, err := l.read(name)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(src)
	// Trust the stat only if the file had not changed for a while when it
	// was stat'ed before the read: a later write then changes the times.
	st.trusted = time.Since(st.mod) > racyWindow
	st.sum = sum
	l.stats[name] = st
	if f := l.cached(name, sum); f != nil {
		return f, nil
	}
	return &parsedFile{key: fileKey{name, sum}, src: src}, nil
}

// decodeAll decodes files on every core: each file's decoding is its own.
func (l *Loader) decodeAll(files []*parsedFile) {
	inParallel(len(files), func(i int) { files[i].decode(true) })
	l.parses.Add(uint64(len(files)))
}

// inParallel calls f(i) for every i below n, on as many goroutines as
// there are cores, and returns when all calls have.
func inParallel(n int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				f(int(i))
			}
		}()
	}
	wg.Wait()
}

// readReason is a read error without the "read PATH:" the Problem's File says.
func readReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// expand returns the files the include globs of the main file at path name,
// each once, in lexical order. Globs are relative to the main file's
// directory. Names starting with a dot are skipped where a glob's wildcard
// matched them: Kubernetes' ..data and ..2024_... entries and editors'
// temporary files (.a.toml.swp) are not site files. The main file is never
// its own include.
func expand(path string, patterns []string) []string {
	dir := filepath.Dir(path)
	self, _ := filepath.Abs(path)
	seen := map[string]bool{}
	var out []string
	for _, pattern := range patterns {
		if !filepath.IsAbs(pattern) {
			pattern = filepath.Join(dir, pattern)
		}
		matches, _ := filepath.Glob(pattern) // a bad pattern is a decode problem
		for _, m := range matches {
			if seen[m] || hiddenMatch(pattern, m) {
				continue
			}
			if abs, _ := filepath.Abs(m); abs == self {
				continue
			}
			seen[m] = true
			out = append(out, m)
		}
	}
	slices.Sort(out)
	return out
}

// hiddenMatch reports whether a wildcard element of pattern matched a name
// starting with a dot in m (filepath.Glob's * matches dotfiles, unlike a shell's).
func hiddenMatch(pattern, m string) bool {
	pe := strings.Split(pattern, string(filepath.Separator))
	me := strings.Split(m, string(filepath.Separator))
	if len(pe) != len(me) {
		return false
	}
	for i := range pe {
		if strings.HasPrefix(me[i], ".") && strings.ContainsAny(pe[i], `*?[\`) {
			return true
		}
	}
	return false
}

// A parsedFile is one file decoded, and validated against the [defaults]
// it was last compiled with. It is only touched under the Loader's lock
// (or by one decodeAll worker before that).
type parsedFile struct {
	key     fileKey
	src     []byte
	c       *checker
	cfg     *config        // nil after a syntax error
	nDecode int            // problems found decoding
	faulty  map[place]bool // keys faulty after decoding

	// A long main file's segments (segments.go), and the SHA-256 of what
	// comes before them; segs is nil for a file decoded whole.
	segs    []*segment
	headSum [sha256.Size]byte

	validFor  [sha256.Size]byte // the main file's sum the rules were validated under
	validated bool
	rules     []*Rule
	problems  []*Problem // decoding and validation, in file order
}

// decode decodes the file; included files get their path on every problem.
func (f *parsedFile) decode(included bool) {
	f.c = &checker{src: f.src, included: included}
	if included {
		f.c.file = f.key.path
	}
	f.cfg = f.c.decode(f.src)
	f.nDecode = len(f.c.problems)
	f.faulty = maps.Clone(f.c.faulty)
}

// validate validates the file's entries under defaults, those of the main
// file whose sum is mainSum, unless it was already.
func (f *parsedFile) validate(main bool, defaults settings, mainSum [sha256.Size]byte) {
	if f.validated && f.validFor == mainSum {
		return
	}
	c := f.c
	c.problems = c.problems[:f.nDecode:f.nDecode]
	c.faulty = maps.Clone(f.faulty)
	f.rules = nil
	if f.cfg != nil {
		switch {
		case main && f.segs != nil:
			f.rules = f.validateSegments(c.validateDefaults(f.cfg))
		case main:
			f.rules = c.validate(f.cfg)
			// A main file is validated once, under its own [defaults]:
			// its decoded entries are not needed again.
			f.cfg.rules = nil
		default:
			f.rules = c.validateEntries(f.cfg, defaults)
		}
	}
	f.problems = slices.Clone(c.problems)
	slices.SortStableFunc(f.problems, inFileOrder)
	f.validated, f.validFor = true, mainSum
}

// build validates every file (main first) and compiles their rules, in
// order, into one table.
func build(files []*parsedFile) (*Table, error) {
	main := files[0]
	main.validate(true, settings{}, main.key.sum)
	defaults := builtinDefaults
	if main.cfg != nil {
		defaults = main.cfg.defaults.inherit(builtinDefaults)
	}
	rest := files[1:]
	inParallel(len(rest), func(i int) { rest[i].validate(false, defaults, main.key.sum) })

	var all []error
	var warnings []*Problem
	failed := false
	nRules, nCache := 0, 0
	for _, f := range files {
		for _, p := range f.problems {
			all = append(all, p)
			if p.Warning {
				warnings = append(warnings, p)
			} else {
				failed = true
			}
		}
		nRules += len(f.rules)
		if f.cfg != nil {
			nCache += len(f.cfg.cache)
		}
	}
	if nRules == 0 && main.cfg != nil && main.cfg.version == 1 {
		p := main.warning(entry{}, "", "no [[rule]]: no response will carry CORS headers")
		all, warnings = append([]error{p}, all...), append([]*Problem{p}, warnings...)
	}
	if failed {
		return nil, errors.Join(all...)
	}
	rules := make([]*Rule, 0, nRules)
	cache := make([]cacheConfig, 0, nCache)
	byFile := make(map[string]*checker, len(files))
	rank := make(map[string]int, len(files))
	for i, f := range files {
		rules = append(rules, f.rules...)
		cache = append(cache, f.cfg.cache...)
		byFile[f.c.file] = f.c
		rank[f.c.file] = i
	}
	t := compile(rules, cache)
	shadow := t.shadowWarnings(func(r *Rule) *checker { return byFile[r.file] })
	if len(shadow) > 0 {
		warnings = append(warnings, shadow...)
		slices.SortStableFunc(warnings, func(a, b *Problem) int {
			return cmp.Or(cmp.Compare(rank[a.File], rank[b.File]), inFileOrder(a, b))
		})
	}
	t.warnings = warnings
	return t, nil
}

// warning places a warning in the file without keeping it on its checker.
func (f *parsedFile) warning(at entry, key, reason string) *Problem {
	c := f.c
	before := len(c.problems)
	c.warnf(at, key, -1, "", "%s", reason)
	p := c.problems[before]
	c.problems = c.problems[:before]
	return p
}

// statOf is the part of a stat(2) answer that changes when a file's bytes do.
func statOf(fi fs.FileInfo) fileStat {
	st := fileStat{size: fi.Size(), mod: fi.ModTime()}
	st.ino, st.mod = inodeAndChange(fi, st.mod)
	return st
}

func (a fileStat) same(b fileStat) bool {
	return a.size == b.size && a.mod.Equal(b.mod) && a.ino == b.ino
}
