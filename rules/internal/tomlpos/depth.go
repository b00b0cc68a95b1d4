package tomlpos

// TooDeep reports the first place where src nests deeper than max, before
// any parsing: BurntSushi/toml's work grows with the square of the depth
// (10,000 nested inline tables, 40 KB, cost 10 s and 4 GB), so the depth
// must be bounded before it decodes. The depth of a place is the number of
// tables and arrays around it: each segment of a table header, each but the
// last segment of a dotted key, and each array or inline table. The scan is
// linear in len(src) and, like Scan, follows only what valid TOML can hold;
// in a document that does not parse it counts on as best it can.
func TooDeep(src []byte, max int) (Pos, bool) {
	d := depthScanner{scanner: scanner{src: src}, max: max}
	for _, bom := range byteOrderMarks {
		if len(src) >= len(bom) && string(src[:len(bom)]) == string(bom) {
			d.off = len(bom)
		}
	}
	d.loc = locator{src: src, off: d.off, line: 1, col: 1}
	base := 0 // segments of the current table header
	for d.skipBlank(); d.off < len(src) && !d.deep; d.skipBlank() {
		if src[d.off] == '[' {
			d.off++
			if d.peek() == '[' {
				d.off++
			}
			base = d.key(1) + 1
			d.skipLine()
			continue
		}
		d.value(base + d.key(base))
		d.skipLine()
	}
	return d.at, d.deep
}

// depthScanner adds to scanner the depth bound and where it was passed.
type depthScanner struct {
	scanner
	max  int
	deep bool
	at   Pos
}

// exceeds records off as the place the bound is passed when depth is over it.
func (d *depthScanner) exceeds(depth int) bool {
	if depth > d.max && !d.deep {
		d.deep, d.at = true, d.loc.at(d.off)
	}
	return d.deep
}

// key skips a possibly dotted key and the "=" after it, and returns the
// number of tables its dots open below depth.
func (d *depthScanner) key(depth int) int {
	dots := 0
	for d.off < len(d.src) && !d.deep {
		switch d.src[d.off] {
		case '"', '\'':
			d.str()
			continue
		case '.':
			dots++
			d.off++
			if d.exceeds(depth + dots) {
				return dots
			}
			continue
		case '=', ']':
			d.off++
			return dots
		case '\n', '{', '}', '[', ',', '#':
			return dots // not a key: leave the byte to the caller
		}
		d.off++
	}
	return dots
}

// value skips the value at off, at the given depth, with every array and
// inline table it holds. It keeps a stack of open brackets rather than
// recursing, so that no input can exhaust the goroutine stack.
func (d *depthScanner) value(depth int) {
	var open []frame
	extra := 0 // tables the dotted key of the current inline-table value opens
	expectKey := false
	for d.off < len(d.src) && !d.deep {
		cur := depth
		if len(open) > 0 {
			cur = open[len(open)-1].depth
		}
		d.skipSpace()
		if expectKey {
			expectKey = false
			if c := d.peek(); c != '}' && c != '\n' && c != '\r' && c != '#' && c != 0 {
				extra = d.key(cur)
				continue
			}
		}
		switch c := d.peek(); c {
		case '[', '{':
			if d.exceeds(cur + extra + 1) {
				return
			}
			open = append(open, frame{table: c == '{', depth: cur + extra + 1})
			d.off++
			extra, expectKey = 0, c == '{'
		case ']', '}':
			d.off++
			extra = 0
			if len(open) > 0 {
				open = open[:len(open)-1]
			}
			if len(open) == 0 {
				return
			}
		case ',':
			d.off++
			extra = 0
			expectKey = len(open) > 0 && open[len(open)-1].table
		case '"', '\'':
			d.str()
			if len(open) == 0 {
				return
			}
		case '#':
			d.skipComment()
		case '\r', '\n':
			if len(open) == 0 {
				return
			}
			d.off++
		case 0:
			return
		default:
			d.off++ // a byte of a number, date or boolean
			if len(open) == 0 && !isScalar(d.peek()) {
				return
			}
		}
	}
}

// frame is an open array or inline table and the depth of what it holds.
type frame struct {
	table bool
	depth int
}

// isScalar reports whether c may continue a bare scalar value.
func isScalar(c byte) bool {
	switch c {
	case 0, '\r', '\n', '#', ',', ']', '}':
		return false
	}
	return true
}
