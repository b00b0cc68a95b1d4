package rules

import (
	"crypto/sha256"

	"corsedge/rules/internal/tomlpos"
)

// A main rules file of thousands of [[rule]] entries is decoded in
// segments, each a run of consecutive entries, kept by SHA-256 like an
// included file: an edit of one site's rule decodes its segment alone,
// where decoding the whole file took most of a reload (BurntSushi/toml's
// decoder runs at about 10 MB/s). The segments' configs, appended in order
// after the head's, are what decoding the whole file gives: each segment
// starts at a [[rule]] or [[cache]] header at the start of a line, decodes
// on its own to those entries only, and the head before them holds neither
// key, so nothing in one part can change the meaning of another. Any
// problem in any part sends the file to the whole decode, whose messages
// and positions are the ones a user sees.

// segmentSpan is the mean number of entries in a segment; maxSegmentSpan
// bounds a segment. Where a segment starts depends on the text of its
// first entry, not on a count from the top of the file, so that inserting
// or removing a site moves no boundary but its own neighbours'.
const (
	segmentSpan    = 32
	maxSegmentSpan = 8 * segmentSpan
)

// A segment is one run of [[rule]] and [[cache]] entries of a main file:
// its decode, shared by every segment of the same bytes, and its rules as
// last validated.
type segment struct {
	*decoded
	valid    segmentValidity // what rules were validated under
	rules    []*Rule
	problems []*Problem // of the last validation; a segment with any is validated again
}

// decoded is a segment's bytes, decoded.
type decoded struct {
	src []byte  // until decoded
	cfg *config // nil when the segment alone has a problem
}

// segmentValidity is what a segment's validation depends on beyond its
// bytes: the head, which holds [defaults], and the entries before it,
// which number its rules.
type segmentValidity struct {
	head [sha256.Size]byte
	base entryBase
}

// splitMain cuts src into the head, everything before its first [[rule]]
// or [[cache]], and segments of those entries. ok is false for a file too
// small to be worth it, one the header scan could not follow, or one with
// another table after the entries: all of them are decoded whole.
func splitMain(src []byte) (head []byte, segments [][]byte, ok bool) {
	headers, complete := tomlpos.Headers(src)
	if !complete {
		return nil, nil, false
	}
	first := -1
	for i, h := range headers {
		isEntry := h.Array && (h.Name == "rule" || h.Name == "cache")
		switch {
		case isEntry && first < 0:
			first = i
		case !isEntry && first >= 0:
			return nil, nil, false
		}
	}
	if first < 0 || len(headers)-first < 2*segmentSpan {
		return nil, nil, false
	}
	entries := headers[first:]
	start, n := entries[0].Line, 1
	for i := 1; i < len(entries); i++ {
		at := entries[i].Line
		end := len(src)
		if i+1 < len(entries) {
			end = entries[i+1].Line
		}
		if n >= maxSegmentSpan || startsSegment(src[at:end]) {
			segments = append(segments, src[start:at])
			start, n = at, 0
		}
		n++
	}
	segments = append(segments, src[start:])
	return src[:entries[0].Line], segments, true
}

// startsSegment reports whether the entry whose text is entry starts a
// segment: one in segmentSpan does, by an FNV-1a hash of its bytes, mixed
// by MurmurHash3's finalizer since FNV's low bits vary little between
// entries that differ in a few digits.
func startsSegment(entry []byte) bool {
	h := uint64(14695981039346656037)
	for _, b := range entry {
		h = (h ^ uint64(b)) * 1099511628211
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h%segmentSpan == 0
}

// decodeSegments decodes f, a main file, from its head and segments,
// reusing the segments l decoded before. It returns false, having set
// nothing, when f must be decoded whole: it cannot be split, or a part of
// it has a problem.
func (f *parsedFile) decodeSegments(l *Loader) bool {
	head, parts, ok := splitMain(f.src)
	if !ok {
		l.segments = nil // a file decoded whole: the last one's segments are of no use
		return false
	}
	hc := &checker{src: head}
	cfg := hc.decode(head)
	if cfg == nil || len(hc.problems) > 0 {
		return false
	}
	// rule = [] in the head would clash with the [[rule]] headers after it.
	if ix := tomlpos.Scan(head); ix.Key("", 0, "rule").Known() || ix.Key("", 0, "cache").Known() {
		return false
	}
	// Each position gets a segment of its own, to be validated under its
	// own entry numbers; the same bytes twice share one decode.
	last := l.segments
	kept := make(map[[sha256.Size]byte][]*segment, len(parts))
	byBytes := make(map[[sha256.Size]byte]*decoded, len(parts))
	segs := make([]*segment, len(parts))
	var pending []*decoded
	for i, p := range parts {
		sum := sha256.Sum256(p)
		var s *segment
		if old := last[sum]; len(old) > 0 {
			s, last[sum] = old[0], old[1:]
		} else {
			d := byBytes[sum]
			if d == nil {
				d = &decoded{src: p}
				pending = append(pending, d)
			}
			s = &segment{decoded: d}
		}
		byBytes[sum], kept[sum], segs[i] = s.decoded, append(kept[sum], s), s
	}
	inParallel(len(pending), func(i int) {
		d := pending[i]
		c := &checker{src: d.src, included: true}
		if cfg := c.decode(d.src); len(c.problems) == 0 {
			d.cfg = cfg
		}
		d.src = nil
	})
	l.segmentParses.Add(uint64(len(pending)))
	l.segments = kept
	for _, s := range segs {
		if s.cfg == nil {
			return false
		}
		cfg.cache = append(cfg.cache, s.cfg.cache...)
	}
	// cfg.rules stays empty: validateSegments validates each segment's.
	f.c, f.cfg, f.segs, f.headSum = &checker{src: f.src}, cfg, segs, sha256.Sum256(head)
	return true
}

// validateSegments validates f's segments under defaults, those of the
// head, each unless it was already at the same place after the same head
// without a problem, and returns their rules in order. Problems go to f's
// checker, placed in the whole file as validating it whole places them.
func (f *parsedFile) validateSegments(defaults settings) []*Rule {
	var pending []*segment
	var at []segmentValidity
	n, base := 0, entryBase{}
	for _, s := range f.segs {
		v := segmentValidity{head: f.headSum, base: base}
		if s.valid != v || len(s.problems) > 0 {
			pending, at = append(pending, s), append(at, v)
		}
		n += len(s.cfg.rules)
		base.rules += len(s.cfg.rules)
		base.cache += len(s.cfg.cache)
	}
	inParallel(len(pending), func(i int) {
		s := pending[i]
		c := &checker{src: f.src, base: at[i].base}
		s.rules = c.validateEntries(s.cfg, defaults)
		s.problems, s.valid = c.problems, at[i]
	})
	rules := make([]*Rule, 0, n)
	for _, s := range f.segs {
		rules = append(rules, s.rules...)
		f.c.problems = append(f.c.problems, s.problems...)
	}
	return rules
}

// SegmentParses counts the segments of main files the Loader has decoded,
// for tests and benchmarks: an edit of one rule in a long file decodes one.
func (l *Loader) SegmentParses() uint64 { return l.segmentParses.Load() }
