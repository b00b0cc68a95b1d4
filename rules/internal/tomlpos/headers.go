package tomlpos

import "bytes"

// A Header is a table header of a document, "[name]" or "[[name]]".
type Header struct {
	Line  int    // offset of the start of the header's line
	Name  string // as Key names tables: dotted parts joined by ".", no quotes
	Array bool   // [[name]]
}

// Headers lists the table headers of src in order, without building an
// Index, and reports whether it followed src to the end. It reads the
// document as Scan does, so text inside strings, arrays and comments is
// never taken for a header; like Scan, it trusts only documents that parse.
func Headers(src []byte) ([]Header, bool) {
	s := &scanner{src: src}
	for _, bom := range byteOrderMarks {
		if bytes.HasPrefix(src, bom) {
			s.off = len(bom)
		}
	}
	s.loc = locator{src: src, off: s.off, line: 1, col: 1}
	var headers []Header
	var scratch entry // what keyValue records, dropped
	for s.skipBlank(); s.off < len(src); s.skipBlank() {
		if src[s.off] != '[' {
			scratch.elems = scratch.elems[:0]
			if !s.keyValueInto(&scratch) {
				return headers, false
			}
			continue
		}
		line := bytes.LastIndexByte(src[:s.off], '\n') + 1
		array := bytes.HasPrefix(src[s.off:], []byte("[["))
		s.off++
		if array {
			s.off++
		}
		name, ok := s.key()
		if !ok || !s.consume(']') || array && !s.consume(']') {
			return headers, false
		}
		headers = append(headers, Header{Line: line, Name: name, Array: array})
		s.skipLine()
	}
	return headers, true
}
