package load

import (
	"testing"
	"time"
)

func TestBucketPrecision(t *testing.T) {
	for _, d := range []time.Duration{0, 1, 127, 128, 129, 255, 256, 1000, 12345, time.Millisecond, 3 * time.Second, 1 << 62} {
		got := bucketValue(bucketOf(d))
		if diff := float64(got-d) / float64(max(d, 1)); diff > 1.0/128 || diff < -1.0/128 {
			t.Errorf("%v is recorded as %v, %.2f%% off", d, got, 100*diff)
		}
	}
}

func TestQuantile(t *testing.T) {
	tests := []struct {
		desc    string
		samples []time.Duration
		q       float64
		want    time.Duration
	}{
		{desc: "empty", q: 0.5, want: 0},
		{desc: "one sample", samples: []time.Duration{100}, q: 0.99, want: 100},
		{desc: "median of 1..100 µs", samples: micros(1, 100), q: 0.5, want: 50 * time.Microsecond},
		{desc: "p99 of 1..100 µs", samples: micros(1, 100), q: 0.99, want: 99 * time.Microsecond},
		{desc: "p99 with one outlier in 100", samples: append(micros(1, 99), time.Second), q: 0.99, want: 99 * time.Microsecond},
		{desc: "p100 is the outlier", samples: append(micros(1, 99), time.Second), q: 1, want: time.Second},
	}
	for _, tc := range tests {
		var h histogram
		for _, s := range tc.samples {
			h.record(s)
		}
		got := h.quantile(tc.q)
		if diff := float64(got-tc.want) / float64(max(tc.want, 1)); diff > 0.01 || diff < -0.01 {
			t.Errorf("%s: quantile(%v) = %v, want %v", tc.desc, tc.q, got, tc.want)
		}
	}
}

func micros(from, to int) []time.Duration {
	var d []time.Duration
	for i := from; i <= to; i++ {
		d = append(d, time.Duration(i)*time.Microsecond)
	}
	return d
}
