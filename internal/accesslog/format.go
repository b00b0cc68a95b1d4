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
	b = e.Time.AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
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
	b = appendRule(b, e, appendJSONString)
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
	b = e.Time.AppendFormat(b, "02/Jan/2006:15:04:05 -0700")
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
	b = appendRule(b, e, func(b, v []byte) []byte {
		if len(v) == 0 {
			return append(b, '-')
		}
		return appendEscaped(b, v)
	})
	b = append(b, `" `...)
	b = appendSeconds(b, e.Duration)
	return append(b, '\n')
}

// appendRule writes the deciding rule as its name, "#N" when it has none,
// or an empty value when no rule decided; value escapes the name.
func appendRule(b []byte, e *Entry, value func(b, v []byte) []byte) []byte {
	if e.RuleNumber == 0 || e.RuleName != "" {
		return value(b, stringBytes(e.RuleName))
	}
	var num [24]byte
	return value(b, strconv.AppendInt(append(num[:0], '#'), int64(e.RuleNumber), 10))
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

// appendEscaped writes v as nginx's default log escaping does: printable
// ASCII stays, and every other byte, '"' and '\' become \xHH. A value then
// holds no quote, no control byte and no line break, whatever it was.
func appendEscaped(b, v []byte) []byte {
	v, cut := capField(v)
	for _, c := range v {
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			b = append(b, c)
			continue
		}
		b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
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
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			continue
		}
		r, size := utf8.DecodeRune(v[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, '\\', '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			b = append(b, v[i:i+size]...)
		}
		i += size
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

// stringBytes views s as bytes without copying; the bytes are only read.
func stringBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
