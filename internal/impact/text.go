package impact

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteText prints the report for people: a summary line, then a line per
// change, largest traffic first, with each header that differs under it.
func (r *Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%d of %d pairs change (%d requests); %d of %d allowed requests would be refused (%.1f%%)\n",
		len(r.Changes), r.Pairs, r.changedRequests(), r.RefusedRequests, r.AllowedRequests, 100*r.RefusedShare())
	tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
	for _, c := range r.Changes {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s -> %s\n", c.Count, c.Kind, c.Origin, c.Path, orNone(c.RuleBefore), orNone(c.RuleAfter))
		for _, h := range c.Headers {
			fmt.Fprintf(tw, "\t\t  %s:\t%s -> %s\n", h.Name, quoteOrNone(h.Before), quoteOrNone(h.After))
		}
	}
	tw.Flush()
	return bw.Flush()
}

func (r *Report) changedRequests() (n uint64) {
	for _, c := range r.Changes {
		n += c.Count
	}
	return n
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func quoteOrNone(s string) string {
	if s == "" {
		return "(absent)"
	}
	return strconv.Quote(s)
}

// ReadPairs reads lines "ORIGIN PATH [COUNT]" (COUNT 1 when left out);
// blank lines and lines starting with # are skipped. Paths are taken as
// written: the caller cleans them as the server does.
func ReadPairs(r io.Reader) ([]Pair, error) {
	var out []Pair
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 || len(f) > 3 {
			return nil, fmt.Errorf("line %d: want ORIGIN PATH [COUNT], got %q", n, line)
		}
		p := Pair{Origin: f[0], Path: f[1], Count: 1}
		if len(f) == 3 {
			c, err := strconv.ParseUint(f[2], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: count %q: want a whole number", n, f[2])
			}
			p.Count = c
		}
		out = append(out, p)
	}
	return out, sc.Err()
}
