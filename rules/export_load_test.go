package rules

// Stats counts the included files l has stat'ed.
func (l *Loader) Stats() uint64 { return l.statN.Load() }
