// Package accesslog writes one line per request, JSON or combined, through a
// bounded buffer that drops lines rather than make a request wait on the disk.
package accesslog
