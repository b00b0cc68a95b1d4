// Package rules owns rules.toml: it parses the file (with line:column on every
// problem), validates it, compiles it into an immutable Table, and matches an
// Origin and a request path against that Table to a Decision whose response
// header values were joined once, at compile time.
//
// It knows nothing of HTTP servers: callers hand it request bytes and receive
// header values to write.
package rules
