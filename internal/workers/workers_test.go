package workers

import (
	"bytes"
	"errors"
	"net"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestMergeExpositions(t *testing.T) {
	for _, tc := range []struct {
		desc    string
		sources []string
		want    string
	}{
		{
			"a family's metadata once, then each worker's samples, labelled first",
			[]string{
				"# HELP a_total requests\n# TYPE a_total counter\na_total{kind=\"x\"} 1\na_total{kind=\"y\"} 2\n# TYPE b gauge\nb 3\n",
				"# HELP a_total requests\n# TYPE a_total counter\na_total{kind=\"x\"} 4\na_total{kind=\"y\"} 5\n# TYPE b gauge\nb 6\n",
			},
			"# HELP a_total requests\n# TYPE a_total counter\n" +
				"a_total{worker=\"0\",kind=\"x\"} 1\na_total{worker=\"0\",kind=\"y\"} 2\na_total{worker=\"1\",kind=\"x\"} 4\na_total{worker=\"1\",kind=\"y\"} 5\n" +
				"# TYPE b gauge\nb{worker=\"0\"} 3\nb{worker=\"1\"} 6\n",
		},
		{
			"a histogram's _bucket, _sum and _count stay in its family",
			[]string{
				"# TYPE d histogram\nd_bucket{le=\"1\"} 1\nd_bucket{le=\"+Inf\"} 2\nd_sum 0.5\nd_count 2\n",
				"# TYPE d histogram\nd_bucket{le=\"1\"} 0\nd_bucket{le=\"+Inf\"} 1\nd_sum 3\nd_count 1\n",
			},
			"# TYPE d histogram\n" +
				"d_bucket{worker=\"0\",le=\"1\"} 1\nd_bucket{worker=\"0\",le=\"+Inf\"} 2\nd_sum{worker=\"0\"} 0.5\nd_count{worker=\"0\"} 2\n" +
				"d_bucket{worker=\"1\",le=\"1\"} 0\nd_bucket{worker=\"1\",le=\"+Inf\"} 1\nd_sum{worker=\"1\"} 3\nd_count{worker=\"1\"} 1\n",
		},
		{
			"samples with no metadata, an empty label set, a family only one worker has, a timestamp",
			[]string{
				"up 1\nc{} 2 1700000000\n",
				"up 1\n# TYPE only gauge\nonly 7\n# some comment\nc{} 3\n",
			},
			"up{worker=\"0\"} 1\nup{worker=\"1\"} 1\nc{worker=\"0\"} 2 1700000000\nc{worker=\"1\"} 3\n# TYPE only gauge\nonly{worker=\"1\"} 7\n",
		},
		{
			"a sample after a family that is not its own starts its own",
			[]string{"# TYPE e counter\ne 1\ne_other 2\n", "# TYPE e counter\ne 3\ne_other 4\n"},
			"# TYPE e counter\ne{worker=\"0\"} 1\ne{worker=\"1\"} 3\ne_other{worker=\"0\"} 2\ne_other{worker=\"1\"} 4\n",
		},
	} {
		var sources []exposition
		for i, s := range tc.sources {
			sources = append(sources, exposition{label: `worker="` + string(rune('0'+i)) + `"`, text: []byte(s)})
		}
		var b bytes.Buffer
		mergeExpositions(&b, sources)
		if b.String() != tc.want {
			t.Errorf("%s:\n got:\n%s\nwant:\n%s", tc.desc, b.String(), tc.want)
		}
	}
}

func TestParseCount(t *testing.T) {
	for _, tc := range []struct {
		desc, v string
		want    int
		wantErr bool
	}{
		{"a count", "4", 4, false},
		{"one: no supervisor", "1", 1, false},
		{"auto: the CPUs this process may use", "auto", runtime.GOMAXPROCS(0), false},
		{"zero", "0", 0, true},
		{"negative", "-2", 0, true},
		{"over the bound", "1025", 0, true},
		{"not a number", "four", 0, true},
	} {
		n, err := ParseCount(tc.v)
		if n != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("%s: ParseCount(%q) = %d, %v", tc.desc, tc.v, n, err)
		}
	}
}

// Listen with reuseport lets every worker's socket bind the same port;
// without it the second bind fails, as net.Listen's does.
func TestListenReusePort(t *testing.T) {
	first, err := Listen("http#0", "127.0.0.1:0", true)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	addr := first.Addr().String()
	second, err := Listen("http#1", addr, true)
	if err != nil {
		t.Fatalf("a second SO_REUSEPORT socket on %s: %v", addr, err)
	}
	second.Close()
	if ln, err := Listen("admin", addr, false); !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), "admin on "+addr) {
		if ln != nil {
			ln.Close()
		}
		t.Errorf("a plain socket on the port of SO_REUSEPORT ones: %v, want EADDRINUSE naming the socket", err)
	}
}

// A socket on ":port" takes IPv4 and IPv6 as net.Listen's does
// (fasthttp's reuseport package binds such a socket to IPv4 only).
func TestListenDualStack(t *testing.T) {
	ln, err := Listen("http#0", ":0", true)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	hosts := []string{"127.0.0.1"}
	if l, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Logf("internal/workers: no IPv6 loopback here (%v): IPv4 alone is checked", err)
	} else {
		l.Close()
		hosts = append(hosts, "::1")
	}
	for _, host := range hosts {
		c, err := net.Dial("tcp", net.JoinHostPort(host, port))
		if err != nil {
			t.Errorf("to a socket on :%s from %s: %v", port, host, err)
			continue
		}
		c.Close()
	}
}

// A socket bound anew for a worker that could not start takes no
// connection until it listens; then the kernel gives it a share.
func TestBindReusePortListensLate(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", ":0"} {
		first, err := Listen("http#0", addr, true)
		if err != nil {
			t.Fatal(err)
		}
		defer first.Close()
		bound := first.Addr().String()
		f, err := bindReusePort(bound)
		if err != nil {
			t.Fatalf("%s: bindReusePort(%s): %v", addr, bound, err)
		}
		defer f.Close()
		dial := func(n int) {
			for range n {
				c, err := net.Dial("tcp", bound)
				if err != nil {
					t.Fatalf("%s: dial: %v", bound, err)
				}
				c.Close()
			}
		}
		dial(20)
		if got := accepted(t, first); got != 20 {
			t.Errorf("%s: the listening socket accepted %d of 20 while the other was only bound", bound, got)
		}
		if err := startListening(f.Fd()); err != nil {
			t.Fatal(err)
		}
		second, err := net.FileListener(f)
		if err != nil {
			t.Fatal(err)
		}
		defer second.Close()
		dial(60)
		if a, b := accepted(t, first), accepted(t, second); b == 0 || a+b != 60 {
			t.Errorf("%s: once both listen, %d and %d of 60 accepted; want both some", bound, a, b)
		}
	}
}

// accepted counts the connections waiting in ln's queue.
func accepted(t *testing.T, ln net.Listener) int {
	t.Helper()
	tl := ln.(*net.TCPListener)
	n := 0
	for {
		tl.SetDeadline(time.Now().Add(100 * time.Millisecond))
		c, err := tl.Accept()
		if err != nil {
			return n
		}
		c.Close()
		n++
	}
}

// A worker's environment has its own markers and GOMAXPROCS=1, never an
// inherited one; FromEnv reads them back.
func TestChildEnvironment(t *testing.T) {
	env := childEnv([]string{"PATH=/bin", "CORSEDGE_WORKER=7", "CORSEDGE_WORKER_FDS=http=9", "GOMAXPROCS=8", "HOME=/root"}, 2, "http=3,admin=4")
	want := []string{"PATH=/bin", "HOME=/root", "CORSEDGE_WORKER=2", "CORSEDGE_WORKER_FDS=http=3,admin=4", "GOMAXPROCS=1"}
	if !slices.Equal(env, want) {
		t.Errorf("childEnv = %q, want %q", env, want)
	}
	if c, err := FromEnv(); c != nil || err != nil {
		t.Errorf("FromEnv with no %s: %+v, %v; want nil", envIndex, c, err)
	}
	for _, tc := range []struct {
		desc, index, fds string
		want             int // -1: an error
	}{
		{"a worker", "2", "http=3,https=4,admin=5", 2},
		{"an index that is no number", "x", "http=3", -1},
		{"a descriptor that is no number", "0", "http=three", -1},
		{"a standard descriptor", "0", "http=1", -1},
	} {
		t.Setenv(envIndex, tc.index)
		t.Setenv(envFDs, tc.fds)
		c, err := FromEnv()
		switch {
		case tc.want < 0 && err == nil:
			t.Errorf("%s: FromEnv accepted %s=%s %s=%s", tc.desc, envIndex, tc.index, envFDs, tc.fds)
		case tc.want >= 0 && (err != nil || c.Index != tc.want || c.fds["https"] != 4):
			t.Errorf("%s: FromEnv = %+v, %v", tc.desc, c, err)
		}
	}
}
