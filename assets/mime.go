package assets

import (
	"path"
	"strings"
)

// mediaType is what the table knows about one file extension.
type mediaType struct {
	contentType []byte
	// compressible types may have .br/.zst/.gz sidecars, and every response for
	// them varies on Accept-Encoding. Fonts already compressed (woff, woff2) are not.
	compressible bool
	// active types can run script when opened as a document (html, svg, xml):
	// they are sent with Content-Security-Policy: sandbox, so that on a shared
	// CDN host they run in an opaque origin, never in the CDN's own.
	active bool
}

// mediaTypes is fixed at build time: the host's mime files and content sniffing
// would give fonts and source maps different types on different hosts.
// Images already compressed (png, jpeg, gif, webp, avif) have no sidecars; ico
// (mostly uncompressed bitmaps), svg and xml do.
var mediaTypes = map[string]*mediaType{
	".woff2":       {contentType: []byte("font/woff2")},
	".woff":        {contentType: []byte("font/woff")},
	".ttf":         {contentType: []byte("font/ttf"), compressible: true},
	".otf":         {contentType: []byte("font/otf"), compressible: true},
	".eot":         {contentType: []byte("application/vnd.ms-fontobject"), compressible: true},
	".js":          {contentType: []byte("text/javascript; charset=utf-8"), compressible: true},
	".mjs":         {contentType: []byte("text/javascript; charset=utf-8"), compressible: true},
	".cjs":         {contentType: []byte("text/javascript; charset=utf-8"), compressible: true},
	".css":         {contentType: []byte("text/css; charset=utf-8"), compressible: true},
	".map":         {contentType: []byte("application/json; charset=utf-8"), compressible: true},
	".json":        {contentType: []byte("application/json; charset=utf-8"), compressible: true},
	".webmanifest": {contentType: []byte("application/manifest+json"), compressible: true},
	".wasm":        {contentType: []byte("application/wasm"), compressible: true},
	".txt":         {contentType: []byte("text/plain; charset=utf-8"), compressible: true},
	".png":         {contentType: []byte("image/png")},
	".jpg":         {contentType: []byte("image/jpeg")},
	".jpeg":        {contentType: []byte("image/jpeg")},
	".gif":         {contentType: []byte("image/gif")},
	".webp":        {contentType: []byte("image/webp")},
	".avif":        {contentType: []byte("image/avif")},
	// image/x-icon, not the registered image/vnd.microsoft.icon: it is what
	// browsers themselves sniff an ICO as (WHATWG MIME Sniffing §6.1) and what
	// nginx sends, so every browser handles it.
	".ico": {contentType: []byte("image/x-icon"), compressible: true},
	// Active content: an XML document can hold XHTML with script.
	".svg":  {contentType: []byte("image/svg+xml"), compressible: true, active: true},
	".xml":  {contentType: []byte("application/xml"), compressible: true, active: true},
	".html": {contentType: []byte("text/html; charset=utf-8"), compressible: true, active: true},
}

// octetStream is the type of every file whose extension is not in the table.
var octetStream = &mediaType{contentType: []byte("application/octet-stream")}

// mediaTypeOf looks the extension of name up in the table, ignoring case.
func mediaTypeOf(name string) *mediaType {
	if t, ok := mediaTypes[strings.ToLower(path.Ext(name))]; ok {
		return t
	}
	return octetStream
}
