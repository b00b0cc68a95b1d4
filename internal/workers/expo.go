package workers

import (
	"bufio"
	"bytes"
	"io"
	"strings"
)

// exposition is one worker's /metrics (Prometheus text format) and the
// label that tells its series apart.
type exposition struct {
	label string // worker="0"
	text  []byte
}

// family is one metric family across the expositions: its # HELP and
// # TYPE lines once, and each exposition's samples.
type family struct {
	meta    []string
	samples [][]string // by exposition
}

// mergeExpositions writes the expositions as one: the text format wants
// each family once, its samples together, so a family's metadata is
// written once and then every worker's samples of it, each with its
// label first. Families keep the order they first appear in.
func mergeExpositions(w io.Writer, sources []exposition) {
	var order []string
	families := map[string]*family{}
	get := func(name string) *family {
		f := families[name]
		if f == nil {
			f = &family{samples: make([][]string, len(sources))}
			families[name] = f
			order = append(order, name)
		}
		return f
	}
	for i, src := range sources {
		described := map[string]bool{} // "HELP name", "TYPE name" seen in this source
		current := ""                  // the family the last # TYPE or # HELP named
		lines := bufio.NewScanner(bytes.NewReader(src.text))
		lines.Buffer(nil, 1<<20)
		for lines.Scan() {
			line := lines.Text()
			if line == "" {
				continue
			}
			if rest, ok := strings.CutPrefix(line, "# "); ok {
				kind, after, _ := strings.Cut(rest, " ")
				name, _, _ := strings.Cut(after, " ")
				if (kind == "HELP" || kind == "TYPE") && name != "" {
					current = name
					f := get(name)
					if !described[kind+" "+name] && !hasMeta(f.meta, kind) {
						f.meta = append(f.meta, line)
					}
					described[kind+" "+name] = true
				}
				continue // other comments carry nothing
			}
			name := sampleName(line)
			fam := current
			if !inFamily(name, fam) {
				fam = name
			}
			f := get(fam)
			f.samples[i] = append(f.samples[i], withLabel(line, len(name), src.label))
		}
	}
	bw := bufio.NewWriter(w)
	for _, name := range order {
		f := families[name]
		for _, m := range f.meta {
			bw.WriteString(m + "\n")
		}
		for _, s := range f.samples {
			for _, line := range s {
				bw.WriteString(line + "\n")
			}
		}
	}
	bw.Flush()
}

func hasMeta(meta []string, kind string) bool {
	for _, m := range meta {
		if strings.HasPrefix(m, "# "+kind+" ") {
			return true
		}
	}
	return false
}

// sampleName is the metric name a sample line begins with.
func sampleName(line string) string {
	if i := strings.IndexAny(line, "{ "); i >= 0 {
		return line[:i]
	}
	return line
}

// inFamily says whether a sample named name belongs to family fam: its
// own name, or a histogram's or summary's _bucket, _sum or _count.
func inFamily(name, fam string) bool {
	if fam == "" {
		return false
	}
	suffix, ok := strings.CutPrefix(name, fam)
	return ok && (suffix == "" || suffix == "_bucket" || suffix == "_sum" || suffix == "_count")
}

// withLabel puts label first in the sample line's label set; n is the
// length of its metric name.
func withLabel(line string, n int, label string) string {
	name, rest := line[:n], line[n:]
	switch {
	case strings.HasPrefix(rest, "{}"):
		return name + "{" + label + "}" + rest[2:]
	case strings.HasPrefix(rest, "{"):
		return name + "{" + label + "," + rest[1:]
	}
	return name + "{" + label + "}" + rest
}
