package peers

import (
	"slices"
	"testing"
)

// Each start of a corsedge with flags gets its own {run} files, and the
// harness finds a flag's value on the command line it was started with.
func TestCorsedgeWithFlags(t *testing.T) {
	env := &Env{Dir: "/w", Bin: "/w/bin"}
	p := CorsedgeWith("log", "corsedge, log", "-access-log", RunPrefix+".access.log", "-access-log-sample=0.5")
	if !p.Metrics || p.Name != "corsedge-log" {
		t.Fatalf("CorsedgeWith = %+v: want Metrics and the name corsedge-log", p)
	}
	a, _ := p.command(env, "127.0.0.1:1001", Launch{adminAddr: "127.0.0.1:9"})
	b, _ := p.command(env, "127.0.0.1:1002", Launch{adminAddr: "127.0.0.1:9"})
	if a[0] != "/w/bin/corsedge" || !slices.Contains(a, "-admin") {
		t.Errorf("command %q: want corsedge with the harness's own flags first", a)
	}
	for _, tc := range []struct {
		desc   string
		args   []string
		flag   string
		want   string
		wantOK bool
	}{
		{desc: "a value after the flag", args: a, flag: "-access-log", want: "/w/corsedge-log-127.0.0.1-1001.access.log", wantOK: true},
		{desc: "another start, another file", args: b, flag: "-access-log", want: "/w/corsedge-log-127.0.0.1-1002.access.log", wantOK: true},
		{desc: "flag=value", args: a, flag: "-access-log-sample", want: "0.5", wantOK: true},
		{desc: "the harness's own flag", args: a, flag: "-poll", want: "0", wantOK: true},
		{desc: "absent", args: a, flag: "-access-log-format"},
		{desc: "a prefix is not the flag", args: a, flag: "-access"},
	} {
		got, ok := (&Process{args: tc.args}).Flag(tc.flag)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("%s: Flag(%q) = %q, %t; want %q, %t", tc.desc, tc.flag, got, ok, tc.want, tc.wantOK)
		}
	}
}
