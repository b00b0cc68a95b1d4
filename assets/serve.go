package assets

import (
	"errors"
	"io"
	"io/fs"
	"unsafe"

	"github.com/valyala/fasthttp"
)

// Hints carries what the caller (edge) decides about a response.
type Hints struct {
	Vary         string // caller's Vary field names, e.g. "Origin" or ""; merged with Accept-Encoding into one Vary line
	CacheControl string // Cache-Control of a successful response (200, 206, 304); "" means defaultCacheControl
}

const (
	defaultCacheControl  = "public, max-age=3600"
	notFoundCacheControl = "public, max-age=60" // short: a file may appear
)

// Field names as fasthttp stores them (its normalised case), so that
// SetCanonical skips normalising them on every request; Peek still finds them.
var (
	fieldContentTypeOptions    = []byte(fasthttp.HeaderXContentTypeOptions)
	fieldETag                  = []byte("Etag")
	fieldLastModified          = []byte(fasthttp.HeaderLastModified)
	fieldAcceptRanges          = []byte(fasthttp.HeaderAcceptRanges)
	fieldContentRange          = []byte(fasthttp.HeaderContentRange)
	fieldContentSecurityPolicy = []byte(fasthttp.HeaderContentSecurityPolicy)
	fieldCacheControl          = []byte(fasthttp.HeaderCacheControl)
)

var (
	nosniff          = []byte("nosniff")
	acceptRangeBytes = []byte("bytes")
	textPlain        = []byte("text/plain; charset=utf-8")
	notFoundBody     = []byte("404 not found\n")
	preconditionBody = []byte("412 precondition failed\n")
	sandbox          = []byte("sandbox")
	unavailableBody  = []byte("503 service unavailable\n")
)

// request is what Serve reads from the request once.
type request struct {
	head   bool
	ranged bool // a single byte range was asked for (GET only, RFC 9110 §14.2)
	spec   rangeSpec
	accept acceptance
}

// Serve answers a GET or HEAD request for path, the percent-decoded and
// cleaned request path (ctx.Path()). It sets the status, entity headers and
// body, keeps every header already set (CORS), and never resets the response.
// It returns the error behind a 503 (a file that could not be read, a root
// that is gone) for the caller to log and count; nil for every other answer.
func (s *Server) Serve(ctx *fasthttp.RequestCtx, path []byte, h Hints) error {
	ctx.Response.Header.SetCanonical(fieldContentTypeOptions, nosniff)
	name, ok := fileName(path)
	if !ok {
		s.NotFound(ctx, h)
		return nil
	}
	var req request
	req.head = ctx.IsHead()
	if !req.head {
		if r, lines := singleField(&ctx.Request.Header, fasthttp.HeaderRange); lines == 1 && len(r) > 0 {
			req.spec, req.ranged = parseRange(r)
		}
	}
	// Ranges are served from the unencoded file only: a byte range of one
	// encoding is useless to a client that later gets another.
	if !req.ranged {
		for _, line := range ctx.Request.Header.PeekAll(fasthttp.HeaderAcceptEncoding) {
			req.accept.add(line)
		}
	}
	r := s.cur.Load() // one release for the whole request: its tree and its entries
	if e := s.cached(r, name); e != nil {
		s.hits.Add(1)
		s.respond(ctx, e.media, e.choose(&req.accept), nil, &req, h)
		return nil
	}
	s.misses.Add(1)
	return s.serveMiss(ctx, r, string(name), &req, h)
}

// maxAttempts bounds the reads of one miss: a file that changed while read,
// or a release switched away from, is tried again.
const maxAttempts = 3

// serveMiss serves a file not held in memory: a small one is read in (with
// its sidecars) and kept, a big one is streamed from disk.
func (s *Server) serveMiss(ctx *fasthttp.RequestCtx, r *release, name string, req *request, h Hints) error {
	media := mediaTypeOf(name)
	for attempt := 1; ; attempt++ {
		checked := s.clock.read() // before the stats: a change after them is seen next time
		var looked []string
		f, v, err := r.tree.open(name, &looked)
		if err != nil {
			next, err := s.next(r, err)
			if next != nil && attempt < maxAttempts {
				r = next
				continue
			}
			return s.fail(ctx, h, err)
		}
		if v.size > s.maxFileInMemory {
			s.serveStream(ctx, r.tree, name, media, f, v, req, h)
			return nil
		}
		e, err := s.loadShared(r, name, media, f, v, checked, looked)
		if errors.Is(err, errChanged) && attempt < maxAttempts {
			continue
		}
		if errors.Is(err, errChanged) {
			err = &fs.PathError{Op: "read", Path: name, Err: err} // the others name their path
		}
		if err != nil {
			return s.fail(ctx, h, err)
		}
		s.respond(ctx, media, e.choose(&req.accept), nil, req, h)
		return nil
	}
}

// serveStream serves a file too big to hold in memory from its open
// descriptor, or from the best sidecar the client accepts. Its headers come
// from the very descriptor sent, so Content-Length always matches the bytes;
// only a rewrite in place during the send can still mix old and new bytes.
func (s *Server) serveStream(ctx *fasthttp.RequestCtx, t *tree, name string, media *mediaType, f fs.File, v version, req *request, h Hints) {
	enc := encIdentity
	if media.compressible {
		list, n := req.accept.ranked()
		for _, c := range list[:n-1] { // the last is identity, already open
			if sf, sv, err := t.open(name+sidecarSuffix[c], nil); err == nil {
				if s.staleSidecar(name, c, v, sv) {
					sf.Close()
					continue
				}
				f.Close()
				f, v, enc = sf, sv, c
				break
			}
		}
	}
	s.respond(ctx, media, streamVariant(enc, v), f, req, h)
}

// respond answers with variant v of a file: 412, 304, 416, 206 or 200. Its body is
// v.body, or the open file f, which respond closes or hands to fasthttp.
func (s *Server) respond(ctx *fasthttp.RequestCtx, media *mediaType, v *variant, f fs.File, req *request, h Hints) {
	resp := &ctx.Response.Header
	if !preconditionsHold(&ctx.Request.Header, v.etag(), v.modSeconds, v.datedLen != 0) {
		closeFile(f)
		preconditionFailed(ctx, media, h)
		return
	}
	if notModified(&ctx.Request.Header, v.etag(), v.lastModified(), v.modSeconds) {
		closeFile(f)
		ctx.SetStatusCode(fasthttp.StatusNotModified)
		// RFC 9110 §15.4.5: the fields a 200 would carry that update a cache
		// (ETag, Cache-Control, Vary), no Content-Type and no Content-Length.
		setEntityCommon(resp, media, v, h)
		return
	}
	start, length, outcome := int64(0), v.size, rangeWhole
	if req.ranged && rangeApplies(&ctx.Request.Header, v.etag(), v.lastModified()) {
		start, length, outcome = req.spec.resolve(v.size)
	}
	var buf [64]byte
	switch outcome {
	case rangeUnsatisfiable:
		closeFile(f)
		ctx.SetStatusCode(fasthttp.StatusRequestedRangeNotSatisfiable)
		resp.SetCanonical(fieldContentRange, appendContentRange(buf[:0], 0, 0, v.size))
		setVary(resp, h.Vary, media.compressible)
		ctx.Response.ResetBody()
		return
	case rangePartial:
		if f != nil && start > 0 {
			if _, err := f.(io.Seeker).Seek(start, io.SeekStart); err != nil {
				closeFile(f)
				s.fail(ctx, h, err)
				return
			}
		}
		ctx.SetStatusCode(fasthttp.StatusPartialContent)
		resp.SetCanonical(fieldContentRange, appendContentRange(buf[:0], start, length, v.size))
	default:
		ctx.SetStatusCode(fasthttp.StatusOK)
	}
	setEntityCommon(resp, media, v, h)
	resp.SetContentTypeBytes(media.contentType)
	resp.SetCanonical(fieldAcceptRanges, acceptRangeBytes)
	if v.enc != encIdentity {
		resp.SetContentEncodingBytes(contentEncoding[v.enc])
	}
	switch {
	case req.head: // the same fields, Content-Length of the body not sent
		closeFile(f)
		ctx.Response.SkipBody = true
		ctx.Response.ResetBody()
		resp.SetContentLength(int(length))
	case f != nil:
		ctx.Response.SetBodyStream(f, int(length)) // fasthttp closes f; sendfile for *os.File
	default:
		ctx.Response.SetBodyRaw(v.body[start : start+length])
	}
}

// viewBytes views s as bytes for a reader that never writes to them and
// keeps none: SetCanonical, which copies a value (Set(name, s) would
// normalise the name and copy both again on every request, 1% of a 304's
// CPU, and []byte(s) allocate for values over 32 bytes, as most
// Cache-Control values are), or a hash.
func viewBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// setEntityCommon sets the fields that 200, 206 and 304 share.
func setEntityCommon(resp *fasthttp.ResponseHeader, media *mediaType, v *variant, h Hints) {
	if etag := v.etag(); etag != nil {
		resp.SetCanonical(fieldETag, etag)
	}
	if lastModified := v.lastModified(); lastModified != nil {
		resp.SetCanonical(fieldLastModified, lastModified)
	}
	if media.active {
		resp.SetCanonical(fieldContentSecurityPolicy, sandbox)
	}
	cacheControl := h.CacheControl
	if cacheControl == "" {
		cacheControl = defaultCacheControl
	}
	resp.SetCanonical(fieldCacheControl, viewBytes(cacheControl))
	setVary(resp, h.Vary, media.compressible)
}

// preconditionFailed writes the 412 answer: a short plain body that no cache
// keeps, with Vary merged as on the 200 it stands for (the tag compared was
// that of the coding Accept-Encoding chose). Headers already set stay.
func preconditionFailed(ctx *fasthttp.RequestCtx, media *mediaType, h Hints) {
	writeError(ctx, h, fasthttp.StatusPreconditionFailed, "no-store", preconditionBody)
	setVary(&ctx.Response.Header, "", media.compressible)
}

// NotFound writes the 404 answer: a short plain body, the short error cache
// lifetime, and Vary merged as on every response. Headers already set stay.
func (s *Server) NotFound(ctx *fasthttp.RequestCtx, h Hints) {
	writeError(ctx, h, fasthttp.StatusNotFound, notFoundCacheControl, notFoundBody)
}

// fail answers a file that could not be served: 404, or 503 for a failure of
// the server rather than of the request (see unavailable), which it returns.
// The body never names a path.
func (s *Server) fail(ctx *fasthttp.RequestCtx, h Hints, err error) error {
	if !unavailable(err) {
		s.NotFound(ctx, h)
		return nil
	}
	// RFC 9111 §5.2.2.5: no-store keeps a shared cache from holding the
	// failure; RFC 9110 §10.2.3: Retry-After says when to ask again.
	ctx.Response.Header.Set(fasthttp.HeaderRetryAfter, "1")
	writeError(ctx, h, fasthttp.StatusServiceUnavailable, "no-store", unavailableBody)
	return err
}

// writeError writes a short plain-text error answer.
func writeError(ctx *fasthttp.RequestCtx, h Hints, status int, cacheControl string, body []byte) {
	resp := &ctx.Response.Header
	ctx.SetStatusCode(status)
	resp.SetCanonical(fieldContentTypeOptions, nosniff)
	resp.SetContentTypeBytes(textPlain)
	resp.SetCanonical(fieldCacheControl, viewBytes(cacheControl))
	setVary(resp, h.Vary, false)
	if ctx.IsHead() {
		ctx.Response.SkipBody = true
	}
	ctx.Response.SetBodyRaw(body)
}

func closeFile(f fs.File) {
	if f != nil {
		f.Close()
	}
}
