package accesslog

import (
	"testing"
	"time"
)

// The hand-written time formats agree with the time package's layouts.
func TestTimesMatchAppendFormat(t *testing.T) {
	for _, tc := range []struct {
		desc string
		t    time.Time
	}{
		{"UTC, milliseconds", time.Date(2025, 12, 31, 23, 59, 59, 999_999_999, time.UTC)},
		{"negative half-hour offset", time.Date(2024, 2, 29, 0, 0, 0, 1e6, time.FixedZone("NST", -(3*3600+1800)))},
		{"positive offset, day rolls back in UTC", time.Date(2026, 1, 1, 0, 30, 5, 0, time.FixedZone("", 14*3600))},
		{"local zone", time.Date(2025, 7, 4, 12, 0, 0, 0, time.Local)},
	} {
		if got, want := string(appendUTC(nil, tc.t)), tc.t.UTC().Format("2006-01-02T15:04:05.000Z"); got != want {
			t.Errorf("%s: appendUTC = %s, want %s", tc.desc, got, want)
		}
		if got, want := string(appendCLFTime(nil, tc.t)), tc.t.Format("02/Jan/2006:15:04:05 -0700"); got != want {
			t.Errorf("%s: appendCLFTime = %s, want %s", tc.desc, got, want)
		}
	}
}
