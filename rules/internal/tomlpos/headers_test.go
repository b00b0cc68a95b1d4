package tomlpos_test

import (
	"reflect"
	"testing"

	"corsedge/rules/internal/tomlpos"
)

func TestHeaders(t *testing.T) {
	cases := []struct {
		desc, src string
		want      []tomlpos.Header
		complete  bool
	}{
		{desc: "tables and arrays of tables", src: "version = 1\n[defaults]\nx = 1\n[[rule]]\na = 2\n  [[ rule ]] # again\n[a.\"b\"]\n",
			want: []tomlpos.Header{{Line: 12, Name: "defaults"}, {Line: 29, Name: "rule", Array: true},
				{Line: 44, Name: "rule", Array: true}, {Line: 65, Name: "a.b"}}, complete: true},
		{desc: "header lines inside strings, arrays and comments", src: "a = \"\"\"\n[[rule]]\n\"\"\"\nb = '''\n[x]\n'''\nc = [\n[1],\n# [[rule]]\n]\n# [y]\n[[rule]]\n",
			want: []tomlpos.Header{{Line: 67, Name: "rule", Array: true}}, complete: true},
		{desc: "CRLF", src: "a = 1\r\n[[rule]]\r\nb = 2\r\n", want: []tomlpos.Header{{Line: 7, Name: "rule", Array: true}}, complete: true},
		{desc: "byte order mark", src: "\xef\xbb\xbf[[rule]]\n", want: []tomlpos.Header{{Line: 0, Name: "rule", Array: true}}, complete: true},
		{desc: "a statement it cannot follow", src: "[[rule]]\n= 1\n[[rule]]\n", want: []tomlpos.Header{{Line: 0, Name: "rule", Array: true}}},
		{desc: "an unclosed header", src: "[[rule]\n", want: nil},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			got, complete := tomlpos.Headers([]byte(tc.src))
			if !reflect.DeepEqual(got, tc.want) || complete != tc.complete {
				t.Errorf("Headers = %+v, %v; want %+v, %v", got, complete, tc.want, tc.complete)
			}
		})
	}
}
