// Package tomlpos finds the line and column of keys and array elements in a
// TOML document that has already parsed successfully.
package tomlpos
