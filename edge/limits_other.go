//go:build !unix

package edge

// descriptorLimit returns 0: the limit is unknown here.
func descriptorLimit() uint64 { return 0 }
