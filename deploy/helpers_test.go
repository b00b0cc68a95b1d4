package deploy_test

import (
	"maps"
	"slices"
	"testing"
)

// The readers the kit's checks rest on, on the forms the kit's files use.
func TestReaders(t *testing.T) {
	words := []struct {
		desc, line string
		want       []string
		ok         bool
	}{
		{"desc=double quotes keep spaces", `CGO_ENABLED=0 go build -ldflags="-s -w" -o /out/x .`, []string{"CGO_ENABLED=0", "go", "build", "-ldflags=-s -w", "-o", "/out/x", "."}, true},
		{"desc=single quotes and backslashes", `a 'b c' d\ e "f\"g"`, []string{"a", "b c", "d e", `f"g`}, true},
		{"desc=more than one command", `go mod download && go build .`, nil, false},
		{"desc=unclosed quote", `go build "x`, []string{"go", "build", "x"}, false},
	}
	for _, tc := range words {
		got, ok := shellWords(tc.line)
		if ok != tc.ok || (ok && !slices.Equal(got, tc.want)) {
			t.Errorf("%s: shellWords(%q) = %q, %v; want %q, %v", tc.desc, tc.line, got, ok, tc.want, tc.ok)
		}
	}
	addrs := []struct {
		desc string
		args []string
		want []string
	}{
		{"desc=value replaced in place", []string{"-rules", "r", "-admin", ":9090"}, []string{"-rules", "r", "-admin", "A", "-addr", "P"}},
		{"desc=flag=value form", []string{"--addr=:80", "-admin=:9090"}, []string{"-addr", "P", "-admin", "A"}},
		{"desc=absent flags added", nil, []string{"-addr", "P", "-admin", "A"}},
	}
	for _, tc := range addrs {
		got := withAddrs(tc.args, map[string]string{"addr": "P", "admin": "A"})
		// added flags come in map order: compare as sets of pairs
		if !samePairs(got, tc.want) {
			t.Errorf("%s: withAddrs(%q) = %q, want %q", tc.desc, tc.args, got, tc.want)
		}
	}
	inv := parseArgs(t, "TestReaders", []string{"-addr=:80", "--admin", ":1", "-poll", "0", "-tls-addr", ":443", "-tls-cert", "a.crt", "-tls-key", "a.key", "-tls-cert=b.crt", "-tls-key", "b.key"})
	if inv.cmd != "serve" || inv.values["addr"] != ":80" || inv.values["admin"] != ":1" || inv.values["rules"] != "rules.toml" || !inv.set["poll"] || inv.set["rules"] {
		t.Errorf("parseArgs: %+v", inv)
	}
	if !slices.Equal(inv.all["tls-cert"], []string{"a.crt", "b.crt"}) || !slices.Equal(inv.all["tls-key"], []string{"a.key", "b.key"}) {
		t.Errorf("parseArgs: repeated -tls-cert %q, -tls-key %q; want both pairs in order", inv.all["tls-cert"], inv.all["tls-key"])
	}
	listeners := []struct {
		desc string
		args []string
		want []string // the flags loopback moves
	}{
		{"desc=HTTPS on: -tls-addr moved too", []string{"-tls-addr", ":443", "-tls-cert", "c", "-tls-key", "k"}, []string{"addr", "admin", "tls-addr"}},
		{"desc=HTTPS off: -tls-addr not added", nil, []string{"addr", "admin"}},
		{"desc=admin off stays off", []string{"-admin", ""}, []string{"addr"}},
	}
	for _, tc := range listeners {
		got := slices.Sorted(maps.Keys(loopback(parseArgs(t, tc.desc, tc.args))))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: loopback moves %q, want %q", tc.desc, got, tc.want)
		}
	}
}

// samePairs compares two flag lists as sets of (flag, value) pairs.
func samePairs(a, b []string) bool {
	pairs := func(s []string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(s); i += 2 {
			m[s[i]] = s[i+1]
		}
		return m
	}
	pa, pb := pairs(a), pairs(b)
	if len(a) != len(b) || len(pa) != len(pb) {
		return false
	}
	for k, v := range pa {
		if pb[k] != v {
			return false
		}
	}
	return true
}
