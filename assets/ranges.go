package assets

import (
	"strconv"

	"corsedge/internal/httpsyntax"
)

// maxRangeLen bounds the Range field parsed: one range-spec of two 19-digit
// positions fits many times over, and longer fields (range lists) are ignored.
const maxRangeLen = 128

// rangeSpec is one byte-range-spec (RFC 9110 §14.1.2): first-last, first- (last
// is -1) or the suffix -length (first is -1, last is the length).
type rangeSpec struct {
	first, last int64
}

// parseRange parses a Range field holding exactly one byte range. ok is false
// for anything else: another unit, bad syntax, last < first, or several ranges.
// Those are served as a whole 200 (RFC 9110 §14.2 lets a server ignore Range);
// sending one part of a multi-range request as 206 would answer a question the
// client did not ask, and multipart/byteranges is not worth it for assets.
func parseRange(b []byte) (r rangeSpec, ok bool) {
	if len(b) > maxRangeLen {
		return r, false
	}
	unit, set := httpsyntax.Cut(b, '=')
	if !httpsyntax.EqualFold(unit, "bytes") { // range units are case-insensitive (§14.1)
		return r, false
	}
	found := false
	for len(set) > 0 { // empty list elements are allowed (RFC 9110 §5.6.1.2)
		var elem []byte
		elem, set = httpsyntax.Cut(set, ',')
		if elem = httpsyntax.TrimOWS(elem); len(elem) == 0 {
			continue
		}
		if found {
			return r, false
		}
		if r, ok = parseRangeSpec(elem); !ok {
			return r, false
		}
		found = true
	}
	return r, found
}

// parseRangeSpec parses "first-last", "first-" or "-suffix".
func parseRangeSpec(b []byte) (r rangeSpec, ok bool) {
	first, last := httpsyntax.Cut(b, '-')
	if len(b) == len(first) { // no '-'
		return r, false
	}
	if len(first) == 0 {
		r.first = -1
		r.last, ok = parsePos(last)
		return r, ok
	}
	if r.first, ok = parsePos(first); !ok {
		return r, false
	}
	if len(last) == 0 {
		r.last = -1
		return r, true
	}
	if r.last, ok = parsePos(last); !ok || r.last < r.first {
		return r, false
	}
	return r, true
}

// parsePos parses 1*DIGIT, saturating at the largest int64: no file is that
// long, so a saturated position still compares correctly with the size.
func parsePos(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (1<<63-1-d)/10 {
			n = 1<<63 - 1
			continue
		}
		n = n*10 + d
	}
	return n, true
}

// rangeOutcome is what a range request gets for a representation of a size.
type rangeOutcome uint8

const (
	rangeWhole         rangeOutcome = iota // 200 with the whole body
	rangePartial                           // 206 with [start, start+length)
	rangeUnsatisfiable                     // 416 with Content-Range: bytes */size
)

// resolve applies r to a representation of size bytes (RFC 9110 §14.1.2). A
// suffix longer than the body means the whole body; last beyond the end is cut
// to the end. The only satisfiable range of an empty body, a non-zero suffix,
// is the empty body itself, which a 206 cannot describe: it gets a whole 200.
func (r rangeSpec) resolve(size int64) (start, length int64, out rangeOutcome) {
	if r.first < 0 {
		if r.last == 0 {
			return 0, 0, rangeUnsatisfiable
		}
		if size == 0 {
			return 0, 0, rangeWhole
		}
		length = min(r.last, size)
		return size - length, length, rangePartial
	}
	if r.first >= size {
		return 0, 0, rangeUnsatisfiable
	}
	last := size - 1
	if r.last >= 0 && r.last < last {
		last = r.last
	}
	return r.first, last - r.first + 1, rangePartial
}

// appendContentRange appends a Content-Range value (RFC 9110 §14.4): the
// satisfied range "bytes first-last/size", or "bytes */size" when length is 0.
func appendContentRange(dst []byte, start, length, size int64) []byte {
	dst = append(dst, "bytes "...)
	if length == 0 {
		dst = append(dst, '*')
	} else {
		dst = strconv.AppendInt(dst, start, 10)
		dst = append(dst, '-')
		dst = strconv.AppendInt(dst, start+length-1, 10)
	}
	dst = append(dst, '/')
	return strconv.AppendInt(dst, size, 10)
}
