// Package connlimit wraps a net.Listener so that a server outlives running
// out of file descriptors and no one client address holds more than its
// share of the connections.
package connlimit
