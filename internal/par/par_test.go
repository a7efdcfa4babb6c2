package par

import "testing"

func TestForEachCallsEveryIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 31, 32, 1000} {
		got := make([]int, n)
		ForEach(n, func(i int) { got[i]++ })
		for i, c := range got {
			if c != 1 {
				t.Fatalf("n=%d: index %d called %d times", n, i, c)
			}
		}
	}
}
