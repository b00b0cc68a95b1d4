package assets

import (
	"testing"
	"unsafe"
)

// TestEntryLayout holds what the hit path's cache-line count rests on: an
// entry is a multiple of 64 bytes, so the allocator's size class of that
// size starts every entry on a cache line (checked on entries made), and
// the fields a hit reads end within the first three lines.
func TestEntryLayout(t *testing.T) {
	var e entry
	size := unsafe.Sizeof(e)
	if size%64 != 0 {
		t.Fatalf("entry is %d bytes, not a multiple of 64: adjust entryPad", size)
	}
	hot := unsafe.Offsetof(e.identity) + unsafe.Sizeof(e.identity)
	if hot > 3*64 {
		t.Errorf("a hit reads %d bytes of its entry, over three cache lines", hot)
	}
	t.Logf("entry %d bytes, a hit's part %d", size, hot)
	for range 100 {
		e := newEntry("s/1/font.woff2", mediaTypeOf("font.woff2"), version{size: 4}, []byte("font"))
		if p := uintptr(unsafe.Pointer(e)); p%64 != 0 {
			t.Fatalf("entry at %#x, not on a cache line", p)
		}
	}
}
