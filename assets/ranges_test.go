package assets_test

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"corsedge/assets"
)

const digits = "0123456789"

// rangeTests is the Range table over the 10-byte file digits: served over a
// socket, and the seed corpus of FuzzRange.
var rangeTests = []struct {
	desc         string
	field        string
	status       int
	body         string
	contentRange string
}{
	{"first-last", "bytes=0-3", 206, "0123", "bytes 0-3/10"},
	{"one byte", "bytes=9-9", 206, "9", "bytes 9-9/10"},
	{"suffix", "bytes=-3", 206, "789", "bytes 7-9/10"},
	{"open", "bytes=7-", 206, "789", "bytes 7-9/10"},
	{"last beyond the end", "bytes=5-100", 206, "56789", "bytes 5-9/10"},
	{"suffix longer than the file", "bytes=-100", 206, digits, "bytes 0-9/10"},
	{"unit is case-insensitive", "BYTES=0-0", 206, "0", "bytes 0-0/10"},
	{"whitespace around the spec", "bytes= 2-3 ", 206, "23", "bytes 2-3/10"},
	{"empty list elements", "bytes=,2-3,", 206, "23", "bytes 2-3/10"},
	{"first at the end", "bytes=10-", 416, "", "bytes */10"},
	{"first far beyond", "bytes=99999999999999999999-", 416, "", "bytes */10"},
	{"empty suffix", "bytes=-0", 416, "", "bytes */10"},
	{"multi-range is whole", "bytes=0-1,3-4", 200, digits, ""},
	{"multi-range unsatisfiable is whole", "bytes=20-30,40-", 200, digits, ""},
	{"last before first", "bytes=3-1", 200, digits, ""},
	{"other unit", "items=0-1", 200, digits, ""},
	{"no dash", "bytes=3", 200, digits, ""},
	{"no positions", "bytes=-", 200, digits, ""},
	{"not digits", "bytes=a-b", 200, digits, ""},
	{"signed", "bytes=+1-2", 200, digits, ""},
	{"no equals", "bytes 0-1", 200, digits, ""},
	{"over-long field", "bytes=" + strings.Repeat("0", 200) + "1-2", 200, digits, ""},
}

// TestRanges serves the table over a socket, in memory and streamed (where
// the file is seeked and sent by fasthttp).
func TestRanges(t *testing.T) {
	for _, mode := range modes {
		t.Run("mode="+mode.desc, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, map[string]string{"d.txt": digits})
			mode.opts.Root = root
			h := newHarness(t, mode.opts, assets.Hints{Vary: hintsVary})
			for _, tc := range rangeTests {
				t.Run(tc.desc, func(t *testing.T) {
					r := h.get(t, "GET", "/d.txt", "Range: "+tc.field)
					if r.status != tc.status || r.body != tc.body {
						t.Errorf("%d %q, want %d %q", r.status, r.body, tc.status, tc.body)
					}
					want := map[string]string{
						"Content-Range":               tc.contentRange,
						"Content-Length":              strconv.Itoa(len(tc.body)),
						"Access-Control-Allow-Origin": fakeCORS,
						"Vary":                        "Origin, Accept-Encoding",
					}
					checkHeaders(t, r.header, want)
				})
			}
		})
	}
}

// FuzzRange checks the Range parser against a plain reference reading of
// RFC 9110 §14.1.2, and that a 206 always lies within the file.
func FuzzRange(f *testing.F) {
	for _, tc := range rangeTests {
		f.Add(tc.field, int64(len(digits)))
	}
	f.Add("bytes=-1", int64(0))
	f.Add("bytes=0-", int64(0))
	f.Fuzz(func(t *testing.T, field string, size int64) {
		if size < 0 {
			size = -size
		}
		if size < 0 { // MinInt64
			size = math.MaxInt64
		}
		status, start, length := assets.ResolveRange(field, size)
		rs, rstart, rlength := referenceRange(field, size)
		if status != rs || start != rstart || length != rlength {
			t.Fatalf("%q on %d bytes: got %d [%d,+%d), reference %d [%d,+%d)", field, size, status, start, length, rs, rstart, rlength)
		}
		if status == 206 && (start < 0 || length < 1 || start > size-length) {
			t.Fatalf("%q on %d bytes: 206 [%d,+%d) is outside the file", field, size, start, length)
		}
	})
}

var (
	rangeField = regexp.MustCompile(`^(?i:bytes)=(.*)$`)
	rangeSpec  = regexp.MustCompile(`^([0-9]*)-([0-9]*)$`)
)

// referenceRange is a deliberately naive second reading of the rules.
func referenceRange(field string, size int64) (status int, start, length int64) {
	whole := func() (int, int64, int64) { return 200, 0, size }
	m := rangeField.FindStringSubmatch(field)
	if len(field) > 128 || m == nil {
		return whole()
	}
	var specs []string
	for s := range strings.SplitSeq(m[1], ",") {
		if s = strings.Trim(s, " \t"); s != "" {
			specs = append(specs, s)
		}
	}
	if len(specs) != 1 {
		return whole()
	}
	p := rangeSpec.FindStringSubmatch(specs[0])
	if p == nil || p[1] == "" && p[2] == "" {
		return whole()
	}
	num := func(s string) int64 {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return math.MaxInt64 // too many digits
		}
		return n
	}
	if p[1] == "" {
		suffix := num(p[2])
		switch {
		case suffix == 0:
			return 416, 0, 0
		case size == 0:
			return whole()
		}
		length = min(suffix, size)
		return 206, size - length, length
	}
	first, last := num(p[1]), int64(math.MaxInt64)
	if p[2] != "" {
		if last = num(p[2]); last < first {
			return whole()
		}
	}
	if first >= size {
		return 416, 0, 0
	}
	last = min(last, size-1)
	return 206, first, last - first + 1
}
