package rules_test

import "time"

func testingNow() time.Time          { return time.Now() }
func testingSince(t time.Time) int64 { return int64(time.Since(t)) }
