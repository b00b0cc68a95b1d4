package accesslog

import (
	"fmt"
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"
)

// Format is the shape of a line.
type Format uint8

const (
	JSON     Format = iota // one JSON object per line
	Combined               // Apache/nginx "combined", then origin, decision, rule, duration
)

// ParseFormat reads a -access-log-format value: "json" or "combined".
func ParseFormat(s string) (Format, error) {
	switch s {
	case "json":
		return JSON, nil
	case "combined":
		return Combined, nil
	}
	return 0, fmt.Errorf("access log format %q: want json or combined", s)
}

// Entry is one request, as finish saw it. Its byte slices may point into
// the request: Record copies what it keeps before it returns.
type Entry struct {
	Time       time.Time     // when the request began
	Duration   time.Duration // until the response was complete
	Client     netip.Addr    // the zero Addr when unknown
	Method     []byte
	Path       []byte // the decoded path served, without the query
	Proto      []byte // "HTTP/1.1"
	Status     int
	Bytes      int64  // body bytes sent
	Origin     []byte // nil without Origin
	Decision   string // "allowed", "refused" or "none"
	RuleName   string // the deciding rule's name, "" when it has none
	RuleNumber int    // the deciding rule's 1-based position; 0 when no rule decided
	Referer    []byte
	UserAgent  []byte
}

// maxField is how many bytes of one request value a line keeps; a longer
// value is cut there and ends in "...". With escaping (at most 5 bytes per byte) it
// bounds a line near 30 KB however long the request's fields are.
const maxField = 1024

// appendLine appends e as one line in format f, newline included.
func appendLine(b []byte, f Format, e *Entry) []byte {
	if f == Combined {
		return appendCombined(b, e)
	}
	return appendJSON(b, e)
}

// appendJSON writes e as a JSON object (RFC 8259): every string value goes
// through appendJSONString, so no request byte can end the string or the line.
func appendJSON(b []byte, e *Entry) []byte {
	b = append(b, `{"time":"`...)
	b = appendUTC(b, e.Time)
	b = append(b, `","client":"`...)
	if e.Client.IsValid() {
		b = e.Client.AppendTo(b)
	}
	b = append(b, `","method":`...)
	b = appendJSONString(b, e.Method)
	b = append(b, `,"path":`...)
	b = appendJSONString(b, e.Path)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(e.Status), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, e.Bytes, 10)
	b = append(b, `,"duration":`...)
	b = appendSeconds(b, e.Duration)
	b = append(b, `,"origin":`...)
	b = appendJSONString(b, e.Origin)
	b = append(b, `,"cors":"`...)
	b = append(b, e.Decision...) // one of our own labels
	b = append(b, `","rule":`...)
	var num [24]byte
	b = appendJSONString(b, ruleValue(&num, e))
	b = append(b, `,"referer":`...)
	b = appendJSONString(b, e.Referer)
	b = append(b, `,"user_agent":`...)
	b = appendJSONString(b, e.UserAgent)
	return append(b, "}\n"...)
}

// appendCombined writes e in the combined format, so that log tools read
// its first nine fields, followed by "origin" decision "rule" seconds:
//
//	ip - - [02/Jan/2006:15:04:05 -0700] "GET /p HTTP/1.1" 200 123 "referer" "agent" "origin" allowed "rule" 0.000123
//
// Quoted values go through appendEscaped, so they never hold a '"'.
func appendCombined(b []byte, e *Entry) []byte {
	if e.Client.IsValid() {
		b = e.Client.AppendTo(b)
	} else {
		b = append(b, '-')
	}
	b = append(b, " - - ["...)
	b = appendCLFTime(b, e.Time)
	b = append(b, `] "`...)
	b = appendEscaped(b, e.Method)
	b = append(b, ' ')
	b = appendEscaped(b, e.Path)
	b = append(b, ' ')
	b = appendEscaped(b, e.Proto)
	b = append(b, `" `...)
	b = strconv.AppendInt(b, int64(e.Status), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, e.Bytes, 10)
	b = appendQuoted(b, e.Referer)
	b = appendQuoted(b, e.UserAgent)
	b = appendQuoted(b, e.Origin)
	b = append(b, ' ')
	b = append(b, e.Decision...)
	b = append(b, ` "`...)
	var num [24]byte
	if rule := ruleValue(&num, e); len(rule) > 0 {
		b = appendEscaped(b, rule)
	} else {
		b = append(b, '-')
	}
	b = append(b, `" `...)
	b = appendSeconds(b, e.Duration)
	return append(b, '\n')
}

// ruleValue is the deciding rule as logged: its name, "#N" when it has
// none (written into num), or empty when no rule decided.
func ruleValue(num *[24]byte, e *Entry) []byte {
	if e.RuleNumber == 0 || e.RuleName != "" {
		return stringBytes(e.RuleName)
	}
	return strconv.AppendInt(append(num[:0], '#'), int64(e.RuleNumber), 10)
}

// appendQuoted writes ` "v"`, or ` "-"` for an empty value as CLF does.
func appendQuoted(b, v []byte) []byte {
	b = append(b, ` "`...)
	if len(v) == 0 {
		b = append(b, '-')
	} else {
		b = appendEscaped(b, v)
	}
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// plain marks the bytes both escapers copy as they are: printable ASCII
// but '"' and '\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// plainRun returns how many bytes from the start of v are plain.
func plainRun(v []byte) int {
	for i, c := range v {
		if !plain[c] {
			return i
		}
	}
	return len(v)
}

// appendEscaped writes v as nginx's default log escaping does: printable
// ASCII stays, and every other byte, '"' and '\' become \xHH. A value then
// holds no quote, no control byte and no line break, whatever it was.
func appendEscaped(b, v []byte) []byte {
	v, cut := capField(v)
	for len(v) > 0 {
		n := plainRun(v)
		b = append(b, v[:n]...)
		if v = v[n:]; len(v) == 0 {
			break
		}
		b = append(b, '\\', 'x', hexDigits[v[0]>>4], hexDigits[v[0]&0xf])
		v = v[1:]
	}
	if cut {
		b = append(b, "..."...)
	}
	return b
}

// appendJSONString writes v as a JSON string: '"', '\', control bytes and
// DEL escaped (RFC 8259 §7), U+2028 and U+2029 as \u escapes (JavaScript
// reads them as line breaks), valid UTF-8 as is, and each byte that is not
// valid UTF-8 as the four characters \xHH (written \\xHH), since JSON
// strings can hold only Unicode.
func appendJSONString(b, v []byte) []byte {
	v, cut := capField(v)
	b = append(b, '"')
	for len(v) > 0 {
		n := plainRun(v)
		b = append(b, v[:n]...)
		if v = v[n:]; len(v) == 0 {
			break
		}
		c := v[0]
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default: // the other control bytes and DEL
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			v = v[1:]
			continue
		}
		r, size := utf8.DecodeRune(v)
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, '\\', '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			b = append(b, v[:size]...)
		}
		v = v[size:]
	}
	if cut {
		b = append(b, "..."...)
	}
	return append(b, '"')
}

func capField(v []byte) ([]byte, bool) {
	if len(v) > maxField {
		return v[:maxField], true
	}
	return v, false
}

// appendSeconds writes d in seconds with microsecond digits ("0.000123"),
// without going through a float.
func appendSeconds(b []byte, d time.Duration) []byte {
	us := max(d.Microseconds(), 0)
	b = strconv.AppendInt(b, us/1e6, 10)
	frac := us % 1e6
	var digits [7]byte
	digits[0] = '.'
	for i := 6; i > 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(b, digits[:]...)
}

// appendUTC writes t in UTC as RFC 3339 with milliseconds,
// "2006-01-02T15:04:05.000Z": what log pipelines parse without a zone
// table. By hand, at a quarter of AppendFormat's cost.
func appendUTC(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	b = appendPadded(b, year, 4)
	b = appendPadded(append(b, '-'), int(month), 2)
	b = appendPadded(append(b, '-'), day, 2)
	b = appendPadded(append(b, 'T'), hour, 2)
	b = appendPadded(append(b, ':'), minute, 2)
	b = appendPadded(append(b, ':'), sec, 2)
	b = appendPadded(append(b, '.'), t.Nanosecond()/1e6, 3)
	return append(b, 'Z')
}

// appendCLFTime writes t in its own zone as the common log format does,
// "02/Jan/2006:15:04:05 -0700".
func appendCLFTime(b []byte, t time.Time) []byte {
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	_, offset := t.Zone()
	b = appendPadded(b, day, 2)
	b = append(append(append(b, '/'), month.String()[:3]...), '/')
	b = appendPadded(b, year, 4)
	b = appendPadded(append(b, ':'), hour, 2)
	b = appendPadded(append(b, ':'), minute, 2)
	b = appendPadded(append(b, ':'), sec, 2)
	sign := byte('+')
	if offset < 0 {
		sign, offset = '-', -offset
	}
	b = appendPadded(append(b, ' ', sign), offset/3600, 2)
	return appendPadded(b, offset/60%60, 2)
}

// appendPadded writes v, not negative, in at least width digits.
func appendPadded(b []byte, v, width int) []byte {
	var digits [20]byte
	i := len(digits)
	for v > 0 || width > 0 {
		i--
		digits[i] = byte('0' + v%10)
		v /= 10
		width--
	}
	return append(b, digits[i:]...)
}

// stringBytes views s as bytes without copying; the bytes are only read.
func stringBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
