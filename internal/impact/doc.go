// Package impact tells what a rules edit would change for the traffic a
// server has seen: which (Origin, path) pairs two compiled tables decide
// differently, refused, allowed or answered with other CORS headers.
package impact
