package tomlpos

// Index holds the positions Scan found in one document. It is not changed
// after Scan returns, so it is safe for concurrent use.
type Index struct {
	tables map[tableID]*table // the first definition wins; later ones are invalid TOML
	arrays map[string]int     // how many [[name]] headers were seen, by name
}

// tableID names a table: "" is the top level, and n counts the [[name]]
// entries of an array of tables from 0. Plain tables have n 0.
type tableID struct {
	name string
	n    int
}

type table struct {
	header Pos               // the opening bracket; zero for the top level
	keys   map[string]*entry // the first definition wins; nil until one is added
}

type entry struct {
	key, value Pos
	elems      []Pos // top-level elements, when the value is an array
}

// Key returns the position of key in a table: table is "" for the top level,
// "defaults" for [defaults], and "rule" with n for the n-th (from 0) [[rule]].
// n is ignored for plain tables. Dotted keys are looked up joined by ".", as
// in "a.b", with no quotes. The zero Pos means the key was not found.
func (ix *Index) Key(table string, n int, key string) Pos {
	if e := ix.entry(table, n, key); e != nil {
		return e.key
	}
	return Pos{}
}

// Element returns the position of element i (from 0) of the key's array
// value. Only top-level elements count: [[1, 2], 3] has two. When the value
// is not an array or has no element i, it returns the key's position, so a
// caller always has somewhere to point.
func (ix *Index) Element(table string, n int, key string, i int) Pos {
	e := ix.entry(table, n, key)
	switch {
	case e == nil:
		return Pos{}
	case i >= 0 && i < len(e.elems):
		return e.elems[i]
	}
	return e.key
}

// Table returns the position of the header of a table, named as for Key:
// "[defaults]" or the n-th "[[rule]]". The zero Pos means there is none,
// which is always so for the top level.
func (ix *Index) Table(table string, n int) Pos {
	if t := ix.table(table, n); t != nil {
		return t.header
	}
	return Pos{}
}

func (ix *Index) table(name string, n int) *table {
	if ix.arrays[name] == 0 {
		n = 0
	}
	return ix.tables[tableID{name: name, n: n}]
}

func (ix *Index) entry(table string, n int, key string) *entry {
	if t := ix.table(table, n); t != nil {
		return t.keys[key]
	}
	return nil
}

// open returns the table id, creating it with its header position if it is
// new.
func (ix *Index) open(id tableID, header Pos) *table {
	t := ix.tables[id]
	if t == nil {
		t = &table{header: header}
		ix.tables[id] = t
	}
	return t
}

// add records a key at pos and returns the entry its value goes into. A
// repeated key gets an entry that is not kept, so the first one wins.
func (t *table) add(key string, pos Pos) *entry {
	e := &entry{key: pos}
	if t.keys == nil {
		t.keys = map[string]*entry{}
	}
	if _, dup := t.keys[key]; !dup {
		t.keys[key] = e
	}
	return e
}
