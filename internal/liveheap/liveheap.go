// Package liveheap measures the live heap, for tests that hold a structure's
// real size to the bound the code charges or documents for it.
package liveheap

import "runtime"

// Bytes returns the live heap after a full collection.
func Bytes() uint64 {
	runtime.GC()
	runtime.GC() // the second one frees what sync.Pool's victim cache held
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
