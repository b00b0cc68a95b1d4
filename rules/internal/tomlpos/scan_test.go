package tomlpos_test

import (
	"fmt"
	"testing"

	"github.com/BurntSushi/toml"

	"corsedge/rules/internal/tomlpos"
)

// lookup is one call on an Index.
type lookup struct {
	method string // "Key", "Value", "Element" or "Table"
	table  string
	n      int
	key    string
	i      int // for Element only
}

func (l lookup) in(ix *tomlpos.Index) tomlpos.Pos {
	switch l.method {
	case "Key":
		return ix.Key(l.table, l.n, l.key)
	case "Value":
		return ix.Value(l.table, l.n, l.key)
	case "Element":
		return ix.Element(l.table, l.n, l.key, l.i)
	}
	return ix.Table(l.table, l.n)
}

func (l lookup) String() string {
	if l.method == "Table" {
		return fmt.Sprintf("Table(%q, %d)", l.table, l.n)
	}
	if l.method == "Element" {
		return fmt.Sprintf("Element(%q, %d, %q, %d)", l.table, l.n, l.key, l.i)
	}
	return fmt.Sprintf("%s(%q, %d, %q)", l.method, l.table, l.n, l.key)
}

type check struct {
	lookup
	want tomlpos.Pos // line 0 when the lookup must find nothing
}

func key(table string, n int, k string, line, col int) check {
	return check{lookup{"Key", table, n, k, 0}, tomlpos.Pos{Line: line, Col: col}}
}

func value(table string, n int, k string, line, col int) check {
	return check{lookup{"Value", table, n, k, 0}, tomlpos.Pos{Line: line, Col: col}}
}

func elem(table string, n int, k string, i, line, col int) check {
	return check{lookup{"Element", table, n, k, i}, tomlpos.Pos{Line: line, Col: col}}
}

func header(table string, n, line, col int) check {
	return check{lookup{"Table", table, n, "", 0}, tomlpos.Pos{Line: line, Col: col}}
}

// scanCases are valid TOML documents (TestScan checks that BurntSushi/toml
// accepts them) with the positions Scan must find in them. They also seed
// FuzzScan and feed BenchmarkScan.
var scanCases = []struct {
	desc   string
	src    string
	checks []check
}{
	{
		desc: "top-level keys and scalar values",
		src:  "name = \"x\"\nport = 8080\n",
		checks: []check{
			key("", 0, "name", 1, 1), value("", 0, "name", 1, 8),
			key("", 0, "port", 2, 1), value("", 0, "port", 2, 8),
			key("", 0, "missing", 0, 0), header("", 0, 0, 0),
		},
	},
	{
		desc: "plain table with blanks in its header ignores n",
		src:  "top = 1\n[ defaults ]\nmax_age = 600\n",
		checks: []check{
			header("defaults", 0, 2, 1), header("defaults", 3, 2, 1),
			key("defaults", 0, "max_age", 3, 1), key("defaults", 7, "max_age", 3, 1),
			key("", 0, "max_age", 0, 0), key("defaults", 0, "top", 0, 0),
		},
	},
	{
		desc: "key in several [[rule]] entries",
		src: `[[rule]]
name = "a"

[[ rule ]]
  name = "b"

[[rule]]
other = 1
`,
		checks: []check{
			header("rule", 0, 1, 1), header("rule", 1, 4, 1), header("rule", 2, 7, 1),
			header("rule", 3, 0, 0), header("rule", -1, 0, 0),
			key("rule", 0, "name", 2, 1), key("rule", 1, "name", 5, 3),
			key("rule", 2, "name", 0, 0), key("rule", 2, "other", 8, 1),
		},
	},
	{
		desc: "[[rule]] and [[cache]] are counted apart",
		src:  "[[rule]]\na = 1\n[[cache]]\na = 2\n[[rule]]\na = 3\n",
		checks: []check{
			key("rule", 0, "a", 2, 1), key("cache", 0, "a", 4, 1), key("rule", 1, "a", 6, 1),
			header("cache", 1, 0, 0),
		},
	},
	{
		desc: "comments, and # inside strings",
		src:  "# key = 0\nname = \"x # y\" # trailing\n  # [defaults]\n[defaults] # c\nx = 1\n",
		checks: []check{
			key("", 0, "key", 0, 0), key("", 0, "name", 2, 1), value("", 0, "name", 2, 8),
			header("defaults", 0, 4, 1), key("defaults", 0, "x", 5, 1),
		},
	},
	{
		desc: "basic strings with escapes",
		src:  "a = \"x\\\"y = 1\"\nb = \"\\\\\"\nc = 3\n",
		checks: []check{
			key("", 0, "b", 2, 1), key("", 0, "c", 3, 1), key("", 0, "y", 0, 0),
		},
	},
	{
		desc: "literal string ending in a backslash",
		src:  "a = 'C:\\dir\\'\nb = 2\n",
		checks: []check{
			value("", 0, "a", 1, 5), key("", 0, "b", 2, 1),
		},
	},
	{
		desc: "multi-line basic string holding fake keys and headers",
		src: `desc = """
name = "fake"
[[rule]]
  quote \""" is still inside
"""
name = "real"
[[rule]]
name = "r0"
`,
		checks: []check{
			value("", 0, "desc", 1, 8), key("", 0, "name", 6, 1),
			header("rule", 0, 7, 1), header("rule", 1, 0, 0), key("rule", 0, "name", 8, 1),
		},
	},
	{
		desc: "multi-line literal string holding a fake header",
		src:  "a = '''\n[defaults]\nx = 1 \\'''\nb = 2\n",
		checks: []check{
			header("defaults", 0, 0, 0), key("", 0, "x", 0, 0), key("", 0, "b", 4, 1),
		},
	},
	{
		desc: "multi-line strings ending in extra quotes",
		src: "a = \"\"\"x\"\"\"\"\"\nb = '''y'''''\nc = \"\"\"\"\"\"\nd = 1\n" +
			"e = [\"\"\"x\"\"\"\", '''y''''', 1]\n",
		checks: []check{
			key("", 0, "b", 2, 1), key("", 0, "c", 3, 1), key("", 0, "d", 4, 1),
			elem("", 0, "e", 0, 5, 6), elem("", 0, "e", 1, 5, 16), elem("", 0, "e", 2, 5, 27),
		},
	},
	{
		desc: "multi-line array with comments, tab and trailing comma",
		src: "[[rule]]\norigins = [\n  \"https://a.com\", # first\n" +
			"  # \"https://commented.com\",\n  'https://b.com',\n\t\"https://c.com\",  \n]\nnext = 1\n",
		checks: []check{
			key("rule", 0, "origins", 2, 1), value("rule", 0, "origins", 2, 11),
			elem("rule", 0, "origins", 0, 3, 3), elem("rule", 0, "origins", 1, 5, 3),
			elem("rule", 0, "origins", 2, 6, 2), elem("rule", 0, "origins", 3, 2, 1),
			elem("rule", 0, "origins", -1, 2, 1), key("rule", 0, "next", 8, 1),
		},
	},
	{
		desc: "single-line array with brackets and commas in strings",
		src:  "origins = [\"a\", \"b,c\", 'd]', \"[\", '#']\nnext = 1\n",
		checks: []check{
			elem("", 0, "origins", 0, 1, 12), elem("", 0, "origins", 1, 1, 17),
			elem("", 0, "origins", 2, 1, 24), elem("", 0, "origins", 3, 1, 30),
			elem("", 0, "origins", 4, 1, 35), key("", 0, "next", 2, 1),
		},
	},
	{
		desc: "nested arrays count top-level elements only",
		src:  "m = [[1, 2], [3, [4]], 5]\n",
		checks: []check{
			elem("", 0, "m", 0, 1, 6), elem("", 0, "m", 1, 1, 14),
			elem("", 0, "m", 2, 1, 24), elem("", 0, "m", 3, 1, 1),
		},
	},
	{
		desc: "inline tables are skipped as one element",
		src:  "t = [{ a = 1, b = [2, 3] }, { c = \"}\" }]\nit = { x = 1 }\nnext = 1\n",
		checks: []check{
			elem("", 0, "t", 0, 1, 6), elem("", 0, "t", 1, 1, 29), elem("", 0, "t", 2, 1, 1),
			key("", 0, "a", 0, 0), key("", 0, "x", 0, 0),
			value("", 0, "it", 2, 6), elem("", 0, "it", 0, 2, 1), key("", 0, "next", 3, 1),
		},
	},
	{
		desc: "inline table over several lines (TOML 1.1)",
		src:  "t = {\n  a = 1, # c\n  b = [2,\n    3],\n}\nnext = 1\n",
		checks: []check{
			value("", 0, "t", 1, 5), key("", 0, "a", 0, 0), key("", 0, "next", 6, 1),
		},
	},
	{
		desc: "quoted keys",
		src:  "\"name\" = 1\n'lit key' = 2\n\"a\\\"b\" = 3\n\"\" = 4\n",
		checks: []check{
			key("", 0, "name", 1, 1), value("", 0, "name", 1, 10), key("", 0, "lit key", 2, 1),
			key("", 0, "a\"b", 3, 1), key("", 0, "", 4, 1),
		},
	},
	{
		desc: "dotted keys and headers",
		src:  "a.b = 1\n\"x\" . 'y' . z = 2\nsite.\"google.com\" = true\n[ t . u ]\nk = 1\n",
		checks: []check{
			key("", 0, "a.b", 1, 1), key("", 0, "a", 0, 0), key("", 0, "x.y.z", 2, 1),
			value("", 0, "x.y.z", 2, 17), key("", 0, "site.google.com", 3, 1),
			header("t.u", 0, 4, 1), key("t.u", 0, "k", 5, 1),
		},
	},
	{
		desc: "tabs and spaces before keys and around =",
		src:  "\t  name\t=\t\"x\"\n  [defaults]\n\tx =1\n",
		checks: []check{
			key("", 0, "name", 1, 4), value("", 0, "name", 1, 11),
			header("defaults", 0, 2, 3), key("defaults", 0, "x", 3, 2), value("defaults", 0, "x", 3, 5),
		},
	},
	{
		desc: "CRLF line endings",
		src: "[defaults]\r\nmax_age = 1\r\norigins = [\r\n  \"a\", # c\r\n  \"b\",\r\n]\r\n" +
			"s = \"\"\"\r\n[[rule]]\r\n\"\"\"\r\n\r\n# c\r\n[[rule]]\r\nname = \"r\"\r\n",
		checks: []check{
			header("defaults", 0, 1, 1), key("defaults", 0, "max_age", 2, 1),
			value("defaults", 0, "max_age", 2, 11),
			elem("defaults", 0, "origins", 0, 4, 3), elem("defaults", 0, "origins", 1, 5, 3),
			header("rule", 0, 12, 1), header("rule", 1, 0, 0), key("rule", 0, "name", 13, 1),
		},
	},
	{
		desc: "columns count bytes, as BurntSushi's syntax errors do",
		src:  "# é\nname = \"héllo\" # ü\nnext = [\"é\", \"x\"]\n",
		checks: []check{
			key("", 0, "next", 3, 1), elem("", 0, "next", 0, 3, 9), elem("", 0, "next", 1, 3, 15),
		},
	},
	{
		desc: "byte order mark is not a column",
		src:  "\xef\xbb\xbfname = 1\n",
		checks: []check{
			key("", 0, "name", 1, 1), value("", 0, "name", 1, 8),
		},
	},
	{
		desc: "dates with a space before the time",
		src:  "d = 1979-05-27 07:32:00Z\nds = [1979-05-27 07:32:00Z, 1979-05-28]\n",
		checks: []check{
			value("", 0, "d", 1, 5), elem("", 0, "ds", 0, 2, 7), elem("", 0, "ds", 1, 2, 29),
			elem("", 0, "ds", 2, 2, 1),
		},
	},
	{
		desc: "empty arrays and scalars have no elements",
		src:  "a = []\nb = [ # c\n]\nc = 5\n",
		checks: []check{
			elem("", 0, "a", 0, 1, 1), value("", 0, "b", 2, 5), elem("", 0, "b", 0, 2, 1),
			elem("", 0, "c", 0, 4, 1), elem("", 0, "missing", 0, 0, 0),
		},
	},
}

func TestScan(t *testing.T) {
	for _, tc := range scanCases {
		t.Run(tc.desc, func(t *testing.T) {
			var v map[string]any
			if _, err := toml.Decode(tc.src, &v); err != nil {
				t.Fatalf("not valid TOML, so this case proves little: %v", err)
			}
			ix := tomlpos.Scan([]byte(tc.src))
			for _, c := range tc.checks {
				if got := c.in(ix); got != c.want {
					t.Errorf("%v = %+v, want %+v", c.lookup, got, c.want)
				}
			}
			checkWithin(t, []byte(tc.src), ix)
			checkFollowsToEnd(t, []byte(tc.src))
		})
	}
}

func TestPosKnown(t *testing.T) {
	for _, tc := range []struct {
		desc string
		pos  tomlpos.Pos
		want bool
	}{
		{desc: "zero", pos: tomlpos.Pos{}, want: false},
		{desc: "first character", pos: tomlpos.Pos{Line: 1, Col: 1}, want: true},
	} {
		if got := tc.pos.Known(); got != tc.want {
			t.Errorf("%s: %+v.Known() = %v, want %v", tc.desc, tc.pos, got, tc.want)
		}
	}
}
