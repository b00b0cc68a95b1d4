package rules

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/BurntSushi/toml"

	"corsedge/rules/internal/tomlpos"
)

// MaxNesting bounds how deeply a rules file may nest tables and arrays,
// counted as tomlpos.TooDeep does. A rules file needs three levels; the TOML
// decoder's work grows with the square of the depth, so the bound is checked
// before decoding.
const MaxNesting = 32

// checker collects every problem found while decoding and validating one
// file, each placed at the line and column of the key or element at fault.
type checker struct {
	file     string // the included file's path; "" for the main file
	included bool   // an included file: [[rule]] and [[cache]] only
	src      []byte
	pos      *tomlpos.Index // scanned from src at the first problem: a good file never pays for it
	problems []*Problem
	faulty   map[place]bool // keys with a problem, element problems counted on their key too
	// base counts the entries of the file before those validated here:
	// a segment of a long main file (segments.go) is validated alone.
	base entryBase
}

// entryBase counts [[rule]] and [[cache]] entries.
type entryBase struct{ rules, cache int }

// place is a key of one section entry, as reported finds it.
type place struct {
	section string
	index   int
	key     string
}

// entry locates a section of the file: the top level, [defaults], or the
// index-th [[rule]] or [[cache]].
type entry struct {
	section string
	index   int
	name    string
}

// report records a problem at key (and array element elem, when elem >= 0).
func (c *checker) report(at entry, key string, elem int, value, reason string, warning bool) {
	if c.pos == nil {
		c.pos = tomlpos.Scan(c.src)
	}
	var p tomlpos.Pos
	switch {
	case key == "":
		p = c.pos.Table(at.section, at.index)
	case elem >= 0:
		p = c.pos.Element(at.section, at.index, key, elem)
	default:
		p = c.pos.Key(at.section, at.index, key)
	}
	// A key that is missing, inherited, or written as a dotted key or a
	// sub-table has no position of its own: point at its section's header,
	// or at the [key] header of an unknown top-level table.
	if !p.Known() {
		p = c.pos.Table(at.section, at.index)
	}
	if !p.Known() && at.section == "" && key != "" {
		p = c.pos.Table(key, 0)
	}
	name := key
	if elem >= 0 {
		name = fmt.Sprintf("%s[%d]", key, elem)
	}
	if c.faulty == nil {
		c.faulty = map[place]bool{}
	}
	c.faulty[place{at.section, at.index, key}] = true
	c.problems = append(c.problems, &Problem{
		File: c.file, Line: p.Line, Col: p.Col,
		Section: at.section, Index: at.index, Name: at.name,
		Key: name, Value: value, Reason: reason, Warning: warning,
	})
}

func (c *checker) errorf(at entry, key string, elem int, value, format string, args ...any) {
	c.report(at, key, elem, value, fmt.Sprintf(format, args...), false)
}

func (c *checker) warnf(at entry, key string, elem int, value, format string, args ...any) {
	c.report(at, key, elem, value, fmt.Sprintf(format, args...), true)
}

// decode parses src and checks the type of every key, reporting unknown keys
// and type mismatches with their positions. A syntax error, or nesting deeper
// than MaxNesting, ends decoding: it is the only problem reported, since
// nothing after it can be trusted.
func (c *checker) decode(src []byte) *config {
	top := entry{}
	if len(bytes.TrimSpace(src)) == 0 {
		if c.included {
			// A file being written may be empty for a moment: refusing it
			// keeps the previous table rather than dropping the site.
			c.errorf(top, "", -1, "", "empty file: an included file holds [[rule]] or [[cache]] entries")
		} else {
			c.errorf(top, "", -1, "", "empty file: a rules file starts with version = 1")
		}
		return nil
	}
	if at, deep := tomlpos.TooDeep(src, MaxNesting); deep {
		c.problems = append(c.problems, &Problem{File: c.file, Line: at.Line, Col: at.Col, Reason: fmt.Sprintf(
			"nests deeper than %d tables and arrays (table header segments, dotted keys, inline tables and arrays all count; a rules file needs 3)",
			MaxNesting)})
		return nil
	}
	var raw map[string]any
	if _, err := toml.Decode(string(src), &raw); err != nil {
		c.syntaxError(src, err)
		return nil
	}
	cfg := &config{}
	if c.included {
		c.decodeIncluded(cfg, raw)
		return cfg
	}
	version, ok := raw["version"]
	switch {
	case !ok:
		c.errorf(top, "", -1, "", "version = 1 is required (is the file empty or truncated?)")
	case !isInteger(version):
		// Not "unsupported version": 1.0 and "1" would print as 1.
		c.errorf(top, "version", -1, "", "must be the integer 1, not %s", typeName(version))
	case !isInt(version, 1):
		c.errorf(top, "version", -1, fmt.Sprint(version), "unsupported version: only version = 1 exists")
	default:
		cfg.version = 1
	}
	for _, key := range sortedKeys(raw) {
		v := raw[key]
		switch key {
		case "version":
		case "include":
			cfg.include = c.strings(top, key, v)
			for i, pattern := range cfg.include {
				if _, err := filepath.Match(pattern, ""); err != nil {
					c.errorf(top, key, i, pattern, "is not a glob (filepath.Match syntax: *, ?, [a-z], \\ escapes)")
				}
			}
		case "defaults":
			at := entry{section: "defaults"}
			if m, ok := v.(map[string]any); ok {
				cfg.defaults = c.settings(at, m, nil)
			} else {
				c.errorf(top, key, -1, "", "must be a table: [defaults]")
			}
		case "rule", "cache":
			c.entries(cfg, key, v)
		default:
			c.errorf(top, key, -1, "", "unknown key (known: version, include, [defaults], [[rule]], [[cache]])")
		}
	}
	return cfg
}

// entries decodes the [[rule]] or [[cache]] array (key) into cfg, as the
// main file and included files both hold them.
func (c *checker) entries(cfg *config, key string, v any) {
	tables := c.tables(entry{}, key, v)
	if key == "cache" {
		for i, m := range tables {
			cfg.cache = append(cfg.cache, c.cacheEntry(i, m))
		}
		return
	}
	cfg.rules = make([]ruleConfig, 0, len(tables)) // sized once: a ruleConfig is large
	for i, m := range tables {
		cfg.rules = append(cfg.rules, c.rule(i, m))
	}
}

// decodeIncluded decodes an included file: [[rule]] and [[cache]] entries,
// which inherit the main file's [defaults]. The rest belongs to the main
// file alone, so that one file decides what every site inherits.
func (c *checker) decodeIncluded(cfg *config, raw map[string]any) {
	top := entry{}
	for _, key := range sortedKeys(raw) {
		v := raw[key]
		switch key {
		case "version", "include", "defaults":
			c.errorf(top, key, -1, "", "belongs in the main rules file: an included file holds [[rule]] and [[cache]] only")
		case "rule", "cache":
			c.entries(cfg, key, v)
		default:
			c.errorf(top, key, -1, "", "unknown key (known in an included file: [[rule]], [[cache]])")
		}
	}
	if len(raw) == 0 {
		// Comments alone: most likely a file cut short while written.
		c.errorf(top, "", -1, "", "holds no [[rule]] or [[cache]] entry (a file cut short?)")
	}
}

// syntaxError reports a TOML syntax error at the byte the parser stopped on.
// The position is counted from that byte offset rather than taken from the
// parser's line, which names the next line when the offending byte is a
// newline ("expected ']', got '\n'").
func (c *checker) syntaxError(src []byte, err error) {
	p := &Problem{File: c.file, Reason: err.Error()}
	var pe toml.ParseError
	if errors.As(err, &pe) {
		p.Line, p.Col, p.Reason = pe.Position.Line, pe.Position.Col, "syntax error: "+pe.Message
		if start := pe.Position.Start; start >= 0 && start <= len(src) {
			before := src[:start]
			p.Line = bytes.Count(before, []byte("\n")) + 1
			p.Col = start - bytes.LastIndexByte(before, '\n')
		}
	}
	c.problems = append(c.problems, p)
}

// tables returns the entries of an array of tables ([[rule]] or [[cache]]).
func (c *checker) tables(at entry, key string, v any) []map[string]any {
	switch v := v.(type) {
	case []map[string]any:
		return v
	case []any:
		out := make([]map[string]any, 0, len(v))
		for i, e := range v {
			m, ok := e.(map[string]any)
			if !ok {
				c.errorf(at, key, i, "", "must be a table: write [[%s]]", key)
				continue
			}
			out = append(out, m)
		}
		return out
	}
	c.errorf(at, key, -1, "", "must be an array of tables: write [[%s]]", key)
	return nil
}

func (c *checker) rule(i int, m map[string]any) ruleConfig {
	at := entry{section: "rule", index: i}
	if name, ok := m["name"].(string); ok {
		at.name = name
	}
	r := ruleConfig{name: at.name}
	r.settings = c.settings(at, m, func(key string, v any) bool {
		switch key {
		case "name":
			c.str(at, key, v)
		case "paths":
			r.paths = c.strings(at, key, v)
		case "origins":
			r.origins = c.strings(at, key, v)
		default:
			return false
		}
		return true
	})
	return r
}

func (c *checker) cacheEntry(i int, m map[string]any) cacheConfig {
	at := entry{section: "cache", index: i}
	var e cacheConfig
	for _, key := range sortedKeys(m) {
		switch v := m[key]; key {
		case "paths":
			e.paths = c.strings(at, key, v)
		case "control":
			e.control = c.str(at, key, v)
		default:
			c.errorf(at, key, -1, "", "unknown key (known: paths, control)")
		}
	}
	return e
}

// settings decodes the inheritable keys of m; other keys go to extra, which
// reports whether it knew them (nil: no other key is known).
func (c *checker) settings(at entry, m map[string]any, extra func(key string, v any) bool) settings {
	var s settings
	for _, key := range sortedKeys(m) {
		switch v := m[key]; key {
		case "methods":
			s.methods = c.strings(at, key, v)
		case "headers":
			s.headers = c.strings(at, key, v)
		case "expose":
			s.expose = c.strings(at, key, v)
		case "max_age":
			s.maxAge = c.duration(at, key, v)
		case "credentials":
			s.credentials = c.boolean(at, key, v)
		case "private_network":
			s.privateNetwork = c.boolean(at, key, v)
		case "timing":
			s.timing = c.boolean(at, key, v)
		case "corp":
			corp := c.str(at, key, v)
			s.corp = &corp
		default:
			if extra == nil || !extra(key, v) {
				c.errorf(at, key, -1, "", "unknown key")
			}
		}
	}
	return s
}

func (c *checker) str(at entry, key string, v any) string {
	s, ok := v.(string)
	if !ok {
		c.errorf(at, key, -1, "", "must be a string, not %s", typeName(v))
	}
	return s
}

// strings returns an array of strings; it never returns nil for a present
// key, so that an empty array still overrides [defaults].
func (c *checker) strings(at entry, key string, v any) []string {
	list, ok := v.([]any)
	if !ok {
		c.errorf(at, key, -1, "", "must be an array of strings, not %s", typeName(v))
		return []string{}
	}
	out := make([]string, 0, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			c.errorf(at, key, i, "", "must be a string, not %s", typeName(e))
			continue
		}
		out = append(out, s)
	}
	return out
}

func (c *checker) boolean(at entry, key string, v any) *bool {
	b, ok := v.(bool)
	if !ok {
		c.errorf(at, key, -1, "", "must be true or false, not %s", typeName(v))
	}
	return &b
}

// duration reads max_age: a Go duration string or an integer of seconds.
// Range checks are validation's; here only the form is checked.
func (c *checker) duration(at entry, key string, v any) *time.Duration {
	var d time.Duration
	switch v := v.(type) {
	case int64:
		if v > int64(maxMaxAge/time.Second) || v < -int64(maxMaxAge/time.Second) {
			d = maxMaxAge + time.Second // out of range; validation reports it
		} else {
			d = time.Duration(v) * time.Second
		}
	case string:
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			c.errorf(at, key, -1, v, `must be a duration such as "10m" or "1h30m", or whole seconds`)
			return nil
		}
		if d%time.Second != 0 {
			c.errorf(at, key, -1, v, "must be whole seconds (Access-Control-Max-Age counts seconds)")
			return nil
		}
	default:
		c.errorf(at, key, -1, "", `must be a duration string such as "10m" or an integer of seconds, not %s`, typeName(v))
		return nil
	}
	return &d
}

// typeName names a decoded TOML value's type the way the TOML spec does.
func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case []map[string]any:
		return "an array of tables"
	}
	return "a date or time"
}

func isInteger(v any) bool {
	_, ok := v.(int64)
	return ok
}

func isInt(v any, want int64) bool {
	n, ok := v.(int64)
	return ok && n == want
}

// sortedKeys returns m's keys in order, so problems come out the same way on
// every run (Go map order is random).
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
