// Package watch tells when any file of a set may have changed: it watches
// each file's directory (so renames, Kubernetes ..data swaps and deleted
// directories are seen), debounces bursts of events, and adds a poll tick
// for filesystems where inotify is silent.
package watch
