package peers

import (
	"os"
	"os/exec"
	"regexp"
	"testing"

	"corsedge/bench/internal/fixture"
)

// The regexps nginx gets must agree with corsedge's pattern semantics; Go's
// regexp and nginx's PCRE agree on these simple expressions.
func TestWildcardRegexps(t *testing.T) {
	var res []*regexp.Regexp
	for _, s := range wildcardRegexps() {
		res = append(res, regexp.MustCompile(s))
	}
	tests := []struct {
		desc   string
		origin string
		want   bool
	}{
		{desc: "one label", origin: "https://a.example.org", want: true},
		{desc: "several labels", origin: "https://a.b-c.example.net", want: true},
		{desc: "the apex itself", origin: "https://example.org"},
		{desc: "a suffix that is no label boundary", origin: "https://evilexample.org"},
		{desc: "the domain inside another", origin: "https://example.org.evil.net"},
		{desc: "http scheme", origin: "http://a.example.org"},
		{desc: "uppercase", origin: "https://A.example.org"},
		{desc: "a port", origin: "https://a.example.org:8443"},
	}
	for _, tc := range tests {
		got := false
		for _, re := range res {
			got = got || re.MatchString(tc.origin)
		}
		if got != tc.want {
			t.Errorf("%s: %q matched = %v, want %v", tc.desc, tc.origin, got, tc.want)
		}
	}
}

func TestHeaderListRegexp(t *testing.T) {
	re := regexp.MustCompile("(?i)" + headerListRegexp())
	tests := []struct {
		desc, acrh string
		want       bool
	}{
		{desc: "one allowed", acrh: "content-type", want: true},
		{desc: "several, no spaces, as browsers send", acrh: "content-type,x-api-key,x-session-id", want: true},
		{desc: "spaces and case", acrh: " Content-Type , X-Request-ID ", want: true},
		{desc: "one not allowed", acrh: "content-type,authorization"},
		{desc: "a prefix of an allowed name", acrh: "x-request"},
		{desc: "an allowed name as a prefix", acrh: "x-request-idx"},
	}
	for _, tc := range tests {
		if got := re.MatchString(tc.acrh); got != tc.want {
			t.Errorf("%s: %q matched = %v, want %v", tc.desc, tc.acrh, got, tc.want)
		}
	}
}

// TestNginxConf has nginx itself check the configuration the harness writes.
func TestNginxConf(t *testing.T) {
	nginx := NginxBinary()
	if nginx == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("nginx is not installed; .ci/run installs it")
		}
		t.Skip("nginx is not installed (apt-get install nginx-light); CI runs this test")
	}
	dir := t.TempDir()
	files, err := fixture.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		desc string
		tls  bool
	}{{desc: "plain HTTP"}, {desc: "HTTPS", tls: true}} {
		env := &Env{Dir: t.TempDir(), Workers: 2, Files: files}
		args, err := nginxCommand(env, "127.0.0.1:8088", Launch{TLS: tc.tls})
		if err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(nginx, append([]string{"-t"}, args[1:]...)...).CombinedOutput(); err != nil {
			t.Errorf("%s: nginx -t: %v\n%s", tc.desc, err, out)
		}
	}
}
