package tomlpos

import (
	"bytes"
	"strconv"
)

// peek returns the byte at off, or 0 at the end of the document. TOML text
// cannot contain a NUL byte, so only a document that did not parse can have
// one that is taken for the end.
func (s *scanner) peek() byte {
	if s.off < len(s.src) {
		return s.src[s.off]
	}
	return 0
}

// consume skips spaces and tabs, then c if it is next.
func (s *scanner) consume(c byte) bool {
	s.skipSpace()
	if s.peek() != c {
		return false
	}
	s.off++
	return true
}

// skipSpace skips the blanks allowed inside a line.
func (s *scanner) skipSpace() {
	for c := s.peek(); c == ' ' || c == '\t'; c = s.peek() {
		s.off++
	}
}

// skipBlank skips blanks, line ends (LF or CRLF) and comments between
// statements.
func (s *scanner) skipBlank() {
	for {
		switch s.peek() {
		case ' ', '\t', '\r', '\n':
			s.off++
		case '#':
			s.skipComment()
		default:
			return
		}
	}
}

// skipComment moves to the end of the line, leaving the line end unread.
func (s *scanner) skipComment() {
	if i := bytes.IndexByte(s.src[s.off:], '\n'); i >= 0 {
		s.off += i
		return
	}
	s.off = len(s.src)
}

// skipLine moves past the end of the line.
func (s *scanner) skipLine() {
	s.skipComment()
	if s.off < len(s.src) {
		s.off++
	}
}

// str skips the string that starts at off, of any of TOML's four kinds.
func (s *scanner) str() {
	rest := s.src[s.off:]
	switch {
	case bytes.HasPrefix(rest, []byte(`"""`)):
		s.multiline('"')
	case bytes.HasPrefix(rest, []byte(`'''`)):
		s.multiline('\'')
	case rest[0] == '"':
		s.basicString()
	default:
		s.literalString()
	}
}

// basicString skips a "..." string. Unterminated, it stops at the line end
// and returns false.
func (s *scanner) basicString() bool {
	for i := s.off + 1; i < len(s.src); i++ {
		switch s.src[i] {
		case '\\':
			i++ // the escaped byte cannot end the string
		case '"':
			s.off = i + 1
			return true
		case '\n':
			s.off = i
			return false
		}
	}
	s.off = len(s.src)
	return false
}

// literalString skips a '...' string, which has no escapes. Unterminated, it
// stops at the line end and returns false.
func (s *scanner) literalString() bool {
	for i := s.off + 1; i < len(s.src); i++ {
		switch s.src[i] {
		case '\'':
			s.off = i + 1
			return true
		case '\n':
			s.off = i
			return false
		}
	}
	s.off = len(s.src)
	return false
}

// multiline skips a multi-line string, which opens and closes with three
// of q: a double quote for a basic string, a single quote for a literal. Its
// content may hold lines that look like keys or headers, which is why it
// must be skipped whole. Up to two quotes right before the closing three
// are content (`"""a""""` holds `a"`), so the string ends after the last
// quote of a run of three to five.
func (s *scanner) multiline(q byte) {
	for i := s.off + 3; i < len(s.src); i++ {
		switch {
		case q == '"' && s.src[i] == '\\':
			i++
		case s.src[i] == q && i+2 < len(s.src) && s.src[i+1] == q && s.src[i+2] == q:
			end := i + 3
			for end < len(s.src) && end < i+5 && s.src[end] == q {
				end++
			}
			s.off = end
			return
		}
	}
	s.off = len(s.src)
}

// bracketed skips an array or inline table that starts at off, with all it
// holds, on one line or many. When e is not nil it records where each
// top-level element starts; nested arrays and inline tables only change the
// depth. Brackets inside strings and comments do not count.
func (s *scanner) bracketed(e *entry) {
	depth, expect := 0, true // expect: the next token at depth 1 starts an element
	for s.off < len(s.src) {
		c := s.src[s.off]
		if e != nil && depth == 1 && expect && startsElement(c) {
			e.elems = append(e.elems, s.loc.at(s.off))
			expect = false
		}
		switch c {
		case '[', '{':
			depth++
		case ']', '}':
			depth--
		case ',':
			if depth == 1 {
				expect = true
			}
		case '#':
			s.skipComment()
			continue
		case '"', '\'':
			s.str()
			continue
		}
		s.off++
		if depth == 0 {
			return
		}
	}
}

// startsElement reports whether c, met where an array element may start,
// is its first character rather than a blank, comment or the array's end.
func startsElement(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', ',', '#', ']', '}':
		return false
	}
	return true
}

// unquote returns the content of a quoted key such as "a\"b". Go's escapes
// are TOML's except for TOML 1.1's \e, which makes it fail, and \xHH above
// 7F, a byte in Go but a character in TOML. Key names in a rules file have
// neither; if one did, the raw or slightly wrong name would only fail to be
// found.
func unquote(quoted []byte) string {
	if u, err := strconv.Unquote(string(quoted)); err == nil {
		return u
	}
	return string(quoted[1 : len(quoted)-1])
}
