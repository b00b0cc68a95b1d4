package assets

// Stats are what the in-memory set did since start and holds now, for
// metrics. Hits and misses count GET and HEAD requests for a file name.
type Stats struct {
	Hits      uint64 // answered from memory
	Misses    uint64 // not held in memory: read in, streamed from disk, or absent
	Loads     uint64 // files read into memory
	Rechecks  uint64 // files held in memory stat'ed for changes (see Options.Revalidate)
	Entries   int    // files held now
	Bytes     int64  // bytes held now, sidecars, generated codings and per-entry overhead included
	MaxMemory int64  // the bound on Bytes (Options.MaxMemory)
}

// Stats returns the in-memory set's counters and the current release's size.
func (s *Server) Stats() Stats {
	c := s.cur.Load().cache
	c.mu.RLock()
	entries, bytes := len(c.ring), c.bytes
	c.mu.RUnlock()
	return Stats{
		Hits:      s.hits.Load(),
		Misses:    s.misses.Load(),
		Loads:     s.loaded.Load(),
		Rechecks:  s.rechecks.Load(),
		Entries:   entries,
		Bytes:     bytes,
		MaxMemory: s.maxMemory,
	}
}
