package assets

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

// version identifies one state of a stored file: rewriting it in place, or
// replacing it by rename, changes at least one field.
type version struct {
	size    int64
	modTime int64  // Unix nanoseconds
	changed int64  // inode change time (st_ctim), Unix nanoseconds; 0 where none; never in an ETag (hosts differ on it)
	inode   uint64 // 0 where the file system has none (embedded files)
	device  uint64
}

// zipEpoch is 1980-01-01T00:00:00Z in Unix seconds, the earliest time a zip
// entry can hold, to which reproducible builds and image layers pin mtimes.
const zipEpoch = 315532800

// usefulModTime reports whether a modification time (Unix nanoseconds) can tell
// two versions of a file apart: like Caddy's file server, not Unix seconds 0
// or 1, nor times before 1970 or the zip epoch, which rebuilt files keep.
func usefulModTime(ns int64) bool {
	sec := ns / int64(time.Second)
	return ns >= 0 && sec != 0 && sec != 1 && sec != zipEpoch
}

// appendStatTag appends a strong entity tag (RFC 9110 §8.8.3) of size and
// modification time in hex, like Caddy and nginx: a streamed file's tag needs
// no read of the content. Only for a useful modification time.
func appendStatTag(dst []byte, v version, enc encoding) []byte {
	dst = append(dst, '"')
	dst = strconv.AppendUint(dst, uint64(v.size), 16)
	dst = append(dst, '-')
	dst = strconv.AppendUint(dst, uint64(v.modTime), 16)
	return appendCodingSuffix(dst, enc)
}

// appendContentTag appends a strong entity tag for a body held in memory, the
// first 128 bits of its SHA-256 in base64url: it changes exactly when the
// bytes do, whatever the file's times, and every host agrees on it.
func appendContentTag(dst, body []byte, enc encoding) []byte {
	sum := sha256.Sum256(body)
	dst = append(dst, '"')
	dst = base64.RawURLEncoding.AppendEncode(dst, sum[:16])
	return appendCodingSuffix(dst, enc)
}

// appendCodingSuffix closes a tag with the content coding as a suffix, so that
// each encoding of a file has its own tag (RFC 9110 §8.8.3.3).
func appendCodingSuffix(dst []byte, enc encoding) []byte {
	if enc != encIdentity {
		dst = append(dst, '-')
		dst = append(dst, contentEncoding[enc]...)
	}
	return append(dst, '"')
}

// appendLastModified appends the Last-Modified HTTP-date (RFC 9110 §8.8.2).
func appendLastModified(dst []byte, v version) []byte {
	return fasthttp.AppendHTTPDate(dst, time.Unix(0, v.modTime))
}

// singleField returns a one-member field's value and how many lines it came
// in: on several lines it is a list (RFC 9110 §5.3) it cannot be, so only
// lines == 1 is usable, never first-wins. PeekAll reuses a buffer: no allocation.
func singleField(req *fasthttp.RequestHeader, name string) (value []byte, lines int) {
	all := req.PeekAll(name)
	if len(all) != 1 {
		return nil, len(all)
	}
	return all[0], 1
}

// preconditionsHold evaluates If-Match or, only without it, If-Unmodified-Since
// (RFC 9110 §13.2.2 steps 1-2, before any 304 or range); false is a 412, so a
// resumed download never splices two versions. hasDate: Last-Modified is sent.
func preconditionsHold(req *fasthttp.RequestHeader, etag []byte, modSeconds int64, hasDate bool) bool {
	if lines := req.PeekAll(fasthttp.HeaderIfMatch); len(lines) > 0 {
		for _, line := range lines { // several lines are one list (§5.3)
			if etagListMatches(line, etag, true) {
				return true
			}
		}
		return false
	}
	since, lines := singleField(req, fasthttp.HeaderIfUnmodifiedSince)
	if lines != 1 || !hasDate {
		return true // §13.1.4: ignored without a modification date
	}
	t, err := fasthttp.ParseHTTPDate(since)
	return err != nil || modSeconds <= t.Unix() // an invalid date is ignored (§13.1.4)
}

// notModified evaluates If-None-Match or, only without it, If-Modified-Since
// (RFC 9110 §13.2.2 steps 3-4, GET and HEAD); If-Modified-Since is ignored for
// a representation sent without Last-Modified (lastModified empty).
func notModified(req *fasthttp.RequestHeader, etag, lastModified []byte, modSeconds int64) bool {
	if lines := req.PeekAll(fasthttp.HeaderIfNoneMatch); len(lines) > 0 {
		for _, line := range lines {
			if etagListMatches(line, etag, false) {
				return true
			}
		}
		return false
	}
	since, lines := singleField(req, fasthttp.HeaderIfModifiedSince)
	if lines != 1 || len(since) == 0 || len(lastModified) == 0 {
		return false
	}
	if bytes.Equal(since, lastModified) { // what browsers send back: skip the parse
		return true
	}
	t, err := fasthttp.ParseHTTPDate(since) // an invalid date is ignored (§13.1.3)
	return err == nil && modSeconds <= t.Unix()
}

// etagListMatches reports whether an If-Match or If-None-Match value is "*" or
// lists etag (strong, or empty: none) under the strong or weak comparison of
// RFC 9110 §8.8.3.2; a malformed element ends the list without a match.
func etagListMatches(list, etag []byte, strong bool) bool {
	for {
		for len(list) > 0 && (list[0] == ',' || list[0] == ' ' || list[0] == '\t') {
			list = list[1:]
		}
		weak := false
		switch {
		case len(list) == 0:
			return false
		case list[0] == '*':
			return true
		case bytes.HasPrefix(list, []byte("W/")):
			list, weak = list[2:], true
		}
		if len(list) == 0 || list[0] != '"' {
			return false
		}
		end := bytes.IndexByte(list[1:], '"')
		if end < 0 {
			return false
		}
		tag := list[:end+2]
		list = list[end+2:]
		for len(list) > 0 && (list[0] == ' ' || list[0] == '\t') {
			list = list[1:]
		}
		if len(list) > 0 && list[0] != ',' {
			return false // `"a"x` is no entity-tag
		}
		if !(weak && strong) && len(etag) > 0 && bytes.Equal(tag, etag) {
			return true
		}
	}
}

// rangeApplies evaluates If-Range (RFC 9110 §13.1.5): a Range applies without
// it, or when it holds the entity tag (strong comparison) or exactly the
// Last-Modified date. One that cannot be evaluated (several lines, empty) never
// does: the whole representation is always a safe answer.
func rangeApplies(req *fasthttp.RequestHeader, etag, lastModified []byte) bool {
	v, lines := singleField(req, fasthttp.HeaderIfRange)
	switch {
	case lines == 0:
		return true
	case len(v) == 0:
		return false
	case v[0] == '"', bytes.HasPrefix(v, []byte("W/")):
		return len(etag) > 0 && bytes.Equal(v, etag)
	}
	return len(lastModified) > 0 && bytes.Equal(v, lastModified)
}
