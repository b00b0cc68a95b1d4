// Package assets maps a request path to a file's bytes and entity headers (type,
// validators, caching, encodings from sidecars or made in memory, ranges); it
// knows nothing of CORS.
package assets
