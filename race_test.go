//go:build race

package main

// raceBuild: the tests run under the race detector, and so does the binary
// they build (corsedgeBinary), supervisor and workers included.
const raceBuild = true
