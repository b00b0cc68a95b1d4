package load

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The rotation pairs each Origin with its site's path, refuses one in ten
// (in every ten positions from a multiple of ten, when Count is one too)
// with another site's origin, and covers every (site, slot) pair.
func TestSitesAt(t *testing.T) {
	s := &Sites{Count: 50, Prefix: "/s/", File: "f.woff2", Refused: 403}
	own := regexp.MustCompile(`^https://([a-z]+\.)*site(\d+)\.example$`)
	pairs := map[string]bool{}
	refused := 0
	for i := range int64(10 * s.Count) {
		origin, path, allowed := s.At(i)
		m := own.FindStringSubmatch(origin)
		if m == nil {
			t.Fatalf("position %d: origin %q", i, origin)
		}
		if want := "/s/" + m[2] + "/f.woff2"; (path == want) != allowed {
			t.Errorf("position %d: %s for %s, allowed = %v", i, origin, path, allowed)
		}
		if !allowed {
			refused++
		}
		if i%10 == 9 && refused != 1 {
			t.Fatalf("positions %d..%d: %d refused, want one in every ten", i-9, i, refused)
		} else if i%10 == 9 {
			refused = 0
		}
		pairs[origin+" "+path] = true
	}
	if got, want := len(pairs), 5*s.Count; got != want {
		t.Errorf("%d distinct (origin, path) pairs over 10×Count positions, want %d (five origins a site)", got, want)
	}
}

// RefusedDomain changes the refused positions' origins only: the allowed
// positions are today's, each refused origin is the next site's name in
// the other domain, and there are as many distinct refused origins (one a
// site) and pairs as without it.
func TestSitesRefusedDomain(t *testing.T) {
	today := &Sites{Count: 30, Prefix: "/s/", File: "f", Refused: 403}
	other := *today
	other.RefusedDomain = "invalid"
	foreign := regexp.MustCompile(`^https://site(\d+)\.invalid$`)
	refusedOrigins, pairs := map[string]bool{}, map[string]bool{}
	for i := range int64(10 * today.Count) {
		o0, p0, a0 := today.At(i)
		o1, p1, a1 := other.At(i)
		if p0 != p1 || a0 != a1 {
			t.Fatalf("position %d: path or allowed changed: %s %v, %s %v", i, p0, a0, p1, a1)
		}
		pairs[o1+" "+p1] = true
		if a1 {
			if o0 != o1 {
				t.Errorf("position %d: allowed origin %s became %s", i, o0, o1)
			}
			continue
		}
		if want := strings.Replace(o0, ".example", ".invalid", 1); o1 != want || !foreign.MatchString(o1) {
			t.Errorf("position %d: refused origin %s, want %s", i, o1, want)
		}
		refusedOrigins[o1] = true
	}
	if len(refusedOrigins) != today.Count || len(pairs) != 5*today.Count {
		t.Errorf("%d distinct refused origins and %d pairs, want %d and %d", len(refusedOrigins), len(pairs), today.Count, 5*today.Count)
	}
}

// The built-in generator sends each position's origin to its path and
// expects the refused status only for the refused positions.
func TestGoGeneratorSites(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		site := strings.Split(r.URL.Path, "/")[2]
		host := strings.TrimPrefix(r.Header.Get("Origin"), "https://")
		mu.Lock()
		seen[r.Header.Get("Origin")+" "+r.URL.Path] = true
		mu.Unlock()
		if host == "site"+site+".example" || strings.HasSuffix(host, ".site"+site+".example") {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.WriteHeader(http.StatusForbidden)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct {
		desc    string
		refused int
		errors  bool
	}{
		{desc: "refused positions answered 403 as expected", refused: 403},
		{desc: "a 403 where the allowed status is expected is an error", refused: 0, errors: true},
	}
	for _, tc := range tests {
		req := Request{Method: "OPTIONS", Sites: &Sites{Count: 20, Prefix: "/s/", File: "f", Refused: tc.refused}}
		res, err := Go{}.Run(context.Background(), req, Options{Addr: addr, Conns: 4, Duration: 5 * time.Second, Requests: 200, Status: 204})
		if err != nil {
			t.Fatalf("%s: %v", tc.desc, err)
		}
		if tc.errors != (res.Errors > 0) {
			t.Errorf("%s: %d requests, %d errors (%s)", tc.desc, res.Requests, res.Errors, res.FirstError)
		}
	}
	if len(seen) != 100 {
		t.Errorf("%d distinct (origin, path) pairs over 200 requests to 20 sites, want 100", len(seen))
	}
}

// wrk's script rotates the same way and counts the refusals it sends, so
// that its 403s are told from real errors.
func TestParseWrkSites(t *testing.T) {
	s := &Sites{Count: 10, Prefix: "/s/", File: "f", Refused: 403}
	line := func(status, refused string) []byte {
		return []byte("wrk-result requests=1000 duration_us=1000000 p50_us=1 p99_us=2 connect=0 read=0 write=0 status=" + status + " timeout=0 refused=" + refused + "\n")
	}
	tests := []struct {
		desc            string
		status, refused string
		errors          bool
	}{
		{desc: "every refusal answered 403", status: "100", refused: "100"},
		{desc: "some refusals still in flight at the end", status: "97", refused: "100"},
		{desc: "more 403s than refusals sent", status: "130", refused: "100", errors: true},
		{desc: "refusals answered otherwise", status: "10", refused: "100", errors: true},
	}
	for _, tc := range tests {
		res, err := parseWrk(line(tc.status, tc.refused), 204, s, 4)
		if err != nil {
			t.Fatal(err)
		}
		if res.Requests != 1000 || tc.errors != (res.Errors > 0) {
			t.Errorf("%s: %d requests, %d errors (%s)", tc.desc, res.Requests, res.Errors, res.FirstError)
		}
	}
	script := wrkScript(Request{Method: "OPTIONS", Path: "/s/N/f", Sites: s}, 7)
	for _, want := range []string{"function request", "wrk.format(nil, prefix .. site", "refused = refused + 1", "refused=%d", `local refused_domain = "example"`} {
		if !strings.Contains(script, want) {
			t.Errorf("script lacks %q:\n%s", want, script)
		}
	}
}

// wrk's Lua computes the same rotation as Sites.At, with and without
// RefusedDomain: over a second of wrk against a server that records what
// it is sent, the (origin, path) pairs are exactly those of every position.
func TestWrkSitesRotation(t *testing.T) {
	bin := FindWrk()
	if bin == "" {
		t.Skip("wrk is not installed")
	}
	for _, domain := range []string{"", "invalid"} {
		s := &Sites{Count: 12, Prefix: "/s/", File: "f", RefusedDomain: domain}
		var mu sync.Mutex
		seen := map[string]bool{}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen[r.Header.Get("Origin")+" "+r.URL.Path] = true
			mu.Unlock()
		}))
		w := &Wrk{Path: bin, Threads: 2, Dir: t.TempDir()}
		res, err := w.Run(context.Background(), Request{Method: "GET", Path: "/s/N/f", Sites: s},
			Options{Addr: strings.TrimPrefix(srv.URL, "http://"), Conns: 4, Duration: time.Second, Status: 200})
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{}
		for i := range int64(10 * s.Count) {
			origin, path, _ := s.At(i)
			want[origin+" "+path] = true
		}
		if res.Requests < 10*int64(s.Count) || !maps.Equal(seen, want) {
			t.Errorf("domain %q: %d requests; wrk sent %d pairs, At has %d; wrk's alone: %v", domain, res.Requests, len(seen), len(want),
				slices.Sorted(func(yield func(string) bool) {
					for k := range seen {
						if !want[k] && !yield(k) {
							return
						}
					}
				}))
		}
	}
}
