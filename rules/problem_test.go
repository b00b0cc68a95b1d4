package rules_test

import (
	"errors"
	"io/fs"
	"slices"
	"testing"

	"corsedge/rules"
)

func TestDescribe(t *testing.T) {
	_, invalid := rules.Parse([]byte("version = 1\n[[rule]]\nname = \"x\"\npaths = [\"/a/\"]\norigins = [\"null\", \"https://A.com\"]\n"))
	readErr := &fs.PathError{Op: "open", Path: "r.toml", Err: fs.ErrNotExist}
	for _, c := range []struct {
		desc  string
		err   error
		file  string
		want  []string
		first string // FirstError's text, "" for nil
	}{
		{desc: "problems in file order, each FILE:LINE:COL, warnings too", err: invalid, file: "r.toml",
			want: []string{
				`r.toml:5:12: warning: rule #1 ("x") origins[0]: "null": null is sent by sandboxed iframes, file: pages and redirects; any site can produce it`,
				`r.toml:5:20: rule #1 ("x") origins[1]: "https://A.com": host must be lowercase`,
			},
			first: `5:20: rule #1 ("x") origins[1]: "https://A.com": host must be lowercase`},
		{desc: "without a file name: LINE:COL only", err: invalid,
			want: []string{
				`5:12: warning: rule #1 ("x") origins[0]: "null": null is sent by sandboxed iframes, file: pages and redirects; any site can produce it`,
				`5:20: rule #1 ("x") origins[1]: "https://A.com": host must be lowercase`,
			},
			first: `5:20: rule #1 ("x") origins[1]: "https://A.com": host must be lowercase`},
		{desc: "a problem without a position: FILE: reason", err: errors.Join(&rules.Problem{Reason: "empty file"}), file: "r.toml",
			want: []string{"r.toml: empty file"}, first: "empty file"},
		{desc: "an error without problems is its own line", err: readErr, file: "r.toml",
			want: []string{"r.toml: open r.toml: file does not exist"}},
		{desc: "the same without a file name", err: readErr, want: []string{"open r.toml: file does not exist"}},
		{desc: "warnings only: no first error", err: errors.Join(&rules.Problem{Line: 1, Col: 1, Reason: "w", Warning: true}),
			want: []string{"1:1: warning: w"}},
		{desc: "nil: nothing", err: nil, want: nil},
	} {
		t.Run(c.desc, func(t *testing.T) {
			if got := rules.Describe(c.err, c.file); !slices.Equal(got, c.want) {
				t.Errorf("Describe = %q\nwant %q", got, c.want)
			}
			got := ""
			if p := rules.FirstError(c.err); p != nil {
				got = p.Error()
			}
			if got != c.first {
				t.Errorf("FirstError = %q, want %q", got, c.first)
			}
		})
	}
}
