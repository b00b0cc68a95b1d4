package tomlpos

// Pos is a place in a TOML document. Line and Col start at 1; Col counts
// bytes, as BurntSushi/toml's ParseError and compilers' FILE:LINE:COL do, so
// syntax errors and validation errors number columns alike. The zero Pos
// means the place is unknown.
type Pos struct{ Line, Col int }

// Known reports whether p refers to a place in the document.
func (p Pos) Known() bool { return p.Line > 0 }

// locator turns byte offsets into Pos values. It only moves forward, so each
// byte of the document is counted once however many positions are taken:
// that keeps Scan linear even for a long line with many elements.
type locator struct {
	src       []byte
	off       int // bytes before off are counted into line and col
	line, col int // position of src[off]
}

// at returns the position of src[off]. Precondition: off is not before the
// offset given to the previous call.
func (l *locator) at(off int) Pos {
	for _, b := range l.src[l.off:off] {
		switch {
		case b == '\n':
			l.line++
			l.col = 1
		default:
			l.col++
		}
	}
	l.off = off
	return Pos{Line: l.line, Col: l.col}
}
