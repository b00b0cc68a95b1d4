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
}

// mediaTypes is fixed at build time: the host's mime files and content sniffing
// would give fonts and source maps different types on different hosts.
var mediaTypes = map[string]*mediaType{
	".woff2": {contentType: []byte("font/woff2")},
	".woff":  {contentType: []byte("font/woff")},
	".ttf":   {contentType: []byte("font/ttf"), compressible: true},
	".otf":   {contentType: []byte("font/otf"), compressible: true},
	".eot":   {contentType: []byte("application/vnd.ms-fontobject"), compressible: true},
	".js":    {contentType: []byte("text/javascript; charset=utf-8"), compressible: true},
	".mjs":   {contentType: []byte("text/javascript; charset=utf-8"), compressible: true},
	".cjs":   {contentType: []byte("text/javascript; charset=utf-8"), compressible: true},
	".css":   {contentType: []byte("text/css; charset=utf-8"), compressible: true},
	".map":   {contentType: []byte("application/json; charset=utf-8"), compressible: true},
	".json":  {contentType: []byte("application/json; charset=utf-8"), compressible: true},
	".wasm":  {contentType: []byte("application/wasm"), compressible: true},
	".svg":   {contentType: []byte("image/svg+xml"), compressible: true},
	".txt":   {contentType: []byte("text/plain; charset=utf-8"), compressible: true},
	".html":  {contentType: []byte("text/html; charset=utf-8"), compressible: true},
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
