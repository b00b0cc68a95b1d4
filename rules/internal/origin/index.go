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
//
// Most indexes hold a site's few patterns, so up to smallMax of them are a
// slice, scanned; past that they move to maps, so that a Lookup needs map
// probes only, never a long scan.
type Index struct {
	small      []smallKey    // every scheme://host pattern, while there are at most smallMax
	big        *[2]shapeMaps // every scheme://host pattern, indexed by schemeID, once there are more
	shapes     [2]uint8      // by schemeID: bit 1<<shape set when a pattern of that shape is present
	wildLabels [2]uint16     // by schemeID: the most labels in a wildcard suffix: deeper ones need no probe
	anyOrigin  minPrio       // "*"
	null       minPrio       // "null"
}

// smallMax is the most scheme://host patterns an Index scans: a scan of a
// few short keys costs less than hashing the probe key.
const smallMax = 8

// A shape is which part of a serialized origin a pattern's key is.
type shape uint8

const (
	exactShape        shape = iota // "host[:port]" of scheme://host[:port]
	exactAnyPortShape              // "host" of scheme://host:*
	wildShape                      // "suffix[:port]" of scheme://*.suffix[:port]
	wildAnyPortShape               // "suffix" of scheme://*.suffix:*
	wildShapes        = 1<<wildShape | 1<<wildAnyPortShape
)

// shapeMaps holds one scheme's patterns, one map per shape.
type shapeMaps [4]map[string]int

// smallKey is one pattern of a small Index.
type smallKey struct {
	key    string
	prio   int32 // an Index with a larger priority uses the maps
	scheme uint8
	shape  shape
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
		sh := p.shape()
		ix.shapes[id] |= 1 << sh
		if p.kind == Wildcard {
			ix.wildLabels[id] = max(ix.wildLabels[id], uint16(strings.Count(p.host, ".")+1))
		}
		ix.addKey(id, sh, p.keyFor(), prio)
	}
}

// addKey records key in the slice or, past smallMax keys (or a priority
// past int32), in the maps.
func (ix *Index) addKey(id int, sh shape, key string, prio int) {
	if ix.big == nil && prio == int(int32(prio)) {
		for i := range ix.small {
			if o := &ix.small[i]; int(o.scheme) == id && o.shape == sh && o.key == key {
				o.prio = min(o.prio, int32(prio))
				return
			}
		}
		if len(ix.small) < smallMax {
			ix.small = append(ix.small, smallKey{key: key, prio: int32(prio), scheme: uint8(id), shape: sh})
			return
		}
	}
	if ix.big == nil {
		ix.big = new([2]shapeMaps)
		for _, o := range ix.small {
			addMap(&ix.big[o.scheme][o.shape], o.key, int(o.prio))
		}
		ix.small = nil
	}
	addMap(&ix.big[id][sh], key, prio)
}

// shape is the shape of p's key.
func (p Pattern) shape() shape {
	switch {
	case p.kind == Wildcard && p.anyPort:
		return wildAnyPortShape
	case p.kind == Wildcard:
		return wildShape
	case p.anyPort:
		return exactAnyPortShape
	}
	return exactShape
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
