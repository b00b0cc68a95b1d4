// Package header checks the Access-Control-Request-Headers list
// of a preflight against a compiled set of allowed header names, without
// allocating and in time bounded by a fixed cap on the list.
package header
