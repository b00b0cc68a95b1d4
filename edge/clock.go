package edge

import "time"

// epoch anchors request timing. time.Since on a Time that carries a
// monotonic reading reads only the monotonic clock (one vDSO call), where
// time.Now reads the wall clock as well: a request costs two such reads.
var epoch = time.Now()

// monotime is the monotonic clock, in nanoseconds since epoch.
func monotime() time.Duration { return time.Since(epoch) }
