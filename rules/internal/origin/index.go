package origin

import "strings"

// MaxLen bounds the work for one Origin. The longest serialized origin
// is "https://" + a 253-byte host + ":65535", 267 bytes; anything longer is
// malformed and can only match Any.
const MaxLen = 512

// Index maps patterns to priorities; Lookup returns the smallest priority
// among the patterns that match a request Origin. A zero Index is empty and
// ready to use. Add must not run concurrently with Lookup; once built, an
// Index is safe for concurrent Lookups.
type Index struct {
	byScheme  [2]schemeIndex // indexed by schemeID: http, https
	anyOrigin minPrio        // "*"
	null      minPrio        // "null"
}

// schemeIndex holds one scheme's patterns, keyed by substrings of the
// serialized origin, so that a Lookup needs map probes only, never a scan.
type schemeIndex struct {
	exact        map[string]int // "host[:port]" of scheme://host[:port]
	exactAnyPort map[string]int // "host" of scheme://host:*
	wild         map[string]int // "suffix[:port]" of scheme://*.suffix[:port]
	wildAnyPort  map[string]int // "suffix" of scheme://*.suffix:*
	wildLabels   int            // the most labels in a wildcard suffix: deeper ones need no probe
}

// minPrio is the smallest priority seen so far, if any.
type minPrio struct {
	prio int
	ok   bool
}

// add records prio.
func (m *minPrio) add(prio int) {
	if !m.ok || prio < m.prio {
		m.prio, m.ok = prio, true
	}
}

// addMap records prio for key.
func addMap(m *map[string]int, key string, prio int) {
	if *m == nil {
		*m = make(map[string]int)
	}
	if old, found := (*m)[key]; !found || prio < old {
		(*m)[key] = prio
	}
}

// Add registers p with priority prio; a pattern added twice keeps the
// smaller priority. p must come from ParsePattern.
func (ix *Index) Add(p Pattern, prio int) {
	switch p.kind {
	case Any:
		ix.anyOrigin.add(prio)
	case Null:
		ix.null.add(prio)
	default:
		id, ok := schemeID(p.scheme)
		if !ok {
			panic("origin: Index.Add of a Pattern not made by ParsePattern")
		}
		t := &ix.byScheme[id]
		addMap(t.mapFor(p), p.keyFor(), prio)
		if p.kind == Wildcard {
			t.wildLabels = max(t.wildLabels, strings.Count(p.host, ".")+1)
		}
	}
}

// mapFor returns the map that holds patterns of p's shape.
func (t *schemeIndex) mapFor(p Pattern) *map[string]int {
	switch {
	case p.kind == Wildcard && p.anyPort:
		return &t.wildAnyPort
	case p.kind == Wildcard:
		return &t.wild
	case p.anyPort:
		return &t.exactAnyPort
	}
	return &t.exact
}

// keyFor is p's key in the map mapFor returns: the part of a matching
// origin after "scheme://" (or after "scheme://label." for wildcards),
// without the port when any port matches.
func (p Pattern) keyFor() string {
	if p.anyPort {
		return p.host
	}
	return p.hostPort()
}

func schemeID(scheme string) (int, bool) {
	switch scheme {
	case "http":
		return 0, true
	case "https":
		return 1, true
	}
	return 0, false
}
