package assets_test

import (
	"testing"
)

// preconditionFailed is the 412 answer: short, never stored, with the CORS
// header already set and the merged Vary line, and no validators.
var preconditionFailed = map[string]string{
	"Access-Control-Allow-Origin": fakeCORS,
	"Content-Type":                "text/plain; charset=utf-8",
	"Cache-Control":               "no-store",
	"Vary":                        "Origin, Accept-Encoding",
	"X-Content-Type-Options":      "nosniff",
	"ETag":                        "",
	"Last-Modified":               "",
	"Content-Range":               "",
	"Content-Encoding":            "",
}

const (
	past   = "Mon, 01 Jan 2001 00:00:00 GMT"
	future = "Fri, 01 Jan 2100 00:00:00 GMT"
)

// TestPreconditions checks If-Match and If-Unmodified-Since, evaluated before
// If-None-Match, If-Modified-Since and Range (RFC 9110 §13.2.2), and that a
// field allowing one member is ignored when it comes as several lines (§5.3).
func TestPreconditions(t *testing.T) {
	const failedBody = "412 precondition failed\n"
	tests := []serveCase{
		{desc: "If-Match equal", headers: []string{"If-Match: {etag}"}, status: 200, want: cssOK, body: cssBody},
		{desc: "If-Match star", headers: []string{"If-Match: *"}, status: 200, want: cssOK, body: cssBody},
		{desc: "If-Match list", headers: []string{`If-Match: "old", {etag}`}, status: 200, want: cssOK, body: cssBody},
		{desc: "If-Match lines combine", headers: []string{`If-Match: "old"`, "If-Match: {etag}"}, status: 200, want: cssOK, body: cssBody},
		{desc: "If-Match other", headers: []string{`If-Match: "old"`}, status: 412, want: preconditionFailed, body: failedBody},
		{desc: "If-Match weak never matches", headers: []string{"If-Match: W/{etag}"}, status: 412, want: preconditionFailed, body: failedBody},
		{desc: "If-Match malformed", headers: []string{"If-Match: {etag}x"}, status: 412, want: preconditionFailed, body: failedBody},
		{desc: "If-Match on HEAD", method: "HEAD", headers: []string{`If-Match: "old"`}, status: 412, want: preconditionFailed},
		{desc: "If-Match of identity on br", headers: []string{"Accept-Encoding: br", "If-Match: {etag}"}, status: 412, want: preconditionFailed, body: failedBody},
		{desc: "If-Match of br on br", headers: []string{"Accept-Encoding: br", "If-Match: {etagBr}"}, status: 200, want: cssBrOK, body: cssBr},
		{desc: "If-Match before If-None-Match", headers: []string{`If-Match: "old"`, "If-None-Match: {etag}"}, status: 412, want: preconditionFailed, body: failedBody},
		{desc: "If-Match then If-None-Match", headers: []string{"If-Match: {etag}", "If-None-Match: {etag}"}, status: 304, want: cssNotModified},
		{desc: "If-Match before Range", headers: []string{"Range: bytes=0-3", `If-Match: "old"`}, status: 412, want: preconditionFailed, body: failedBody},
		{desc: "If-Match with Range", headers: []string{"Range: bytes=0-3", "If-Match: {etag}"}, status: 206, want: cssPartial, body: cssBody[:4]},
		{desc: "If-Match before unsatisfiable Range", headers: []string{"Range: bytes=1000-", `If-Match: "old"`}, status: 412, want: preconditionFailed, body: failedBody},
		{desc: "If-Unmodified-Since later", headers: []string{"If-Unmodified-Since: " + future}, status: 200, want: cssOK, body: cssBody},
		{desc: "If-Unmodified-Since equal", headers: []string{"If-Unmodified-Since: {lm}"}, status: 200, want: cssOK, body: cssBody},
		{desc: "If-Unmodified-Since earlier", headers: []string{"If-Unmodified-Since: " + past}, status: 412, want: preconditionFailed, body: failedBody},
		{desc: "If-Unmodified-Since earlier before Range", headers: []string{"Range: bytes=0-3", "If-Unmodified-Since: " + past}, status: 412, want: preconditionFailed, body: failedBody},
		{desc: "If-Unmodified-Since earlier before If-None-Match", headers: []string{"If-Unmodified-Since: " + past, "If-None-Match: {etag}"}, status: 412, want: preconditionFailed, body: failedBody},
		{desc: "If-Unmodified-Since invalid", headers: []string{"If-Unmodified-Since: yesterday"}, status: 200, want: cssOK, body: cssBody},
		{desc: "If-Unmodified-Since as a list", headers: []string{"If-Unmodified-Since: " + past + ", " + future}, status: 200, want: cssOK, body: cssBody},
		{desc: "If-Unmodified-Since ignored with If-Match", headers: []string{"If-Match: {etag}", "If-Unmodified-Since: " + past}, status: 200, want: cssOK, body: cssBody},
		{desc: "If-Unmodified-Since on two lines", headers: []string{"If-Unmodified-Since: " + past, "If-Unmodified-Since: " + past}, status: 200, want: cssOK, body: cssBody},
		{desc: "If-Modified-Since on two lines", headers: []string{"If-Modified-Since: {lm}", "If-Modified-Since: {lm}"}, status: 200, want: cssOK, body: cssBody},
		{desc: "If-Modified-Since on two lines, first invalid", headers: []string{"If-Modified-Since: yesterday", "If-Modified-Since: " + future}, status: 200, want: cssOK, body: cssBody},
		{desc: "Range on two lines", headers: []string{"Range: bytes=0-3", "Range: bytes=0-3"}, status: 200, want: cssOK, body: cssBody},
		{desc: "If-Range on two lines", headers: []string{"Range: bytes=0-3", "If-Range: {etag}", "If-Range: {etag}"}, status: 200, want: cssOK, body: cssBody},
		{desc: "If-Range empty", headers: []string{"Range: bytes=0-3", "If-Range: "}, status: 200, want: cssOK, body: cssBody},
	}
	for i := range tests {
		tests[i].path = "/css/a.css"
	}
	runServeCases(t, tests)
}
