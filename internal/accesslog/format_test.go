package accesslog_test

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"

	"corsedge/internal/accesslog"
	"corsedge/internal/accesslog/logtest"
)

var at = time.Date(2025, 3, 4, 5, 6, 7, 890e6, time.FixedZone("", 3600))

// lineCases are entries and the exact lines they make, hostile ones included.
var lineCases = []struct {
	desc           string
	e              accesslog.Entry
	json, combined string
}{
	{
		desc: "allowed preflight by a named rule",
		e: accesslog.Entry{Time: at, Duration: 123456 * time.Nanosecond, Client: netip.MustParseAddr("192.0.2.7"),
			Method: []byte("OPTIONS"), Path: []byte("/js/app.js"), Proto: []byte("HTTP/1.1"), Status: 204,
			Origin: []byte("https://a.example"), Decision: "allowed", RuleName: "partner app", RuleNumber: 2,
			UserAgent: []byte("Mozilla/5.0")},
		json:     `{"time":"2025-03-04T04:06:07.890Z","client":"192.0.2.7","method":"OPTIONS","path":"/js/app.js","status":204,"bytes":0,"duration":0.000123,"origin":"https://a.example","cors":"allowed","rule":"partner app","referer":"","user_agent":"Mozilla/5.0"}`,
		combined: `192.0.2.7 - - [04/Mar/2025:05:06:07 +0100] "OPTIONS /js/app.js HTTP/1.1" 204 0 "-" "Mozilla/5.0" "https://a.example" allowed "partner app" 0.000123`,
	},
	{
		desc: "unnamed rule, no Origin, unknown client, IPv6 elsewhere",
		e: accesslog.Entry{Time: at, Duration: 2*time.Second + time.Millisecond, Method: []byte("GET"), Path: []byte("/fonts/a.woff2"),
			Proto: []byte("HTTP/1.0"), Status: 200, Bytes: 1234, Decision: "none", RuleNumber: 3, Referer: []byte("https://b.example/page")},
		json:     `{"time":"2025-03-04T04:06:07.890Z","client":"","method":"GET","path":"/fonts/a.woff2","status":200,"bytes":1234,"duration":2.001000,"origin":"","cors":"none","rule":"#3","referer":"https://b.example/page","user_agent":""}`,
		combined: `- - - [04/Mar/2025:05:06:07 +0100] "GET /fonts/a.woff2 HTTP/1.0" 200 1234 "https://b.example/page" "-" "-" none "#3" 2.001000`,
	},
	{
		desc: "hostile values: quotes, CR/LF, control bytes, bad UTF-8, U+2028, backslash",
		e: accesslog.Entry{Time: at, Client: netip.MustParseAddr("2001:db8::1"), Method: []byte(`G"T`),
			Path: []byte("/js/\r\n{\"forged\":1}"), Proto: []byte("HTTP/1.1"), Status: 403,
			Origin: []byte("https://a.example\"} \xff\xfe"), Decision: "refused",
			Referer: []byte("\\x41\t\x00\x7f"), UserAgent: []byte("é\u2028\x1b[31m")},
		json:     `{"time":"2025-03-04T04:06:07.890Z","client":"2001:db8::1","method":"G\"T","path":"/js/\r\n{\"forged\":1}","status":403,"bytes":0,"duration":0.000000,"origin":"https://a.example\"} \\xff\\xfe","cors":"refused","rule":"","referer":"\\x41\t\u0000\u007f","user_agent":"é\u2028\u001b[31m"}`,
		combined: `2001:db8::1 - - [04/Mar/2025:05:06:07 +0100] "G\x22T /js/\x0d\x0a{\x22forged\x22:1} HTTP/1.1" 403 0 "\x5cx41\x09\x00\x7f" "\xc3\xa9\xe2\x80\xa8\x1b[31m" "https://a.example\x22}` + ` \xff\xfe" refused "-" 0.000000`,
	},
}

func TestLines(t *testing.T) {
	for _, tc := range lineCases {
		for _, f := range []struct {
			format accesslog.Format
			want   string
		}{{accesslog.JSON, tc.json}, {accesslog.Combined, tc.combined}} {
			got := record(t, f.format, &tc.e)
			if got != f.want+"\n" {
				t.Errorf("%s, format %d:\n got %s\nwant %s", tc.desc, f.format, got, f.want)
			}
			checkLine(t, f.format, got)
		}
	}
}

// A value over the field cap is cut and marked, so a line stays bounded.
func TestLongFieldIsCut(t *testing.T) {
	e := accesslog.Entry{Time: at, UserAgent: bytes.Repeat([]byte("\xff"), 100_000), Decision: "none"}
	for _, f := range []accesslog.Format{accesslog.JSON, accesslog.Combined} {
		line := record(t, f, &e)
		if len(line) > 6000 || !strings.Contains(line, `\xff...`) {
			t.Errorf("format %d: %d bytes, ends %q", f, len(line), line[max(0, len(line)-80):])
		}
		checkLine(t, f, line)
	}
}

// No request bytes can make a line that is not one line of its format.
func FuzzLine(f *testing.F) {
	for _, tc := range lineCases {
		f.Add(tc.e.Method, tc.e.Path, tc.e.Origin, tc.e.Referer, tc.e.UserAgent)
	}
	f.Fuzz(func(t *testing.T, method, path, origin, referer, agent []byte) {
		e := accesslog.Entry{Time: at, Method: method, Path: path, Origin: origin, Referer: referer, UserAgent: agent, Decision: "none"}
		for _, format := range []accesslog.Format{accesslog.JSON, accesslog.Combined} {
			checkLine(t, format, record(t, format, &e))
		}
	})
}

// record writes e alone through a Log and returns what it wrote.
func record(t testing.TB, f accesslog.Format, e *accesslog.Entry) string {
	t.Helper()
	var out bytes.Buffer
	l, err := accesslog.New(&out, accesslog.Options{Format: f, Sample: 1, Lines: 4})
	if err != nil {
		t.Fatal(err)
	}
	l.Record(e)
	l.Close()
	return out.String()
}

// checkLine fails unless line is exactly one well-formed line of format f.
func checkLine(t testing.TB, f accesslog.Format, line string) {
	t.Helper()
	if strings.IndexAny(line, "\r\n") != len(line)-1 {
		t.Fatalf("not one line: %q", line)
	}
	var err error
	if f == accesslog.JSON {
		_, err = logtest.DecodeJSON(line[:len(line)-1])
	} else {
		_, err = logtest.SplitCombined(line[:len(line)-1])
	}
	if err != nil {
		t.Fatal(err)
	}
}
