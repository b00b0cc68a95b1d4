package header_test

import (
	"strings"
	"testing"

	"corsedge/rules/internal/header"
)

// allowsCases are shared by the test, the fuzz seeds and the benchmark.
var allowsCases = []struct {
	desc    string
	allowed []string
	list    string
	want    bool
}{
	{"empty list asks for nothing", []string{}, "", true},
	{"one allowed name", []string{"content-type"}, "content-type", true},
	{"case-insensitive request", []string{"content-type"}, "Content-Type", true},
	{"case-insensitive config", []string{"X-Request-ID"}, "x-request-id", true},
	{"several, as Chromium sends them", []string{"content-type", "x-request-id"}, "content-type,x-request-id", true},
	{"spaces and tabs around elements", []string{"a", "b"}, " a ,\tb\t", true},
	{"empty elements are ignored", []string{"a", "b"}, ",a,,b,", true},
	{"one name not allowed refuses the list", []string{"a"}, "a,b", false},
	{"nothing allowed", []string{}, "a", false},
	{"wildcard covers any token", []string{"*"}, "x-anything,content-type", true},
	{"wildcard never covers authorization", []string{"*"}, "authorization", false},
	{"wildcard never covers Authorization in any case", []string{"*"}, "x-a,AUTHORIZATION", false},
	{"authorization listed explicitly", []string{"*", "Authorization"}, "authorization,x-a", true},
	{"authorization alone", []string{"authorization"}, "Authorization", true},
	{"not a token", []string{"*"}, "a b", false},
	{"not a token: quote", []string{"*"}, `"a"`, false},
	{"not a token: non-ASCII", []string{"*"}, "x-é", false},
	{"name longer than the bound", []string{"*"}, strings.Repeat("a", header.MaxNameLen+1), false},
	{"name at the bound", []string{strings.Repeat("a", header.MaxNameLen)}, strings.Repeat("A", header.MaxNameLen), true},
	{"too many elements, all empty", []string{"*"}, strings.Repeat(",", 10000), false},
	{"too many names", []string{"*"}, strings.Repeat("a,", header.MaxElements+1), false},
	{"elements at the bound", []string{"*"}, strings.Repeat("a,", header.MaxElements-1) + "a", true},
	{"longer than the list bound", []string{"*"}, strings.Repeat(" ", header.MaxListLen+1), false},
}

func TestSetAllows(t *testing.T) {
	for _, tc := range allowsCases {
		t.Run(tc.desc, func(t *testing.T) {
			s := header.NewSet(tc.allowed)
			if got := s.Allows([]byte(tc.list)); got != tc.want {
				t.Errorf("NewSet(%q).Allows(%.60q) = %v, want %v", tc.allowed, tc.list, got, tc.want)
			}
		})
	}
}

func TestAllowsAllocatesNothing(t *testing.T) {
	s := header.NewSet([]string{"content-type", "x-request-id"})
	for _, tc := range allowsCases {
		list := []byte(tc.list)
		if n := testing.AllocsPerRun(100, func() { s.Allows(list) }); n != 0 {
			t.Errorf("%s: Allows allocates %v times", tc.desc, n)
		}
	}
}

func FuzzAllows(f *testing.F) {
	for _, tc := range allowsCases {
		f.Add(tc.list)
	}
	named := header.NewSet([]string{"content-type", "x-a"})
	any := header.NewSet([]string{"*"})
	f.Fuzz(func(t *testing.T, list string) {
		b := []byte(list)
		gotNamed, gotAny := named.Allows(b), any.Allows(b)
		if gotNamed && !gotAny {
			t.Errorf("named set allows %q but * does not", list)
		}
		if gotAny && len(b) > header.MaxListLen {
			t.Errorf("allowed a list over the bound: %d bytes", len(b))
		}
		if gotAny && strings.Contains(strings.ToLower(list), "authorization") {
			for _, e := range strings.Split(list, ",") {
				if strings.EqualFold(strings.Trim(e, " \t"), "authorization") {
					t.Errorf("* covered authorization in %q", list)
				}
			}
		}
		if string(b) != list {
			t.Errorf("Allows changed its input")
		}
	})
}

func BenchmarkAllows(b *testing.B) {
	ten := []string{"content-type", "x-request-id", "x-a", "x-b", "x-c", "x-d", "x-e", "x-f", "x-g", "x-h"}
	s := header.NewSet(ten)
	for _, bc := range []struct {
		name string
		list string
	}{
		{"acrh=typical", "content-type,x-request-id"},
		{"acrh=ten", strings.Join(ten, ",")},
		{"acrh=hostile-commas", strings.Repeat(",", 10000)},
		{"acrh=hostile-long", strings.Repeat("x", 100000)},
	} {
		list := []byte(bc.list)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.Allows(list)
			}
		})
	}
}
