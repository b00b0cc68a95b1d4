// Package assets maps a request path to a file's bytes and entity headers (type,
// validators, caching, precompressed encodings, ranges); it knows nothing of CORS.
package assets
