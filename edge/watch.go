package edge

import "corsedge/internal/watch"

// newRulesWatch starts watching the rules file, the directories of its
// include globs, and every certificate and key file, through one watcher. Serve calls it before serving, so no edit
// made once the server is up goes unseen.
func (s *Server) newRulesWatch() *watch.Watcher {
	paths := []string{s.cfg.RulesFile}
	if s.cfg.Certificates != nil {
		for _, p := range s.cfg.Certificates.Pairs() {
			paths = append(paths, p.CertFile, p.KeyFile)
		}
	}
	w := watch.New(paths, watch.Options{
		Quiet: s.cfg.Debounce, Poll: s.cfg.Poll, Logger: s.log,
	})
	w.WatchDirs(s.loader.Dirs()) // every directory an include glob looks in
	s.watcher.Store(w)
	return w
}

// filesChanged reloads the rules and the certificates when the watch says
// they may have changed; each skips what is unchanged.
func (s *Server) filesChanged(c watch.Cause) {
	if c == watch.Poll {
		s.Reload(TriggerPoll)
		return
	}
	// The names events gave in include directories: the reload stats and
	// reads those site files alone, unless the watch says any may have changed.
	var changed []string
	named := false
	if w := s.watcher.Load(); w != nil {
		var all bool
		changed, all = w.Changes()
		named = !all
	}
	s.loadChanged(TriggerFSNotify, changed, named) // the outcome is kept for /status and the metrics
	s.reloadCertificates(TriggerFSNotify)
}
