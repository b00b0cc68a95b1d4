package assets

import (
	"bytes"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

// version identifies one state of a stored file: rewriting it in place, or
// replacing it by rename, changes at least one field.
type version struct {
	size    int64
	modTime int64  // Unix nanoseconds
	inode   uint64 // 0 where the file system has none (embedded files)
	device  uint64
}

// appendETag appends a strong entity tag (RFC 9110 §8.8.3) made of the size and
// modification time, in hex, like Caddy and nginx: it needs no read of the
// content, and hosts holding the same files agree on it (the inode would
// not). A sidecar has its own size and time, and the coding as a suffix, so
// each encoding has its own tag (§8.8.3.3).
func appendETag(dst []byte, v version, enc encoding) []byte {
	dst = append(dst, '"')
	dst = strconv.AppendUint(dst, uint64(v.size), 16)
	dst = append(dst, '-')
	dst = strconv.AppendUint(dst, uint64(v.modTime), 16)
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

// notModified evaluates If-None-Match or, only without it, If-Modified-Since
// against a representation, as steps 3 and 4 of RFC 9110 §13.2.2 order them
// for GET and HEAD. modSeconds is its Last-Modified in Unix seconds.
func notModified(req *fasthttp.RequestHeader, etag, lastModified []byte, modSeconds int64) bool {
	if lines := req.PeekAll(fasthttp.HeaderIfNoneMatch); len(lines) > 0 {
		for _, line := range lines {
			if etagListMatches(line, etag) {
				return true
			}
		}
		return false
	}
	since := req.Peek(fasthttp.HeaderIfModifiedSince)
	if len(since) == 0 {
		return false
	}
	if bytes.Equal(since, lastModified) { // what browsers send back: skip the parse
		return true
	}
	t, err := fasthttp.ParseHTTPDate(since) // an invalid date is ignored (§13.1.3)
	return err == nil && modSeconds <= t.Unix()
}

// etagListMatches reports whether an If-None-Match value is "*" or lists etag
// under the weak comparison of RFC 9110 §8.8.3.2 (a W/ prefix is ignored). A
// malformed element ends the list without a match.
func etagListMatches(list, etag []byte) bool {
	for {
		for len(list) > 0 && (list[0] == ',' || list[0] == ' ' || list[0] == '\t') {
			list = list[1:]
		}
		switch {
		case len(list) == 0:
			return false
		case list[0] == '*':
			return true
		case bytes.HasPrefix(list, []byte("W/")):
			list = list[2:]
		}
		if len(list) == 0 || list[0] != '"' {
			return false
		}
		end := bytes.IndexByte(list[1:], '"')
		if end < 0 {
			return false
		}
		if bytes.Equal(list[:end+2], etag) {
			return true
		}
		list = list[end+2:]
	}
}

// rangeApplies evaluates If-Range (RFC 9110 §13.1.5): without it a Range
// applies; with it, only when it holds the representation's entity tag, under
// the strong comparison (so never a W/ tag), or exactly its Last-Modified date.
func rangeApplies(req *fasthttp.RequestHeader, etag, lastModified []byte) bool {
	v := req.Peek(fasthttp.HeaderIfRange)
	switch {
	case len(v) == 0:
		return true
	case v[0] == '"', bytes.HasPrefix(v, []byte("W/")):
		return bytes.Equal(v, etag)
	}
	return bytes.Equal(v, lastModified)
}
