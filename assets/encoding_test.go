package assets_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"corsedge/assets"
)

// acceptEncodingTests is the Accept-Encoding table: served over a socket,
// checked against the parser alone, and the seed corpus of FuzzAcceptEncoding.
var acceptEncodingTests = []struct {
	desc  string
	lines []string // Accept-Encoding field lines; nil: no field at all
	want  string   // coding served when br, zstd and gzip sidecars all exist
}{
	{"no field means identity", nil, "identity"},
	{"empty field means identity", []string{""}, "identity"},
	{"browser", []string{"gzip, deflate, br, zstd"}, "br"},
	{"gzip only", []string{"gzip"}, "gzip"},
	{"x-gzip is gzip", []string{"x-gzip"}, "gzip"},
	{"case-insensitive", []string{"ZSTD;Q=1"}, "zstd"},
	{"equal q prefers zstd to gzip", []string{"gzip, zstd"}, "zstd"},
	{"q decides", []string{"br;q=0.5, gzip;q=0.8"}, "gzip"},
	{"q thousandths", []string{"br;q=0.001, gzip;q=0.002"}, "gzip"},
	{"gzip refused, star takes the rest", []string{"gzip;q=0, *"}, "br"},
	{"star", []string{"*"}, "br"},
	{"star refused leaves identity", []string{"*;q=0"}, "identity"},
	{"star low, gzip high", []string{"*;q=0.1, gzip"}, "gzip"},
	{"identity refused, nothing else: identity anyway", []string{"identity;q=0"}, "identity"},
	{"identity refused, gzip low", []string{"identity;q=0, gzip;q=0.1"}, "gzip"},
	{"identity preferred by q", []string{"identity, br;q=0.9"}, "identity"},
	{"identity ties lose to a coding", []string{"gzip;q=0.5, identity;q=0.5"}, "gzip"},
	{"unknown codings", []string{"deflate, compress"}, "identity"},
	{"bad q drops the element", []string{"br;q=1.5, gzip;q=abc, zstd;q=0.1234"}, "identity"},
	{"q=1.000", []string{"zstd;q=1.000"}, "zstd"},
	{"whitespace", []string{" br ;q=0.5 ,\tgzip;q=0.4"}, "br"},
	{"other parameters ignored", []string{"gzip;level=9"}, "gzip"},
	{"first mention wins", []string{"br;q=0, br"}, "identity"},
	{"two field lines", []string{"gzip", "br"}, "br"},
	{"empty elements", []string{",, gzip ,,"}, "gzip"},
	{"over-long field", []string{strings.Repeat("x, ", 400) + "br"}, "identity"},
}

// TestAcceptEncoding serves the table over a socket: the chosen sidecar, its
// Content-Encoding, and Vary: Accept-Encoding on every answer, identity ones
// included; a font gets none of it.
func TestAcceptEncoding(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"all.css": cssBody, "all.css.br": "br body", "all.css.zst": "zstd body", "all.css.gz": "gzip body",
		"f.woff2": fontBody, "f.woff2.br": "br body", "f.woff2.gz": "gzip body",
	})
	h := newHarness(t, assets.Options{Root: root}, assets.Hints{Vary: hintsVary})
	for _, tc := range acceptEncodingTests {
		t.Run(tc.desc, func(t *testing.T) {
			headers := make([]string, len(tc.lines))
			for i, l := range tc.lines {
				headers[i] = "Accept-Encoding: " + l
			}
			r := h.get(t, "GET", "/all.css", headers...)
			wantBody, wantEncoding := tc.want+" body", tc.want
			if tc.want == "identity" {
				wantBody, wantEncoding = cssBody, ""
			}
			if r.status != 200 || r.body != wantBody {
				t.Errorf("css: %d %q, want 200 %q", r.status, r.body, wantBody)
			}
			checkHeaders(t, r.header, map[string]string{
				"Content-Encoding": wantEncoding, "Vary": "Origin, Accept-Encoding", "Content-Length": strconv.Itoa(len(wantBody)),
			})
			font := h.get(t, "GET", "/f.woff2", headers...)
			if font.body != fontBody {
				t.Errorf("woff2: %q, want the font itself", font.body)
			}
			checkHeaders(t, font.header, map[string]string{"Content-Encoding": "", "Vary": "Origin"})
		})
	}
}

// TestChooseEncodingMissingSidecars checks that only existing sidecars are
// chosen, the next acceptable one taking over.
func TestChooseEncodingMissingSidecars(t *testing.T) {
	tests := []struct {
		desc  string
		lines []string
		have  [3]bool // br, zstd, gzip
		want  string
	}{
		{"no br sidecar", []string{"br, gzip"}, [3]bool{false, false, true}, "gzip"},
		{"no sidecars", []string{"br, zstd, gzip"}, [3]bool{}, "identity"},
		{"only a refused one", []string{"gzip;q=0, br"}, [3]bool{false, false, true}, "identity"},
		{"star picks what exists", []string{"*"}, [3]bool{false, true, true}, "zstd"},
		{"lower q that exists", []string{"br, gzip;q=0.2"}, [3]bool{false, false, true}, "gzip"},
	}
	for _, tc := range tests {
		if got := assets.ChooseEncoding(tc.lines, tc.have); got != tc.want {
			t.Errorf("%s: %q with %v gives %q, want %q", tc.desc, tc.lines, tc.have, got, tc.want)
		}
	}
	for _, tc := range acceptEncodingTests {
		if got := assets.ChooseEncoding(tc.lines, [3]bool{true, true, true}); got != tc.want {
			t.Errorf("%s: %q gives %q, want %q", tc.desc, tc.lines, got, tc.want)
		}
	}
}

// FuzzAcceptEncoding checks the parser against a plain reference reading of
// RFC 9110 §12.5.3, for every set of sidecars.
func FuzzAcceptEncoding(f *testing.F) {
	for _, tc := range acceptEncodingTests {
		f.Add(strings.Join(tc.lines, "\n"), tc.lines == nil)
	}
	f.Fuzz(func(t *testing.T, field string, absent bool) {
		var lines []string
		if !absent {
			lines = strings.Split(field, "\n")
		}
		for mask := range 8 {
			have := [3]bool{mask&1 != 0, mask&2 != 0, mask&4 != 0}
			got, want := assets.ChooseEncoding(lines, have), referenceChoose(lines, have)
			if got != want {
				t.Fatalf("%q with %v: got %q, reference %q", lines, have, got, want)
			}
		}
	})
}

var qvalue = regexp.MustCompile(`^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$`)

// referenceChoose is a deliberately naive second reading of the rules.
func referenceChoose(lines []string, have [3]bool) string {
	if lines == nil {
		return "identity"
	}
	for _, l := range lines {
		if len(l) > 1024 {
			return "identity"
		}
	}
	q := map[string]int{}
	for elem := range strings.SplitSeq(strings.Join(lines, ","), ",") {
		params := strings.Split(elem, ";")
		coding := asciiLower(strings.Trim(params[0], " \t"))
		weight, ok := 1000, true
		for _, p := range params[1:] {
			name, value, _ := strings.Cut(strings.Trim(p, " \t"), "=")
			if asciiLower(strings.Trim(name, " \t")) == "q" {
				value = strings.Trim(value, " \t")
				ok = qvalue.MatchString(value)
				if ok {
					x, _ := strconv.ParseFloat(value, 64)
					weight = int(x*1000 + 0.5)
				}
				break
			}
		}
		if coding == "x-gzip" {
			coding = "gzip"
		}
		switch coding {
		case "br", "zstd", "gzip", "identity", "*":
			if _, seen := q[coding]; ok && !seen {
				q[coding] = weight
			}
		}
	}
	// A coding not named takes the q of "*" (0 without one). identity, unless
	// named with a higher q, only serves when no coding is acceptable.
	w := func(coding string) int {
		if v, ok := q[coding]; ok {
			return v
		}
		return q["*"]
	}
	best, bestW := "identity", 0
	for i, coding := range []string{"br", "zstd", "gzip"} {
		if have[i] && w(coding) > bestW {
			best, bestW = coding, w(coding)
		}
	}
	if best != "identity" && q["identity"] > bestW {
		return "identity"
	}
	return best
}

func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}
