package rules_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"corsedge/rules"
)

// want is one expected problem: its position ("line:col", "0:0" when it has
// none, "line:*" for any column: syntax errors are placed by the TOML
// parser), where it is (Problem.Where), a part of its reason, and whether it
// is a warning.
type want struct {
	at, where, reason string
	warning           bool
}

func (w want) String() string {
	kind := "error"
	if w.warning {
		kind = "warning"
	}
	return fmt.Sprintf("%s %s %s: ...%s...", w.at, kind, w.where, w.reason)
}

func (w want) matches(p *rules.Problem) bool {
	at := fmt.Sprintf("%d:%d", p.Line, p.Col)
	if strings.HasSuffix(w.at, ":*") && p.Col > 0 {
		at = fmt.Sprintf("%d:*", p.Line)
	}
	return at == w.at && p.Where() == w.where &&
		strings.Contains(p.Reason, w.reason) && p.Warning == w.warning
}

// rule1 starts a file with one rule for /a/; a case appends its other keys.
const rule1 = "version = 1\n[[rule]]\npaths = [\"/a/\"]\n"

// problemCases hold DESIGN.md "Matching" 5 and the rules.toml contract:
// every error and warning Parse reports, in file order. valid says whether
// the file parses (then the problems are its warnings).
var problemCases = []struct {
	desc  string
	src   string
	valid bool
	want  []want
}{
	// The version and empty or truncated files.
	{desc: "empty file", src: "", want: []want{{"0:0", "", "empty file", false}}},
	{desc: "whitespace-only file", src: " \n\t\r\n  \n", want: []want{{"0:0", "", "empty file", false}}},
	{desc: "comment-only file", src: "# rules\n", want: []want{{"0:0", "", "version = 1 is required", false}}},
	{desc: "version missing", src: "[defaults]\nmax_age = \"1h\"\n", want: []want{{"0:0", "", "version = 1 is required", false}}},
	{desc: "version missing before a rule", src: "[[rule]]\npaths = [\"/a/\"]\norigins = [\"*\"]\n",
		want: []want{{"0:0", "", "version = 1 is required", false}}},
	{desc: "version 2", src: "version = 2\n", want: []want{{"1:1", "version", "unsupported version", false}}},
	{desc: "version 0", src: "version = 0\n", want: []want{{"1:1", "version", "unsupported version", false}}},
	{desc: "version as a string", src: "version = \"1\"\n", want: []want{{"1:1", "version", "must be the integer 1, not a string", false}}},
	{desc: "version as a float", src: "version = 1.0\n", want: []want{{"1:1", "version", "must be the integer 1, not a float", false}}},
	{desc: "version twice", src: "version = 1\nversion = 1\n", want: []want{{"2:*", "", "syntax error", false}}},
	{desc: "syntax error in a header", src: "version = 1\n[[rule]\npaths = []\n", want: []want{{"2:*", "", "syntax error", false}}},
	{desc: "syntax error: unterminated string", src: rule1 + "origins = [\"*]\n", want: []want{{"4:*", "", "syntax error", false}}},
	{desc: "syntax error: unterminated array", src: rule1 + "origins = [\"*\"\n", want: []want{{"4:*", "", "syntax error", false}}},
	{desc: "only version: valid, empty, warned", src: "version = 1\n", valid: true,
		want: []want{{"0:0", "", "no [[rule]]", true}}},
	{desc: "defaults and cache without rules: valid, warned",
		src:   "version = 1\n[defaults]\nmax_age = 60\n[[cache]]\npaths = [\"/a/\"]\ncontrol = \"no-cache\"\n",
		valid: true, want: []want{{"0:0", "", "no [[rule]]", true}}},

	// Positions in the ways TOML lets a file be written.
	{desc: "byte order mark: columns counted after it", src: "\xef\xbb\xbfversion = 2\n", want: []want{{"1:1", "version", "unsupported version", false}}},
	{desc: "CRLF line ends", src: "version = 1\r\n[[rule]]\r\npaths = [\"a/\"]\r\norigins = [\"*\"]\r\n", want: []want{
		{"3:10", "rule #1 paths[0]", `must start with "/"`, false}}},
	{desc: "tabs count one column", src: "version = 1\n[[rule]]\n\tpaths\t=\t[\t\"a/\"]\norigins = [\"*\"]\n", want: []want{
		{"3:12", "rule #1 paths[0]", `must start with "/"`, false}}},
	{desc: "an element on its own line after a comment",
		src:  "version = 1\n[[rule]]\npaths = [\"/a/\"]\norigins = [\n  # partners\n  \"https://ok.com\",\n  \"https://A.com\", # bad\n]\n",
		want: []want{{"7:3", "rule #1 origins[1]", "host must be lowercase", false}}},
	{desc: "literal and multi-line strings", src: rule1 + "origins = ['https://A.com', \"\"\"x\"\"\"]\n", want: []want{
		{"4:12", "rule #1 origins[0]", "host must be lowercase", false},
		{"4:29", "rule #1 origins[1]", `want "*", "null" or scheme://host[:port]`, false}}},
	{desc: "a quoted key", src: "version = 1\n[[rule]]\n\"paths\" = [\"a/\"]\norigins = [\"*\"]\n", want: []want{
		{"3:12", "rule #1 paths[0]", `must start with "/"`, false}}},
	{desc: "blanks inside a header", src: "version = 1\n[[ rule ]]\npaths = [\"a/\"]\norigins = [\"*\"]\n", want: []want{
		{"3:10", "rule #1 paths[0]", `must start with "/"`, false}}},

	// Unknown keys, each named by its key path.
	{desc: "unknown top-level key", src: "version = 1\ncolour = 1\n", want: []want{
		{"0:0", "", "no [[rule]]", true},
		{"2:1", "colour", "unknown key", false}}},
	{desc: "unknown top-level table", src: "version = 1\n\n[colour]\nred = 1\n", want: []want{
		{"0:0", "", "no [[rule]]", true},
		{"3:1", "colour", "unknown key", false}}},
	{desc: "unknown key in [defaults]", src: "version = 1\n[defaults]\ncolour = 1\n", want: []want{
		{"0:0", "", "no [[rule]]", true},
		{"3:1", "[defaults] colour", "unknown key", false}}},
	{desc: "unknown dotted key in [defaults]: at the section", src: "version = 1\n[defaults]\ncolour.red = 1\n", want: []want{
		{"0:0", "", "no [[rule]]", true},
		{"2:1", "[defaults] colour", "unknown key", false}}},
	{desc: "unknown key in [[rule]]", src: rule1 + "origins = [\"*\"]\ncolour = 1\n", want: []want{
		{"5:1", "rule #1 colour", "unknown key", false}}},
	{desc: "unknown key in a named [[rule]]", src: rule1 + "name = \"fonts\"\norigins = [\"*\"]\n  colour = 1\n", want: []want{
		{"6:3", `rule #1 ("fonts") colour`, "unknown key", false}}},
	{desc: "unknown key in the second [[rule]]", src: rule1 + "origins = [\"*\"]\n[[rule]]\npaths = [\"/b/\"]\norigins = [\"*\"]\nttl = 1\n",
		want: []want{{"8:1", "rule #2 ttl", "unknown key", false}}},
	{desc: "unknown sub-table of a [[rule]]: at the rule", src: rule1 + "origins = [\"*\"]\n[rule.extra]\nx = 1\n", want: []want{
		{"2:1", "rule #1 extra", "unknown key", false}}},
	{desc: "unknown key in [[cache]]", src: "version = 1\n[[cache]]\npaths = [\"/a/\"]\ncontrol = \"no-cache\"\nttl = 60\n", want: []want{
		{"0:0", "", "no [[rule]]", true},
		{"5:1", "cache #1 ttl", "unknown key", false}}},

	// Types, each at the key or the array element.
	{desc: "rule as a plain value", src: "version = 1\nrule = 1\n", want: []want{
		{"0:0", "", "no [[rule]]", true},
		{"2:1", "rule", "must be an array of tables", false}}},
	{desc: "rule as a plain table", src: "version = 1\n[rule]\npaths = [\"/a/\"]\n", want: []want{
		{"0:0", "", "no [[rule]]", true},
		{"2:1", "rule", "must be an array of tables", false}}},
	{desc: "rules as an inline array of tables: valid", src: "version = 1\nrule = [{paths = [\"/a/\"], origins = [\"*\"]}]\n", valid: true},
	{desc: "an inline array of tables with a plain value", src: "version = 1\nrule = [{paths = [\"/a/\"], origins = [\"*\"]}, 1]\n", want: []want{
		{"2:45", "rule[1]", "must be a table: write [[rule]]", false}}},
	{desc: "credentials as an array", src: rule1 + "origins = [\"*\"]\ncredentials = [true]\n", want: []want{
		{"5:1", "rule #1 credentials", "must be true or false, not an array", false}}},
	{desc: "name as an array of inline tables", src: rule1 + "origins = [\"*\"]\nname = [{a = 1}]\n", want: []want{
		{"5:1", "rule #1 name", "must be a string, not an array", false}}},
	{desc: "name as an array of tables: at the rule", src: rule1 + "origins = [\"*\"]\n[[rule.name]]\na = 1\n", want: []want{
		{"2:1", "rule #1 name", "must be a string, not an array of tables", false}}},
	{desc: "defaults as a plain value", src: "version = 1\ndefaults = 1\n", want: []want{
		{"0:0", "", "no [[rule]]", true},
		{"2:1", "defaults", "must be a table", false}}},
	{desc: "credentials as a string", src: rule1 + "origins = [\"*\"]\ncredentials = \"yes\"\n", want: []want{
		{"5:1", "rule #1 credentials", "must be true or false, not a string", false}}},
	{desc: "timing as an integer", src: rule1 + "origins = [\"*\"]\ntiming = 1\n", want: []want{
		{"5:1", "rule #1 timing", "must be true or false, not an integer", false}}},
	{desc: "private_network in [defaults] as a string", src: "version = 1\n[defaults]\nprivate_network = \"no\"\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"*\"]\n",
		want: []want{{"3:1", "[defaults] private_network", "must be true or false, not a string", false}}},
	{desc: "origins as a string", src: rule1 + "origins = \"*\"\n", want: []want{
		{"4:1", "rule #1 origins", "must be an array of strings, not a string", false}}},
	{desc: "origins element as an integer", src: rule1 + "origins = [\"*\", 1]\n", want: []want{
		{"4:17", "rule #1 origins[1]", "must be a string, not an integer", false}}},
	{desc: "paths element as an integer: reported once", src: "version = 1\n[[rule]]\npaths = [1]\norigins = [\"*\"]\n", want: []want{
		{"3:10", "rule #1 paths[0]", "must be a string, not an integer", false}}},
	{desc: "origins element as an integer: reported once", src: rule1 + "origins = [1]\n", want: []want{
		{"4:12", "rule #1 origins[0]", "must be a string, not an integer", false}}},
	{desc: "headers as an inline table", src: rule1 + "origins = [\"*\"]\nheaders = {a = 1}\n", want: []want{
		{"5:1", "rule #1 headers", "must be an array of strings, not a table", false}}},
	{desc: "name as an integer", src: rule1 + "name = 5\norigins = [\"*\"]\n", want: []want{
		{"4:1", "rule #1 name", "must be a string, not an integer", false}}},
	{desc: "corp as a boolean", src: rule1 + "origins = [\"*\"]\ncorp = true\n", want: []want{
		{"5:1", "rule #1 corp", "must be a string, not a boolean", false}}},
	{desc: "max_age as a float", src: rule1 + "origins = [\"*\"]\nmax_age = 1.5\n", want: []want{
		{"5:1", "rule #1 max_age", "not a float", false}}},
	{desc: "max_age as a date", src: rule1 + "origins = [\"*\"]\nmax_age = 1979-05-27\n", want: []want{
		{"5:1", "rule #1 max_age", "not a date or time", false}}},
	{desc: "cache control as an integer", src: rule1 + "origins = [\"*\"]\n[[cache]]\npaths = [\"/a/\"]\ncontrol = 60\n", want: []want{
		{"7:1", "cache #1 control", "must be a string, not an integer", false}}},

	// "*" and null with credentials, set here or inherited from [defaults].
	{desc: "* origin with credentials", src: rule1 + "origins = [\"*\"]\ncredentials = true\n", want: []want{
		{"4:12", "rule #1 origins[0]", `"*" cannot be used with credentials`, false}}},
	{desc: "* origin among others with credentials", src: rule1 + "origins = [\"https://a.com\", \"*\"]\ncredentials = true\n", want: []want{
		{"4:29", "rule #1 origins[1]", `"*" cannot be used with credentials`, false}}},
	{desc: "* methods with credentials", src: rule1 + "origins = [\"https://a.com\"]\ncredentials = true\nmethods = [\"GET\", \"*\"]\n", want: []want{
		{"6:19", "rule #1 methods[1]", `"*" cannot be used with credentials`, false}}},
	{desc: "* headers with credentials", src: rule1 + "origins = [\"https://a.com\"]\ncredentials = true\nheaders = [\"*\"]\n", want: []want{
		{"6:12", "rule #1 headers[0]", `"*" cannot be used with credentials`, false}}},
	{desc: "* expose with credentials", src: rule1 + "origins = [\"https://a.com\"]\ncredentials = true\nexpose = [\"*\"]\n", want: []want{
		{"6:11", "rule #1 expose[0]", `"*" cannot be used with credentials`, false}}},
	{desc: "* origin with credentials inherited from [defaults]",
		src: "version = 1\n[defaults]\ncredentials = true\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"*\"]\n", want: []want{
			{"6:12", "rule #1 origins[0]", `"*" cannot be used with credentials`, false}}},
	{desc: "* headers inherited from [defaults] with the rule's credentials: at the rule",
		src:  "version = 1\n[defaults]\nheaders = [\"*\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://a.com\"]\ncredentials = true\n",
		want: []want{{"4:1", "rule #1 headers (inherited from [defaults])", `"*" cannot be used with credentials`, false}}},
	{desc: "* methods and credentials both in [defaults]",
		src: "version = 1\n[defaults]\ncredentials = true\nmethods = [\"*\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://a.com\"]\n",
		want: []want{
			{"4:12", "[defaults] methods[0]", `"*" cannot be used with credentials`, false},
			{"5:1", "rule #1 methods (inherited from [defaults])", `"*" cannot be used with credentials`, false}}},
	{desc: "* with credentials set false by the rule: valid",
		src:   "version = 1\n[defaults]\ncredentials = true\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"*\"]\ncredentials = false\nheaders = [\"*\"]\n",
		valid: true},
	{desc: "null with credentials", src: rule1 + "origins = [\"null\"]\ncredentials = true\n", want: []want{
		{"4:12", "rule #1 origins[0]", "null cannot be used with credentials", false}}},

	// Methods and header names.
	{desc: "forbidden methods, any case", src: rule1 + "origins = [\"*\"]\nmethods = [\"CONNECT\", \"TRACE\", \"TRACK\", \"connect\"]\n", want: []want{
		{"5:12", "rule #1 methods[0]", "forbidden method", false},
		{"5:23", "rule #1 methods[1]", "forbidden method", false},
		{"5:32", "rule #1 methods[2]", "forbidden method", false},
		{"5:41", "rule #1 methods[3]", "forbidden method", false}}},
	{desc: "forbidden method in [defaults]", src: "version = 1\n[defaults]\nmethods = [\"TRACE\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"*\"]\n",
		want: []want{{"3:12", "[defaults] methods[0]", "forbidden method", false}}},
	{desc: "methods that are not tokens", src: rule1 + "origins = [\"*\"]\nmethods = [\"GET POST\", \"\", \"GET,POST\"]\n", want: []want{
		{"5:12", "rule #1 methods[0]", "not a method name", false},
		{"5:24", "rule #1 methods[1]", "not a method name", false},
		{"5:28", "rule #1 methods[2]", "not a method name", false}}},
	{desc: "header names that are not tokens", src: rule1 + "origins = [\"*\"]\nheaders = [\"x y\", \"x:y\", \"\", \"é\", \"x\\u0000\"]\n", want: []want{
		{"5:12", "rule #1 headers[0]", "not a header name", false},
		{"5:19", "rule #1 headers[1]", "not a header name", false},
		{"5:26", "rule #1 headers[2]", "not a header name", false},
		{"5:30", "rule #1 headers[3]", "not a header name", false},
		{"5:36", "rule #1 headers[4]", "not a header name", false}}}, // columns count bytes: "é" is two
	{desc: "expose name that is not a token", src: rule1 + "origins = [\"*\"]\nexpose = [\"etag, x-a\"]\n", want: []want{
		{"5:11", "rule #1 expose[0]", "not a header name", false}}},
	{desc: "cookie and set-cookie in headers, any case", src: rule1 + "origins = [\"*\"]\nheaders = [\"Cookie\", \"x-a\", \"SET-COOKIE\"]\n", want: []want{
		{"5:12", "rule #1 headers[0]", "never let a page send Cookie or Set-Cookie", false},
		{"5:29", "rule #1 headers[2]", "never let a page send Cookie or Set-Cookie", false}}},
	{desc: "set-cookie and cookie in expose", src: rule1 + "origins = [\"*\"]\nexpose = [\"set-cookie\", \"Cookie\"]\n", want: []want{
		{"5:11", "rule #1 expose[0]", "never expose Set-Cookie or Cookie", false},
		{"5:25", "rule #1 expose[1]", "never expose Set-Cookie or Cookie", false}}},
	{desc: "cookie in [defaults] headers: reported there", src: "version = 1\n[defaults]\nheaders = [\"cookie\"]\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"*\"]\n", want: []want{
		{"3:12", "[defaults] headers[0]", "never let a page send", false}}},
	{desc: "wildcards over ICANN public suffixes with credentials", src: rule1 + "origins = [\"https://*.com\", \"https://*.co.uk:*\", \"https://*.foo.ck\"]\ncredentials = true\n", want: []want{
		{"4:12", "rule #1 origins[0]", `"com" is a public suffix: anyone can register a site under it, and this pattern matches them all, with credentials = true`, false},
		{"4:29", "rule #1 origins[1]", `"co.uk" is a public suffix`, false},
		{"4:50", "rule #1 origins[2]", `"foo.ck" is a public suffix`, false}}},
	{desc: "wildcards over private-section public suffixes with credentials", src: rule1 + "origins = [\"https://*.github.io\", \"https://*.herokuapp.com\"]\ncredentials = true\n", want: []want{
		{"4:12", "rule #1 origins[0]", `"github.io" is a public suffix`, false},
		{"4:35", "rule #1 origins[1]", `"herokuapp.com" is a public suffix`, false}}},
	{desc: "wildcard over a public suffix, credentials from [defaults]", src: "version = 1\n[defaults]\ncredentials = true\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"https://*.xn--p1ai\"]\n", want: []want{
		{"6:12", "rule #1 origins[0]", `"xn--p1ai" is a public suffix`, false}}},

	// Origin patterns.
	{desc: "origin with a path", src: rule1 + "origins = [\"https://a.com/x\"]\n", want: []want{{"4:12", "rule #1 origins[0]", "path not allowed", false}}},
	{desc: "origin with a query", src: rule1 + "origins = [\"https://a.com?x\"]\n", want: []want{{"4:12", "rule #1 origins[0]", "query not allowed", false}}},
	{desc: "origin with a fragment", src: rule1 + "origins = [\"https://a.com#x\"]\n", want: []want{{"4:12", "rule #1 origins[0]", "fragment not allowed", false}}},
	{desc: "origin with a trailing slash", src: rule1 + "origins = [\"https://a.com/\"]\n", want: []want{{"4:12", "rule #1 origins[0]", "trailing slash", false}}},
	{desc: "origin with an uppercase host", src: rule1 + "origins = [\"https://A.com\"]\n", want: []want{{"4:12", "rule #1 origins[0]", "host must be lowercase", false}}},
	{desc: "wildcard with an uppercase host", src: rule1 + "origins = [\"https://*.Example.com\"]\n", want: []want{{"4:12", "rule #1 origins[0]", "host must be lowercase", false}}},
	{desc: "origin with a non-ASCII host", src: rule1 + "origins = [\"https://bücher.de\"]\n", want: []want{{"4:12", "rule #1 origins[0]", "host must be ASCII", false}}},
	{desc: "origin with port 0", src: rule1 + "origins = [\"https://a.com:0\"]\n", want: []want{{"4:12", "rule #1 origins[0]", "port 0", false}}},
	{desc: "origin with an out-of-range port", src: rule1 + "origins = [\"https://a.com:65536\"]\n", want: []want{{"4:12", "rule #1 origins[0]", "out of range", false}}},
	{desc: "origin with a leading-zero port", src: rule1 + "origins = [\"https://a.com:080\"]\n", want: []want{{"4:12", "rule #1 origins[0]", "leading zero", false}}},
	{desc: "origin with a named port", src: rule1 + "origins = [\"https://a.com:https\"]\n", want: []want{{"4:12", "rule #1 origins[0]", "port must be decimal", false}}},
	{desc: "origin with an empty port", src: rule1 + "origins = [\"https://a.com:\"]\n", want: []want{{"4:12", "rule #1 origins[0]", "empty port", false}}},
	{desc: "origin with an unknown scheme", src: rule1 + "origins = [\"ftp://a.com\"]\n", want: []want{{"4:12", "rule #1 origins[0]", "unknown scheme", false}}},
	{desc: "origin with an uppercase scheme", src: rule1 + "origins = [\"HTTPS://a.com\"]\n", want: []want{{"4:12", "rule #1 origins[0]", "scheme must be lowercase", false}}},
	{desc: "origin without a scheme", src: rule1 + "origins = [\"a.com\"]\n", want: []want{{"4:12", "rule #1 origins[0]", "scheme://host", false}}},
	{desc: "origin with userinfo", src: rule1 + "origins = [\"https://u@a.com\"]\n", want: []want{{"4:12", "rule #1 origins[0]", "userinfo", false}}},
	{desc: "origin with a trailing dot", src: rule1 + "origins = [\"https://a.com.\"]\n", want: []want{{"4:12", "rule #1 origins[0]", "trailing dot", false}}},
	{desc: "star inside a label", src: rule1 + "origins = [\"https://a*.com\"]\n", want: []want{{"4:12", "rule #1 origins[0]", "whole first label", false}}},
	{desc: "star as the host", src: rule1 + "origins = [\"https://*\"]\n", want: []want{{"4:12", "rule #1 origins[0]", "whole first label", false}}},
	{desc: "wildcard over an IP address", src: rule1 + "origins = [\"https://*.0.0.1\"]\n", want: []want{{"4:12", "rule #1 origins[0]", "wildcard over an IP", false}}},
	{desc: "IPv6 not as browsers serialize it", src: rule1 + "origins = [\"http://[::0001]\"]\n", want: []want{{"4:12", "rule #1 origins[0]", "IPv6", false}}},
	{desc: "uppercase Null", src: rule1 + "origins = [\"Null\"]\n", want: []want{{"4:12", "rule #1 origins[0]", `"null" must be lowercase`, false}}},
	{desc: "empty origin", src: rule1 + "origins = [\"\"]\n", want: []want{{"4:12", "rule #1 origins[0]", "empty pattern", false}}},
	{desc: "origins missing", src: rule1, want: []want{{"2:1", "rule #1", "origins is required", false}}},
	{desc: "origins empty", src: rule1 + "origins = []\n", want: []want{{"4:1", "rule #1 origins", "is empty", false}}},
	{desc: "each bad origin reported",
		src: rule1 + "origins = [\"https://a.com/\", \"https://ok.com\", \"HTTP://b.com\"]\n", want: []want{
			{"4:12", "rule #1 origins[0]", "trailing slash", false},
			{"4:48", "rule #1 origins[2]", "scheme must be lowercase", false}}},

	// max_age and corp.
	{desc: "max_age negative", src: rule1 + "origins = [\"*\"]\nmax_age = -1\n", want: []want{{"5:1", "rule #1 max_age", "outside 0..24h", false}}},
	{desc: "max_age negative duration", src: rule1 + "origins = [\"*\"]\nmax_age = \"-1s\"\n", want: []want{{"5:1", "rule #1 max_age", "outside 0..24h", false}}},
	{desc: "max_age over 24h in seconds", src: rule1 + "origins = [\"*\"]\nmax_age = 86401\n", want: []want{{"5:1", "rule #1 max_age", "outside 0..24h", false}}},
	{desc: "max_age over 24h as a duration", src: rule1 + "origins = [\"*\"]\nmax_age = \"24h0m1s\"\n", want: []want{{"5:1", "rule #1 max_age", "outside 0..24h", false}}},
	{desc: "max_age huge", src: rule1 + "origins = [\"*\"]\nmax_age = 9223372036854775807\n", want: []want{{"5:1", "rule #1 max_age", "outside 0..24h", false}}},
	{desc: "max_age not whole seconds", src: rule1 + "origins = [\"*\"]\nmax_age = \"1.5s\"\n", want: []want{{"5:1", "rule #1 max_age", "whole seconds", false}}},
	{desc: "max_age in milliseconds", src: rule1 + "origins = [\"*\"]\nmax_age = \"500ms\"\n", want: []want{{"5:1", "rule #1 max_age", "whole seconds", false}}},
	{desc: "max_age not a duration", src: rule1 + "origins = [\"*\"]\nmax_age = \"soon\"\n", want: []want{{"5:1", "rule #1 max_age", "must be a duration", false}}},
	{desc: "max_age in [defaults] out of range", src: "version = 1\n[defaults]\nmax_age = \"25h\"\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"*\"]\n",
		want: []want{{"3:1", "[defaults] max_age", "outside 0..24h", false}}},
	{desc: "max_age 0 and 24h: valid", src: rule1 + "origins = [\"*\"]\nmax_age = 0\n[[rule]]\npaths = [\"/b/\"]\norigins = [\"*\"]\nmax_age = \"24h\"\n",
		valid: true, want: []want{{"9:1", "rule #2 max_age", "over 2h", true}}},
	{desc: "unknown corp", src: rule1 + "origins = [\"*\"]\ncorp = \"cross\"\n", want: []want{{"5:1", "rule #1 corp", "unknown value", false}}},
	{desc: "corp values are case-sensitive", src: rule1 + "origins = [\"*\"]\ncorp = \"Cross-Origin\"\n", want: []want{{"5:1", "rule #1 corp", "unknown value", false}}},
	{desc: "unknown corp in [defaults]", src: "version = 1\n[defaults]\ncorp = \"none\"\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"*\"]\n",
		want: []want{{"3:1", "[defaults] corp", "unknown value", false}}},
	{desc: "every corp value: valid",
		src: "version = 1\n" +
			"[[rule]]\npaths = [\"/a/\"]\norigins = [\"*\"]\ncorp = \"same-origin\"\n" +
			"[[rule]]\npaths = [\"/b/\"]\norigins = [\"*\"]\ncorp = \"same-site\"\n" +
			"[[rule]]\npaths = [\"/c/\"]\norigins = [\"*\"]\ncorp = \"cross-origin\"\n" +
			"[[rule]]\npaths = [\"/d/\"]\norigins = [\"*\"]\ncorp = \"\"\n",
		valid: true},

	// Paths.
	{desc: "paths missing", src: "version = 1\n[[rule]]\norigins = [\"*\"]\n", want: []want{{"2:1", "rule #1", "paths is required", false}}},
	{desc: "paths empty", src: "version = 1\n[[rule]]\npaths = []\norigins = [\"*\"]\n", want: []want{{"3:1", "rule #1 paths", "is empty", false}}},
	{desc: "bad paths",
		src: "version = 1\n[[rule]]\npaths = [\"a/\", \"/a?b\", \"/a#b\", \"/a%2fb\", \"/a/../b\", \"//a\", \"/a/./\", \"\", \"/a\\u0001\"]\norigins = [\"*\"]\n",
		want: []want{
			{"3:10", "rule #1 paths[0]", `must start with "/"`, false},
			{"3:16", "rule #1 paths[1]", "query or fragment", false},
			{"3:24", "rule #1 paths[2]", "query or fragment", false},
			{"3:32", "rule #1 paths[3]", "written decoded", false},
			{"3:42", "rule #1 paths[4]", "not a clean path", false},
			{"3:53", "rule #1 paths[5]", "not a clean path", false},
			{"3:60", "rule #1 paths[6]", "not a clean path", false},
			{"3:69", "rule #1 paths[7]", `must start with "/"`, false},
			{"3:73", "rule #1 paths[8]", "control characters", false}}},
	{desc: "a path ending in a partial segment: valid", src: "version = 1\n[[rule]]\npaths = [\"/js/v\", \"/\"]\norigins = [\"*\"]\n", valid: true},

	// [[cache]].
	{desc: "cache control missing: at the entry", src: rule1 + "origins = [\"*\"]\n[[cache]]\npaths = [\"/a/\"]\n", want: []want{
		{"5:1", "cache #1 control", "is required", false}}},
	{desc: "cache control blank", src: rule1 + "origins = [\"*\"]\n[[cache]]\npaths = [\"/a/\"]\ncontrol = \" \"\n", want: []want{
		{"7:1", "cache #1 control", "is required", false}}},
	{desc: "cache control with a line break", src: rule1 + "origins = [\"*\"]\n[[cache]]\npaths = [\"/a/\"]\ncontrol = \"a\\nb\"\n", want: []want{
		{"7:1", "cache #1 control", "not a valid header value", false}}},
	{desc: "cache path not clean", src: rule1 + "origins = [\"*\"]\n[[cache]]\npaths = [\"/a/../b\"]\ncontrol = \"no-cache\"\n", want: []want{
		{"6:10", "cache #1 paths[0]", "not a clean path", false}}},
	{desc: "cache paths missing: at the entry", src: rule1 + "origins = [\"*\"]\n[[cache]]\ncontrol = \"no-cache\"\n", want: []want{
		{"5:1", "cache #1 paths", "is empty", false}}},
	{desc: "cache paths as a string: reported once", src: rule1 + "origins = [\"*\"]\n[[cache]]\npaths = \"/a/\"\ncontrol = \"no-cache\"\n", want: []want{
		{"6:1", "cache #1 paths", "must be an array of strings", false}}},

	// Warnings.
	{desc: "http origin with credentials: warned", src: rule1 + "origins = [\"http://a.com\", \"http://*.a.com:*\"]\ncredentials = true\n", valid: true, want: []want{
		{"4:12", "rule #1 origins[0]", "http:// origin with credentials", true},
		{"4:28", "rule #1 origins[1]", "http:// origin with credentials", true}}},
	{desc: "http loopback origins with credentials: not warned",
		src:   rule1 + "origins = [\"http://localhost:*\", \"http://127.0.0.1:8080\", \"http://127.1.2.3\", \"http://[::1]:3000\"]\ncredentials = true\n",
		valid: true},
	{desc: "http origin without credentials: not warned", src: rule1 + "origins = [\"http://a.com\"]\n", valid: true},
	{desc: "http origin with credentials from [defaults]: warned",
		src:   "version = 1\n[defaults]\ncredentials = true\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"http://a.com\"]\n",
		valid: true, want: []want{{"6:12", "rule #1 origins[0]", "http:// origin with credentials", true}}},
	{desc: "wildcard over a public suffix without credentials: warned", src: rule1 + "origins = [\"https://*.com\", \"http://*.github.io:*\"]\n", valid: true, want: []want{
		{"4:12", "rule #1 origins[0]", `"com" is a public suffix: anyone can register a site under it, and this pattern matches them all (write "*"`, true},
		{"4:29", "rule #1 origins[1]", `"github.io" is a public suffix`, true}}},
	{desc: "wildcards one label below a public suffix, or under unlisted names: not warned",
		src:   rule1 + "origins = [\"https://*.example.co.uk\", \"https://*.me.github.io\", \"https://*.internal\", \"https://*.corp:*\", \"https://www.ck\"]\ncredentials = true\n",
		valid: true},
	{desc: "null: warned", src: rule1 + "origins = [\"https://a.com\", \"null\"]\n", valid: true, want: []want{
		{"4:29", "rule #1 origins[1]", "null is sent by sandboxed iframes", true}}},
	{desc: "max_age over 2h: warned", src: rule1 + "origins = [\"*\"]\nmax_age = \"2h0m1s\"\n", valid: true, want: []want{
		{"5:1", "rule #1 max_age", "over 2h", true}}},
	{desc: "max_age 2h exactly: not warned", src: rule1 + "origins = [\"*\"]\nmax_age = 7200\n", valid: true},
	{desc: "max_age over 2h in [defaults]: warned once", src: "version = 1\n[defaults]\nmax_age = \"3h\"\n[[rule]]\npaths = [\"/a/\"]\norigins = [\"*\"]\n",
		valid: true, want: []want{{"3:1", "[defaults] max_age", "over 2h", true}}},
	{desc: "lowercase standard method: warned", src: rule1 + "origins = [\"*\"]\nmethods = [\"post\"]\n", valid: true, want: []want{
		{"5:12", "rule #1 methods[0]", "uppercase (POST)", true}}},
}

func TestProblems(t *testing.T) {
	for _, c := range problemCases {
		t.Run(c.desc, func(t *testing.T) {
			table, err := rules.Parse([]byte(c.src))
			var got []*rules.Problem
			switch {
			case c.valid && err != nil:
				t.Fatalf("Parse: %v", err)
			case c.valid:
				got = table.Warnings()
			case err == nil:
				t.Fatalf("Parse succeeded, want errors; warnings:%s", describe(table.Warnings()))
			default:
				got = rules.Problems(err)
				if table != nil {
					t.Error("Parse returned a Table with its error")
				}
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %d problems, want %d:%s\nwant: %v", len(got), len(c.want), describe(got), c.want)
			}
			for i, w := range c.want {
				if !w.matches(got[i]) {
					p := got[i]
					t.Errorf("problem %d: got %d:%d %q (Where %q, Warning %v), want %v",
						i, p.Line, p.Col, p.Error(), p.Where(), p.Warning, w)
				}
			}
		})
	}
}

// TestProblemPositions holds that every problem naming a place in the file
// has a line and column there.
func TestProblemPositions(t *testing.T) {
	for _, c := range problemCases {
		table, err := rules.Parse([]byte(c.src))
		ps := rules.Problems(err)
		if table != nil {
			ps = table.Warnings()
		}
		for _, p := range ps {
			if p.Line == 0 && p.Where() != "" {
				t.Errorf("%s: %q has no position", c.desc, p.Error())
			}
		}
	}
}

func TestSeveralErrors(t *testing.T) {
	_, err := rules.Parse(fixture(t, "several-errors.toml"))
	got := rules.Problems(err)
	wants := []want{
		{"5:1", "[defaults] max_age", "outside 0..24h", false},
		{"6:1", "[defaults] colour", "unknown key", false},
		{"10:23", `rule #1 ("bad origins") paths[1]`, `must start with "/"`, false},
		{"11:16", `rule #1 ("bad origins") origins[0]`, `"*" cannot be used with credentials`, false},
		{"11:21", `rule #1 ("bad origins") origins[1]`, "host must be lowercase", false},
		{"11:44", `rule #1 ("bad origins") origins[2]`, "trailing slash", false},
		{"17:12", `rule #2 ("bad methods and headers") origins[0]`, "null is sent", true},
		{"18:12", `rule #2 ("bad methods and headers") methods[0]`, "forbidden method", false},
		{"18:21", `rule #2 ("bad methods and headers") methods[1]`, "not a method name", false},
		{"19:20", `rule #2 ("bad methods and headers") headers[1]`, "not a header name", false},
		{"20:1", `rule #2 ("bad methods and headers") corp`, "unknown value", false},
		{"25:1", "cache #1 ttl", "unknown key", false},
	}
	if len(got) != len(wants) {
		t.Fatalf("got %d problems, want %d (11 errors and a warning):%s", len(got), len(wants), describe(got))
	}
	for i, w := range wants {
		if !w.matches(got[i]) {
			t.Errorf("problem %d: got %q, want %v", i, got[i].Error(), w)
		}
	}
	// Error lists them all, one a line, as check prints them.
	if lines := strings.Split(err.Error(), "\n"); len(lines) != len(wants) {
		t.Errorf("err.Error() has %d lines, want %d", len(lines), len(wants))
	}
}

func TestWarningsInFileOrder(t *testing.T) {
	table := mustParse(t, fixture(t, "warnings.toml"))
	wants := []want{
		{"5:1", "[defaults] max_age", "over 2h", true},
		{"10:16", `rule #1 ("plain http partner") origins[0]`, "http:// origin with credentials", true},
		{"13:1", `rule #2 ("shadowed")`, `never decides: rule #1 ("plain http partner")`, true},
		{"21:12", `rule #3 ("sandboxed") origins[0]`, "null is sent", true},
	}
	got := table.Warnings()
	if len(got) != len(wants) {
		t.Fatalf("got %d warnings, want %d:%s", len(got), len(wants), describe(got))
	}
	for i, w := range wants {
		if !w.matches(got[i]) {
			t.Errorf("warning %d: got %d:%d %q, want %v", i, got[i].Line, got[i].Col, got[i].Error(), w)
		}
	}
}

func TestProblemFormat(t *testing.T) {
	for _, c := range []struct {
		desc  string
		p     rules.Problem
		where string
		err   string
	}{
		{"top level, no position", rules.Problem{Reason: "empty file"}, "", "empty file"},
		{"top-level key", rules.Problem{Line: 1, Col: 1, Key: "version", Value: "2", Reason: "unsupported"},
			"version", `1:1: version: "2": unsupported`},
		{"defaults", rules.Problem{Line: 3, Col: 1, Section: "defaults", Key: "max_age", Reason: "r"},
			"[defaults] max_age", "3:1: [defaults] max_age: r"},
		{"named rule, element", rules.Problem{Line: 4, Col: 12, Section: "rule", Index: 1, Name: "partner app", Key: "origins[1]", Value: "*", Reason: "r"},
			`rule #2 ("partner app") origins[1]`, `4:12: rule #2 ("partner app") origins[1]: "*": r`},
		{"rule header", rules.Problem{Line: 2, Col: 1, Section: "rule", Reason: "r"}, "rule #1", "2:1: rule #1: r"},
		{"cache", rules.Problem{Section: "cache", Index: 2, Key: "control", Reason: "r"}, "cache #3 control", "cache #3 control: r"},
		{"warning", rules.Problem{Line: 5, Col: 1, Section: "rule", Key: "max_age", Reason: "r", Warning: true},
			"rule #1 max_age", "5:1: warning: rule #1 max_age: r"},
	} {
		if got := c.p.Where(); got != c.where {
			t.Errorf("%s: Where() = %q, want %q", c.desc, got, c.where)
		}
		if got := c.p.Error(); got != c.err {
			t.Errorf("%s: Error() = %q, want %q", c.desc, got, c.err)
		}
	}
}

func TestProblemsUnwrap(t *testing.T) {
	_, err := rules.Parse([]byte("version = 1\n[[rule]]\npaths = [\"a\"]\norigins = [\"A\"]\n"))
	if n := len(rules.Problems(err)); n != 2 {
		t.Fatalf("Problems(err) = %d problems, want 2", n)
	}
	if n := len(rules.Problems(fmt.Errorf("rules.toml: %w", err))); n != 2 {
		t.Errorf("Problems of a wrapped error = %d problems, want 2", n)
	}
	var p *rules.Problem
	if !errors.As(err, &p) || p.Line != 3 {
		t.Errorf("errors.As found %v, want the first problem", p)
	}
	if got := rules.Problems(nil); got != nil {
		t.Errorf("Problems(nil) = %v", got)
	}
	if got := rules.Problems(errors.New("disk full")); len(got) != 0 {
		t.Errorf("Problems of a foreign error = %v", got)
	}
}

// TestTruncatedSample cuts the sample file at every byte: a cut is an error
// or, where it happens to be valid TOML, keeps every [[rule]] it holds whole
// (the last one may have lost keys after the ones it needs: TOML cannot tell).
func TestTruncatedSample(t *testing.T) {
	src := readFile(t, sampleFile)
	full := mustParse(t, src)
	for n := range len(src) {
		cut := src[:n]
		table, err := rules.Parse(cut)
		if err != nil {
			if len(rules.Problems(err)) == 0 {
				t.Fatalf("cut at %d: error without problems: %v", n, err)
			}
			continue
		}
		headers := bytes.Count(cut, []byte("[[rule]]"))
		if got := len(table.Rules()); got != headers {
			t.Fatalf("cut at %d: %d rules, want %d (the [[rule]] headers in %q)", n, got, headers, cut)
		}
		for i, r := range table.Rules() {
			if f := full.Rules()[i]; r.Name() != f.Name() || fmt.Sprint(r.Paths(), r.Origins()) != fmt.Sprint(f.Paths(), f.Origins()) {
				t.Fatalf("cut at %d: rule %d is %s %v %v, want %s %v %v", n, i, r.Label(), r.Paths(), r.Origins(), f.Label(), f.Paths(), f.Origins())
			}
		}
	}
}

// TestTruncatedAt pins what the cuts of the sample at its landmarks give.
func TestTruncatedAt(t *testing.T) {
	src := string(readFile(t, sampleFile))
	for _, c := range []struct {
		desc   string
		before string // cut right before this text (its first occurrence)
		rules  int    // rules in the valid table; -1 when Parse must fail
		reason string // for a failure, part of the first problem's reason
	}{
		{"inside the first comment", "rules: which", -1, "version = 1 is required"},
		{"before version", "version = 1", -1, "version = 1 is required"},
		{"inside version", " 1\n", -1, "syntax error"},
		{"before [defaults]", "[defaults]", 0, ""},
		{"inside the defaults' methods", `"HEAD"]`, -1, "syntax error"},
		{"before the first rule's paths", `paths   = ["/fonts/", "/css/"]`, -1, "paths is required"},
		{"before the first rule's origins", `origins = ["*"]`, -1, "origins is required"},
		{"inside the first rule's origins", `*"]`, -1, "syntax error"},
		{"inside the partner apps' origins", `"http://localhost:*"]`, -1, "syntax error"},
		{"inside a [[rule]] header", "rule]]\nname        = \"partner apps\"", -1, "syntax error"},
		{"before the second rule's name", `name        = "partner apps"`, -1, "paths is required"},
		{"before the third rule", "[[rule]]\nname    = \"public scripts\"", 2, ""},
		{"before [[cache]]", "[[cache]]", 3, ""},
		{"before the cache control", "control = ", -1, "is required"},
	} {
		i := strings.Index(src, c.before)
		if i < 0 {
			t.Fatalf("%s: %q not in %s", c.desc, c.before, sampleFile)
		}
		table, err := rules.Parse([]byte(src[:i]))
		switch {
		case c.rules < 0 && err == nil:
			t.Errorf("%s: cut at %d parsed into %d rules, want an error", c.desc, i, len(table.Rules()))
		case c.rules < 0 && !strings.Contains(rules.Problems(err)[0].Reason, c.reason):
			t.Errorf("%s: cut at %d: %v, want %q", c.desc, i, err, c.reason)
		case c.rules >= 0 && err != nil:
			t.Errorf("%s: cut at %d: %v, want %d rules", c.desc, i, err, c.rules)
		case c.rules >= 0 && len(table.Rules()) != c.rules:
			t.Errorf("%s: cut at %d: %d rules, want %d", c.desc, i, len(table.Rules()), c.rules)
		}
	}
}
