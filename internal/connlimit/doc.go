// Package connlimit wraps a net.Listener so that a server outlives running
// out of file descriptors and no one client address holds more than its
// share of the connections; the connections it hands out move their
// deadlines lazily and keep the writev and sendfile paths of a bare TCP
// connection.
package connlimit
