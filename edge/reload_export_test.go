package edge

import "corsedge/internal/safefile"

// SetRulesReader replaces s's rules reader, for tests that need a
// filesystem that stalls.
func SetRulesReader(s *Server, opt safefile.Options) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	s.rulesReader = safefile.New(opt)
	s.decided = 0 // the new reader counts its reads from 1
}

// Parses counts the rules files s has decoded, included ones too.
func Parses(s *Server) uint64 { return s.loader.Parses() }
