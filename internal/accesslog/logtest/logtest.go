// Package logtest reads access log lines back, for the tests of the
// packages that write them.
package logtest

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

// StalledWriter blocks every Write until Release, as a full disk or a
// stopped pipe reader would.
type StalledWriter struct {
	Entered chan struct{} // closed at the first Write
	entered sync.Once
	release chan struct{}
	once    sync.Once
}

// NewStalledWriter returns a writer that blocks from its first Write on.
func NewStalledWriter() *StalledWriter {
	return &StalledWriter{Entered: make(chan struct{}), release: make(chan struct{})}
}

func (w *StalledWriter) Write(p []byte) (int, error) {
	w.entered.Do(func() { close(w.Entered) })
	<-w.release
	return len(p), nil
}

// Release lets every Write, blocked or to come, return.
func (w *StalledWriter) Release() { w.once.Do(func() { close(w.release) }) }

// CombinedFields is how many fields a combined line has.
const CombinedFields = 13

// JSONLine is a JSON access log line, decoded.
type JSONLine struct {
	Time      string  `json:"time"`
	Client    string  `json:"client"`
	Method    string  `json:"method"`
	Path      string  `json:"path"`
	Status    int     `json:"status"`
	Bytes     int64   `json:"bytes"`
	Duration  float64 `json:"duration"`
	Origin    string  `json:"origin"`
	CORS      string  `json:"cors"`
	Rule      string  `json:"rule"`
	Referer   string  `json:"referer"`
	UserAgent string  `json:"user_agent"`
}

// Lines splits what a log wrote into its lines, each without its "\n",
// and fails when the output does not end in one.
func Lines(out string) ([]string, error) {
	if out == "" {
		return nil, nil
	}
	if !strings.HasSuffix(out, "\n") {
		return nil, fmt.Errorf("log output does not end in a newline: %q", out)
	}
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n"), nil
}

// DecodeJSON decodes one JSON line strictly: unknown or missing keys fail.
func DecodeJSON(line string) (JSONLine, error) {
	var raw map[string]any
	if err := json.Unmarshal([]byte(line), &raw); err != nil {
		return JSONLine{}, fmt.Errorf("%w in %q", err, line)
	}
	if len(raw) != 12 {
		return JSONLine{}, fmt.Errorf("%d keys, want 12: %q", len(raw), line)
	}
	var l JSONLine
	d := json.NewDecoder(strings.NewReader(line))
	d.DisallowUnknownFields()
	if err := d.Decode(&l); err != nil {
		return JSONLine{}, fmt.Errorf("%w in %q", err, line)
	}
	return l, nil
}

// SplitCombined splits a combined line into its fields, without the quotes
// and brackets, and fails unless there are CombinedFields of them.
func SplitCombined(line string) ([]string, error) {
	var fields []string
	for rest := line; rest != ""; {
		var f string
		var ok bool
		switch rest[0] {
		case '"':
			f, rest, ok = strings.Cut(rest[1:], `"`)
		case '[':
			f, rest, ok = strings.Cut(rest[1:], "]")
		default:
			f, rest, _ = strings.Cut(rest, " ")
			rest, ok = " "+rest, true
		}
		if !ok {
			return nil, fmt.Errorf("unterminated field %d in %q", len(fields)+1, line)
		}
		fields = append(fields, f)
		if rest == " " || rest == "" {
			break
		}
		if rest[0] != ' ' {
			return nil, fmt.Errorf("no space after field %d in %q", len(fields), line)
		}
		rest = rest[1:]
	}
	if len(fields) != CombinedFields {
		return nil, fmt.Errorf("%d fields, want %d: %q", len(fields), CombinedFields, line)
	}
	return fields, nil
}
