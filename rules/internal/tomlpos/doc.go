// Package tomlpos finds the line and column of keys and array elements in a
// TOML document that has already parsed successfully, and bounds the nesting
// of one before it is parsed.
package tomlpos
