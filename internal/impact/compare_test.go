package impact_test

import (
	"strconv"
	"strings"
	"testing"

	"corsedge/internal/impact"
	"corsedge/rules"
)

const before = `version = 1
[[rule]]
name = "a"
paths = ["/s/1/"]
origins = ["https://a.example", "https://*.a.example"]
max_age = "10m"
[[rule]]
name = "b"
paths = ["/s/2/"]
origins = ["https://b.example"]
`

func parse(t *testing.T, src string) *rules.Table {
	t.Helper()
	table, err := rules.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return table
}

func TestCompare(t *testing.T) {
	old := parse(t, before)
	pairs := []impact.Pair{
		{Origin: "https://a.example", Path: "/s/1/", Count: 5},
		{Origin: "https://x.a.example", Path: "/s/1/", Count: 7},
		{Origin: "https://b.example", Path: "/s/2/", Count: 3},
		{Origin: "https://c.example", Path: "/s/2/", Count: 2},
		{Origin: "https://b.example", Path: "/s/2/", Count: 1}, // counted with the first
	}
	for _, tc := range []struct {
		desc    string
		edit    func(string) string
		want    []string // "COUNT KIND ORIGIN PATH [HEADER...]"
		refused uint64
	}{
		{desc: "no edit", edit: func(s string) string { return s }},
		{desc: "a subdomain pattern dropped", edit: func(s string) string {
			return strings.Replace(s, `, "https://*.a.example"`, "", 1)
		}, want: []string{"7 allowed->refused https://x.a.example /s/1/ Access-Control-Allow-Origin Access-Control-Allow-Methods Access-Control-Max-Age"}, refused: 7},
		{desc: "an origin added", edit: func(s string) string {
			return strings.Replace(s, `["https://b.example"]`, `["https://b.example", "https://c.example"]`, 1)
		}, want: []string{"2 refused->allowed https://c.example /s/2/ Access-Control-Allow-Origin Access-Control-Allow-Methods Access-Control-Max-Age"}},
		{desc: "max-age and credentials changed", edit: func(s string) string {
			return strings.Replace(s, `max_age = "10m"`, `max_age = "1m"`+"\ncredentials = true", 1)
		}, want: []string{
			"7 headers https://x.a.example /s/1/ Access-Control-Max-Age Access-Control-Allow-Credentials",
			"5 headers https://a.example /s/1/ Access-Control-Max-Age Access-Control-Allow-Credentials",
		}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			r := impact.Compare(old, parse(t, tc.edit(before)), pairs)
			var got []string
			for _, c := range r.Changes {
				s := strings.Join([]string{itoa(c.Count), string(c.Kind), c.Origin, c.Path}, " ")
				for _, h := range c.Headers {
					s += " " + h.Name
				}
				got = append(got, s)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if r.Pairs != 4 || r.Requests != 18 || r.AllowedRequests != 16 || r.RefusedRequests != tc.refused {
				t.Errorf("totals: %d pairs, %d requests, %d allowed, %d refused; want 4, 18, 16, %d",
					r.Pairs, r.Requests, r.AllowedRequests, r.RefusedRequests, tc.refused)
			}
		})
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func TestReadPairs(t *testing.T) {
	for _, tc := range []struct {
		desc, in, want, err string
	}{
		{desc: "count given and left out", in: "# traffic\nhttps://a.example /s/1/ 40\n\nhttps://b.example /s/2/x.woff2\n",
			want: "https://a.example /s/1/ 40|https://b.example /s/2/x.woff2 1|"},
		{desc: "a path missing", in: "https://a.example\n", err: "line 1: want ORIGIN PATH [COUNT]"},
		{desc: "a bad count", in: "\nhttps://a.example / many\n", err: `line 2: count "many"`},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			pairs, err := impact.ReadPairs(strings.NewReader(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			var got string
			for _, p := range pairs {
				got += p.Origin + " " + p.Path + " " + itoa(p.Count) + "|"
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
