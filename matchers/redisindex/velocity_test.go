package redisindex

import "testing"

func TestBusiestMinute(t *testing.T) {
	const w = 60_000
	tests := []struct {
		scores []int64
		t      int64
		want   int64
	}{
		{[]int64{0}, 0, 1},
		{[]int64{0, 10_000, 20_000, 30_000}, 0, 4},      // the later ones, seen first
		{[]int64{0, 10_000, 20_000, 30_000}, 30_000, 4}, // the earlier ones
		{[]int64{0, 30_000, 60_000, 90_000}, 60_000, 2}, // a minute apart: never more than two
		{[]int64{-50_000, 0, 50_000}, 0, 2},
		{[]int64{0, 59_999}, 0, 2},
		{[]int64{0, 60_000}, 0, 1},
	}
	for _, tc := range tests {
		if got := busiestMinute(tc.scores, tc.t, w); got != tc.want {
			t.Errorf("busiestMinute(%v, %d) = %d, want %d", tc.scores, tc.t, got, tc.want)
		}
	}
}
