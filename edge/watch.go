package edge

import "corsedge/internal/watch"

// newRulesWatch starts watching the rules file. Run calls it before
// serving, so no edit made once the server is up goes unseen.
func (s *Server) newRulesWatch() *watch.Watcher {
	return watch.New([]string{s.cfg.RulesFile}, watch.Options{
		Quiet: s.cfg.Debounce, Poll: s.cfg.Poll, Logger: s.log,
	})
}

// rulesChanged reloads the rules when the watch says they may have changed.
func (s *Server) rulesChanged(c watch.Cause) {
	if c == watch.Poll {
		s.Reload(TriggerPoll)
		return
	}
	s.Reload(TriggerFSNotify)
}
