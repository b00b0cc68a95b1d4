// Package load drives an HTTP/1.1 server with keep-alive requests, through
// wrk when it is installed or a built-in Go generator, and reports
// throughput, latency percentiles and errors.
package load
