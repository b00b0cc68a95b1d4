package edge

import (
	"crypto/sha256"
	"time"

	"corsedge/rules"
)

// state is one loaded rules file: its table and the decision cache that
// belongs to it, swapped in together through one atomic pointer.
type state struct {
	table      *rules.Table
	cache      *decisionCache
	sum        [sha256.Size]byte // of the bytes the table was compiled from
	generation uint64            // 1 for the table loaded at start, +1 per successful reload
	loadedAt   time.Time
}
