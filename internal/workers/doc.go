// Package workers runs a server as N worker processes on shared public
// addresses (-workers): the supervisor holds one SO_REUSEPORT socket per
// worker and address, starts the workers with their sockets, restarts one
// that dies, and answers the admin endpoints for all of them.
package workers
