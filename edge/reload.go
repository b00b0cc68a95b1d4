package edge

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"corsedge/rules"
)

// ErrUnchanged is returned by Reload when the rules file holds the bytes
// already read: nothing is parsed or swapped.
var ErrUnchanged = errors.New("rules file unchanged")

// reloadOutcome is what the last reload that read new bytes left behind.
type reloadOutcome struct {
	sum [sha256.Size]byte // of the bytes read, good or bad
	err error             // nil when they were loaded
	at  time.Time
}

// Reload reads the rules file once, then parses, validates and compiles a
// complete new table and swaps it in with a new decision cache. On any
// failure the current table keeps serving and the error is kept for /status
// and /metrics. Every trigger (fsnotify, SIGHUP, admin, poll) comes here; one
// reload decides at a time, and a file still open for writing is not read.
// It returns ErrUnchanged when the bytes are those read last time, whatever
// came of them then. The certificate pairs are reloaded too, each on its
// own (see reloadCertificates); the result is the rules'.
func (s *Server) Reload(trigger Trigger) error {
	err := s.load(trigger)
	s.reloadCertificates(trigger)
	return err
}

// load is the one path from the rules file to the table in service, for
// New (TriggerStart) and every reload alike: read, parse, install.
func (s *Server) load(trigger Trigger) error { return s.loadChanged(trigger, nil, false) }

// loadChanged is load told by the watcher which included files may have
// changed, when named is set: only those are looked at (rules.LoadChanged).
func (s *Server) loadChanged(trigger Trigger, changed []string, named bool) (err error) {
	began := monotime()
	defer func() {
		if !errors.Is(err, ErrUnchanged) {
			s.metrics.reloadDuration.Update(float64(monotime()-began) / float64(time.Second))
		}
	}()
	// The read waits at most the reader's timeout, with no lock held: a
	// FIFO, a stalled NFS server or a writer that holds the file open can
	// delay this reload, never the next one, /status or shutdown.
	c, err := s.rulesReader.Read(s.cfg.RulesFile)
	// The included files are read and decoded before the lock too, on the
	// loader's own; only files whose bytes are new are decoded, and a poll
	// reads every file whatever its stat says.
	var snap *rules.Snapshot
	switch {
	case err != nil && named:
		s.loader.Rescan() // the names are spent: the next load looks at every file
	case err != nil:
	case named:
		snap, err = s.loader.LoadChanged(s.cfg.RulesFile, c.Data, changed)
	default:
		snap, err = s.loader.Load(s.cfg.RulesFile, c.Data, trigger == TriggerPoll)
	}
	defer s.watchIncludes()
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if c.Seq <= s.decided {
		// A read that began after this one has been decided already: its
		// bytes are at least as new as these.
		s.metrics.countReload(trigger, resultUnchanged)
		return ErrUnchanged
	}
	s.decided = c.Seq
	if err != nil {
		return s.reloadFailed(trigger, [sha256.Size]byte{}, err)
	}
	if c.Unguarded != nil && !s.unguarded.Swap(true) {
		s.log.Warn("the rules file is read without a lease, so a writer that still holds it open is not waited for; "+
			"write a temporary file in the same directory and rename it into place", "file", s.cfg.RulesFile, "reason", c.Unguarded)
	}
	// One digest covers the main file and every included one: the main
	// file's SHA-256 when it includes nothing.
	sum := snap.Digest()
	if last := s.lastReload(); last.sum == sum && !last.at.IsZero() {
		s.metrics.countReload(trigger, resultUnchanged)
		return ErrUnchanged
	}
	if st := s.state.Load(); st != nil && st.sum == sum {
		// Back to the bytes of the table in service after a failed reload
		// (a broken edit undone, a FIFO replaced by the file): nothing to
		// swap, but the failure no longer stands.
		s.outcome.Store(&reloadOutcome{sum: sum, at: time.Now()})
		s.metrics.countReload(trigger, resultUnchanged)
		s.log.Info("rules file holds the table in service again", "trigger", trigger,
			"file", s.cfg.RulesFile, "generation", st.generation)
		return ErrUnchanged
	}
	table, err := s.loader.Compile(snap)
	if err != nil {
		return s.reloadFailed(trigger, sum, err)
	}
	if err := s.admit(trigger, table, sum); err != nil { // the reload guard (guard.go)
		return err
	}
	generation := uint64(1)
	if old := s.state.Load(); old != nil {
		generation = old.generation + 1
	}
	st := s.install(table, sum, generation)
	s.outcome.Store(&reloadOutcome{sum: sum, at: st.loadedAt})
	s.metrics.countReload(trigger, resultSuccess)
	s.log.Info("rules loaded", "trigger", trigger, "file", s.cfg.RulesFile,
		"generation", st.generation, "rules", len(table.Rules()), "files", len(table.Files()), "sha256", fmt.Sprintf("%x", sum))
	for _, w := range table.Warnings() {
		file := s.cfg.RulesFile
		if w.File != "" {
			file = w.File
		}
		s.log.Warn("rules warning", "file", file, "problem", w.Error())
	}
	return nil
}

// reloadFailed records a failed reload; the current table stays. At start
// there is none: New returns the error for main to print as check does.
func (s *Server) reloadFailed(trigger Trigger, sum [sha256.Size]byte, err error) error {
	s.metrics.countReload(trigger, resultFailure)
	if trigger == TriggerStart {
		return err
	}
	s.outcome.Store(&reloadOutcome{sum: sum, err: err, at: time.Now()})
	s.log.Error("rules reload failed; the previous table keeps serving",
		"trigger", trigger, "file", s.cfg.RulesFile, "error", errorText(err))
	return err
}

// install makes table the one that answers, with a fresh decision cache.
func (s *Server) install(table *rules.Table, sum [sha256.Size]byte, generation uint64) *state {
	st := &state{
		table:      table,
		cache:      newDecisionCache(s.cfg.CacheSize, &s.metrics.cache),
		sum:        sum,
		generation: generation,
		loadedAt:   time.Now(),
	}
	if old := s.state.Swap(st); old != nil {
		s.traffic.retire(old.cache) // its counts outlive it (traffic.go)
	}
	return st
}

// readIncluded reads an included rules file as the main one is read:
// bounded in size and time, regular files only, never while a writer holds
// it open.
func (s *Server) readIncluded(path string) ([]byte, error) {
	c, err := s.rulesReader.Read(path)
	return c.Data, err
}

// watchIncludes points the watch at the directories the include globs look
// in now, once Serve watches: a reload re-evaluates them.
func (s *Server) watchIncludes() {
	if w := s.watcher.Load(); w != nil {
		w.WatchDirs(s.loader.Dirs())
	}
}

// lastReload returns the outcome of the last reload that read new bytes.
func (s *Server) lastReload() reloadOutcome {
	if o := s.outcome.Load(); o != nil {
		return *o
	}
	return reloadOutcome{}
}

// errorText is every problem of a rules error, one a line, as `corsedge
// check` prints them but without the file name, which the log and /status
// carry beside it.
func errorText(err error) string { return strings.Join(rules.Describe(err, ""), "\n") }
