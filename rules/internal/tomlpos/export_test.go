package tomlpos

// Positions returns every known position in ix, so that external tests can
// check them all without knowing which keys the document has.
func Positions(ix *Index) []Pos {
	var all []Pos
	for _, t := range ix.tables {
		all = append(all, t.header)
		for _, e := range t.keys {
			all = append(all, e.key, e.value)
			all = append(all, e.elems...)
		}
	}
	known := all[:0]
	for _, p := range all {
		if p.Known() {
			known = append(known, p)
		}
	}
	return known
}

// Value returns the position of the first character of the key's value: the
// opening quote of a string, the "[" of an array. The rules package points
// at keys and elements; the tests check that values are found too.
func (ix *Index) Value(table string, n int, key string) Pos {
	if e := ix.entry(table, n, key); e != nil {
		return e.value
	}
	return Pos{}
}
