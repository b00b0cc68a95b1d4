package harness

import "testing"

func TestCPUList(t *testing.T) {
	for _, tc := range []struct {
		cpus []int
		want string
	}{
		{[]int{0}, "0"},
		{[]int{0, 1, 2, 3}, "0-3"},
		{[]int{4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, "4-15"},
		{[]int{2, 5, 6, 7}, "2,5-7"},
		{[]int{1, 3}, "1,3"},
	} {
		if got := cpuList(tc.cpus); got != tc.want {
			t.Errorf("cpuList(%v) = %q, want %q", tc.cpus, got, tc.want)
		}
	}
}
