package origin

// Lookup returns the smallest priority among the patterns that match origin,
// the request's Origin header value. It does not allocate, and its cost
// depends on the length of origin, never on the number of patterns.
//
// Origins are compared byte for byte with the form browsers serialize them
// in (RFC 6454 §6.1, Fetch "byte-serializing a request origin"): one that is
// not in that form (uppercase, default port spelled out, path, userinfo,
// trailing dot, ...) matches only Any. An empty origin matches nothing: a
// missing Origin header is the caller's case, not Any's.
func (ix *Index) Lookup(origin []byte) (prio int, ok bool) {
	if len(origin) == 0 {
		return 0, false
	}
	best := ix.anyOrigin
	if len(origin) > MaxLen {
		return best.prio, best.ok
	}
	if string(origin) == "null" {
		best.consider(ix.null)
		return best.prio, best.ok
	}
	if id, hostPort, ok := cutScheme(origin); ok {
		ix.lookup(&best, id, hostPort)
	}
	return best.prio, best.ok
}

// defaultPorts is indexed by schemeID.
var defaultPorts = [...]uint16{80, 443}

// cutScheme splits a serialized origin after "http://" or "https://".
func cutScheme(origin []byte) (id int, hostPort []byte, ok bool) {
	switch {
	case len(origin) > 8 && string(origin[:8]) == "https://":
		return 1, origin[8:], true
	case len(origin) > 7 && string(origin[:7]) == "http://":
		return 0, origin[7:], true
	}
	return 0, nil, false
}

// lookup adds to best the priorities of the patterns of scheme id matching
// hostPort. Exact keys are serialized origins, so a plain probe refuses
// every malformed origin; the other shapes compare only part of it, so they
// need the rest checked first. The two forms of an index have a copy each
// of this walk, so that every probe is inlined.
func (ix *Index) lookup(best *minPrio, id int, hostPort []byte) {
	shapes, most := ix.shapes[id], int(ix.wildLabels[id])
	if ix.big != nil {
		ix.big[id].lookup(best, hostPort, shapes, most, defaultPorts[id])
		return
	}
	small := ix.small
	scan(best, small, id, exactShape, hostPort)
	host, ok := partialHost(hostPort, shapes, defaultPorts[id])
	if !ok {
		return
	}
	scan(best, small, id, exactAnyPortShape, host)
	if shapes&wildShapes == 0 || checkHostname(host) != "" {
		return
	}
	// Probe each proper suffix that starts at a label boundary, from the
	// right, up to the deepest wildcard suffix, so that a host of many
	// labels costs no more probes than the table needs. host[0] is not a
	// dot, so at least one label precedes each suffix: the apex is never
	// matched, nor "evilexample.com" (no boundary before "example").
	for i, labels := len(host)-1, 0; i > 0 && labels < most; i-- {
		if host[i] == '.' {
			labels++
			scan(best, small, id, wildShape, hostPort[i+1:])
			scan(best, small, id, wildAnyPortShape, host[i+1:])
		}
	}
}

// lookup is Index.lookup over maps, one probe per key.
func (m *shapeMaps) lookup(best *minPrio, hostPort []byte, shapes uint8, most int, defaultPort uint16) {
	best.probe(m[exactShape], hostPort)
	host, ok := partialHost(hostPort, shapes, defaultPort)
	if !ok {
		return
	}
	best.probe(m[exactAnyPortShape], host)
	if shapes&wildShapes == 0 || checkHostname(host) != "" {
		return
	}
	for i, labels := len(host)-1, 0; i > 0 && labels < most; i-- { // as in Index.lookup
		if host[i] == '.' {
			labels++
			best.probe(m[wildShape], hostPort[i+1:])
			best.probe(m[wildAnyPortShape], host[i+1:])
		}
	}
}

// partialHost returns the host of hostPort for the shapes that match on part
// of an origin, and false when there are none or its port rules them out.
func partialHost(hostPort []byte, shapes uint8, defaultPort uint16) ([]byte, bool) {
	if shapes&^(1<<exactShape) == 0 {
		return nil, false
	}
	host, port, hasPort := splitHostPort(hostPort)
	if hasPort {
		// Browsers omit the default port (RFC 6454 §6.1), so one spelled
		// out marks a forged or hand-made Origin.
		if n, reason := parsePort(port); reason != "" || n == defaultPort {
			return nil, false
		}
	}
	return host, true
}

// probe considers the priority prios holds for key, if any.
// prios[string(key)] does not allocate.
func (m *minPrio) probe(prios map[string]int, key []byte) {
	if prio, ok := prios[string(key)]; ok {
		m.add(prio)
	}
}

// scan is probe over the slice of a small index, whose keys are distinct.
func scan(best *minPrio, small []smallKey, id int, sh shape, key []byte) {
	for i := range small {
		if k := &small[i]; k.shape == sh && int(k.scheme) == id && k.key == string(key) {
			best.add(int(k.prio))
			return
		}
	}
}

// consider folds another minPrio into m.
func (m *minPrio) consider(o minPrio) {
	if o.ok {
		m.add(o.prio)
	}
}
