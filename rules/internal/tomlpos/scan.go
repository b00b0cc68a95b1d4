package tomlpos

import (
	"bytes"
	"strings"
)

// byteOrderMarks are what BurntSushi/toml skips at the start of a document
// before parsing, so columns on the first line are counted after them here
// too. It skips the UTF-16 ones as well because some tools add them to UTF-8.
var byteOrderMarks = [][]byte{[]byte("\xef\xbb\xbf"), []byte("\xfe\xff"), []byte("\xff\xfe")}

// scanner walks a document once, front to back; off only grows.
type scanner struct {
	src []byte
	off int // next byte to read
	loc locator
	ix  *Index
	cur *table // the table that key/value statements go into
}

// Scan builds an Index from a TOML document. It never fails: at a statement
// it cannot follow, such as a line that is neither a header nor "key = value",
// it stops and keeps what it found before, because no position is better than
// a wrong one. The work is linear in len(src), and src is not retained.
func Scan(src []byte) *Index {
	ix := &Index{tables: map[tableID]*table{}, arrays: map[string]int{}}
	s := &scanner{src: src, ix: ix}
	for _, bom := range byteOrderMarks {
		if bytes.HasPrefix(src, bom) {
			s.off = len(bom)
		}
	}
	s.loc = locator{src: src, off: s.off, line: 1, col: 1}
	s.cur = ix.open(tableID{}, Pos{})
	for s.skipBlank(); s.off < len(src); s.skipBlank() {
		if !s.statement() {
			break
		}
	}
	return ix
}

// statement reads a table header or a key/value pair and the rest of its
// line. Keys are only looked for here, at the start of a statement, so text
// inside values is never taken for a key.
func (s *scanner) statement() bool {
	if s.src[s.off] == '[' {
		return s.header()
	}
	return s.keyValue()
}

// header reads "[name]" or "[[name]]", either possibly with blanks inside the
// brackets, and makes that table the current one.
func (s *scanner) header() bool {
	at := s.off
	array := bytes.HasPrefix(s.src[s.off:], []byte("[["))
	s.off++
	if array {
		s.off++
	}
	name, ok := s.key()
	if !ok || !s.consume(']') || array && !s.consume(']') {
		return false
	}
	id := tableID{name: name}
	if array {
		id.n = s.ix.arrays[name]
		s.ix.arrays[name]++
	}
	s.cur = s.ix.open(id, s.loc.at(at))
	s.skipLine()
	return true
}

// keyValue reads "key = value".
func (s *scanner) keyValue() bool {
	at := s.off
	name, ok := s.key()
	if !ok || !s.consume('=') {
		return false
	}
	e := s.cur.add(name, s.loc.at(at))
	s.skipSpace()
	return s.value(e)
}

// keyValueInto reads "key = value" as keyValue does, into e rather than
// the current table.
func (s *scanner) keyValueInto(e *entry) bool {
	if !s.skipKey() || !s.consume('=') {
		return false
	}
	s.skipSpace()
	return s.value(e)
}

// key reads a bare, quoted or dotted key and the blanks before and after it. Parts of
// a dotted key are joined by "." without their quotes or the blanks around
// the dots, so `a . "b"` reads as "a.b". That loses the difference between
// a.b and "a.b", which a rules file has no use for.
func (s *scanner) key() (string, bool) {
	var name strings.Builder
	for {
		s.skipSpace()
		part, ok := s.keyPart()
		if !ok {
			return "", false
		}
		name.WriteString(part)
		if !s.consume('.') {
			return name.String(), true
		}
		name.WriteByte('.')
	}
}

// skipKey reads a key as key does, without building its name.
func (s *scanner) skipKey() bool {
	for {
		s.skipSpace()
		start := s.off
		switch s.peek() {
		case '"':
			if !s.basicString() {
				return false
			}
		case '\'':
			if !s.literalString() {
				return false
			}
		default:
			for s.off < len(s.src) && isBare(s.src[s.off]) {
				s.off++
			}
			if s.off == start {
				return false
			}
		}
		if !s.consume('.') {
			return true
		}
	}
}

// keyPart reads one part of a key, without its quotes.
func (s *scanner) keyPart() (string, bool) {
	start := s.off
	switch s.peek() {
	case '"':
		if !s.basicString() {
			return "", false
		}
		return unquote(s.src[start:s.off]), true
	case '\'':
		if !s.literalString() {
			return "", false
		}
		return string(s.src[start+1 : s.off-1]), true
	}
	for s.off < len(s.src) && isBare(s.src[s.off]) {
		s.off++
	}
	return string(s.src[start:s.off]), s.off > start
}

// isBare reports whether c may be part of a bare key. It accepts more than
// TOML's A-Za-z0-9_- because the document has already been checked, and a
// later TOML version may allow more.
func isBare(c byte) bool {
	return !strings.ContainsRune(" \t\r\n=.[]{}\"'#,", rune(c))
}

// value reads the value that starts at off, which is recorded into e, and
// the rest of its line.
func (s *scanner) value(e *entry) bool {
	switch s.peek() {
	case 0, '\r', '\n', '#':
		return false
	}
	e.value = s.loc.at(s.off)
	switch s.src[s.off] {
	case '"', '\'':
		s.str()
	case '[':
		s.bracketed(e)
	case '{':
		s.bracketed(nil)
	}
	// Only blanks and a comment may follow a value. Scalars, including dates
	// with a space before the time, need no reading: their position is known.
	s.skipLine()
	return true
}
