// Package origin parses the CORS origin patterns of rules.toml and finds,
// without allocating and in time independent of the number of patterns, the
// first (smallest-priority) pattern that matches a request's Origin.
package origin
