package rules

import (
	"errors"
	"fmt"
	"strings"
)

// A Problem is one error or warning found in a rules file. Parse joins every
// error it finds (errors.Join of *Problem) rather than stopping at the first.
type Problem struct {
	File      string // the included file at fault; "" for the main file
	Line, Col int    // 1-based position in the file; 0 when unknown
	Section   string // "rule", "cache", "defaults" or "" for the top level
	Index     int    // 0-based entry of a [[rule]] or [[cache]] section
	Name      string // the rule's name, when it has one
	Key       string // key path within the section, e.g. "origins[1]"
	Value     string // the offending value, as written, when there is one
	Reason    string
	Warning   bool
}

// Error formats the problem without the file name: "LINE:COL: where: reason".
func (p *Problem) Error() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "%d:%d: ", p.Line, p.Col)
	}
	if p.Warning {
		b.WriteString("warning: ")
	}
	if where := p.Where(); where != "" {
		b.WriteString(where)
		b.WriteString(": ")
	}
	if p.Value != "" {
		fmt.Fprintf(&b, "%q: ", p.Value)
	}
	b.WriteString(p.Reason)
	return b.String()
}

// Where names the section entry and key, e.g. `rule #2 ("partner app") origins[1]`.
// Rules and cache entries are counted from 1, as a reader of the file counts them.
func (p *Problem) Where() string {
	var parts []string
	switch p.Section {
	case "":
	case "rule", "cache":
		s := fmt.Sprintf("%s #%d", p.Section, p.Index+1)
		if p.Name != "" {
			s += fmt.Sprintf(" (%q)", p.Name)
		}
		parts = append(parts, s)
	default:
		parts = append(parts, "["+p.Section+"]")
	}
	if p.Key != "" {
		parts = append(parts, p.Key)
	}
	return strings.Join(parts, " ")
}

// Problems returns the problems joined in err by Parse, in file order, or nil
// when err holds none.
func Problems(err error) []*Problem {
	var out []*Problem
	var walk func(error)
	walk = func(e error) {
		if p, ok := e.(*Problem); ok {
			out = append(out, p)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		if u := errors.Unwrap(e); u != nil {
			walk(u)
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}

// Describe renders err for people, one line per problem in file order, each
// prefixed "file:" when file is not "" (the FILE:LINE:COL form editors jump
// to; "file: " for a problem without a position); a problem in an included
// file names that file instead. An error that holds no Problem, such as a
// read error, is one line of its own text, prefixed "file: ".
func Describe(err error, file string) []string {
	if err == nil {
		return nil
	}
	problems := Problems(err)
	if len(problems) == 0 {
		if file != "" {
			return []string{file + ": " + err.Error()}
		}
		return []string{err.Error()}
	}
	lines := make([]string, len(problems))
	for i, p := range problems {
		file := file
		if p.File != "" {
			file = p.File
		}
		switch {
		case file == "":
			lines[i] = p.Error()
		case p.Line == 0: // "file: reason", not "file:reason", which reads as a position
			lines[i] = file + ": " + p.Error()
		default:
			lines[i] = file + ":" + p.Error()
		}
	}
	return lines
}

// FirstError returns the first problem in err that is not a warning, or nil.
func FirstError(err error) *Problem {
	for _, p := range Problems(err) {
		if !p.Warning {
			return p
		}
	}
	return nil
}
