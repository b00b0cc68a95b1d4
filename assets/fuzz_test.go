package assets_test

import (
	"strings"
	"testing"

	"corsedge/assets"
)

// etagListCases are If-Match / If-None-Match values against the tag "abc";
// they seed FuzzETagList too.
var etagListCases = []struct {
	desc         string
	list         string
	strong, weak bool // the strong (If-Match) and weak (If-None-Match) outcome
}{
	{"equal", `"abc"`, true, true},
	{"star", `*`, true, true},
	{"weak", `W/"abc"`, false, true},
	{"other", `"abd"`, false, false},
	{"in a list", `"x", W/"y",  "abc"`, true, true},
	{"empty elements", `, ,"abc",`, true, true},
	{"tabs", "\t\"abc\"\t", true, true},
	{"unquoted", `abc`, false, false},
	{"unterminated", `"abc`, false, false},
	{"junk after the tag", `"abc"x`, false, false},
	{"junk before a later match", `"x"y, "abc"`, false, false},
	{"lowercase w", `w/"abc"`, false, false},
	{"empty", ``, false, false},
	{"many weak tags", strings.Repeat(`W/"x", `, 500) + `"abc"`, true, true},
}

func TestETagList(t *testing.T) {
	for _, tc := range etagListCases {
		t.Run(tc.desc, func(t *testing.T) {
			if got := assets.ETagListMatches(tc.list, `"abc"`, true); got != tc.strong {
				t.Errorf("strong: %v, want %v", got, tc.strong)
			}
			if got := assets.ETagListMatches(tc.list, `"abc"`, false); got != tc.weak {
				t.Errorf("weak: %v, want %v", got, tc.weak)
			}
		})
	}
}

// FuzzETagList checks the list parser against properties that hold for any
// input: no panic, a match needs the tag or "*" in the list, strong implies
// weak, and a valid tag first in the list always matches.
func FuzzETagList(f *testing.F) {
	for _, tc := range etagListCases {
		f.Add(tc.list, `"abc"`)
	}
	f.Add(`"", *`, `""`)
	f.Fuzz(func(t *testing.T, list, etag string) {
		strong := assets.ETagListMatches(list, etag, true)
		weak := assets.ETagListMatches(list, etag, false)
		if strong && !weak {
			t.Errorf("strong match without a weak one")
		}
		if weak && !strings.Contains(list, "*") && (etag == "" || !strings.Contains(list, etag)) {
			t.Errorf("match without the tag or * in the list")
		}
		if !validTag(etag) {
			return
		}
		// A valid tag first in the list matches, whatever follows it.
		if !assets.ETagListMatches(etag+" , "+list, etag, true) {
			t.Errorf("strong: %s first in the list does not match", etag)
		}
		if !assets.ETagListMatches("W/"+etag+","+list, etag, false) {
			t.Errorf("weak: W/%s first in the list does not match", etag)
		}
	})
}

// validTag reports whether s is a strong entity-tag (RFC 9110 §8.8.3).
func validTag(s string) bool {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return false
	}
	for _, c := range []byte(s[1 : len(s)-1]) {
		if c < 0x21 || c == '"' || c == 0x7f {
			return false
		}
	}
	return true
}

// fileNameCases are cleaned request paths and whether the guard lets them
// through; they seed FuzzFileName too.
var fileNameCases = []struct {
	desc string
	path string
	ok   bool
}{
	{"file", "/css/a.css", true},
	{"dots inside a name", "/a..b/c.d.", true},
	{"percent left literal", "/%2e%2e/a", true},
	{"root", "/", false},
	{"empty", "", false},
	{"relative", "css/a.css", false},
	{"dotfile", "/.env", false},
	{"dot-directory", "/.git/config", false},
	{"dot-dot", "/css/../a", false},
	{"dot segment", "/css/./a", false},
	{"trailing slash", "/css/", false},
	{"empty segment", "/css//a.css", false},
	{"backslash", `/css\..\a`, false},
	{"NUL", "/a\x00.css", false},
	{"DEL", "/a\x7f.css", false},
	{"newline", "/a\n.css", false},
	{"longest", "/" + strings.Repeat("a", assets.MaxPathLen-1), true},
	{"too long", "/" + strings.Repeat("a", assets.MaxPathLen), false},
}

func TestFileName(t *testing.T) {
	for _, tc := range fileNameCases {
		t.Run(tc.desc, func(t *testing.T) {
			if name, ok := assets.FileName(tc.path); ok != tc.ok || (ok && name != tc.path[1:]) {
				t.Errorf("FileName(%q) = %q, %v; want ok %v", tc.path, name, ok, tc.ok)
			}
		})
	}
}

// FuzzFileName checks the path guard against a plain model of its rule: it
// accepts exactly the paths of at most MaxPathLen bytes whose segments are
// non-empty, start with no dot and hold no backslash or control byte.
func FuzzFileName(f *testing.F) {
	for _, tc := range fileNameCases {
		f.Add(tc.path)
	}
	f.Fuzz(func(t *testing.T, p string) {
		name, ok := assets.FileName(p)
		if want := servable(p); ok != want {
			t.Fatalf("FileName(%q) ok %v, want %v", p, ok, want)
		}
		if ok && name != p[1:] {
			t.Fatalf("FileName(%q) = %q, want the path without its slash", p, name)
		}
	})
}

func servable(p string) bool {
	if len(p) > assets.MaxPathLen || !strings.HasPrefix(p, "/") {
		return false
	}
	if strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return false
	}
	for seg := range strings.SplitSeq(p[1:], "/") {
		if seg == "" || seg[0] == '.' {
			return false
		}
	}
	return true
}
