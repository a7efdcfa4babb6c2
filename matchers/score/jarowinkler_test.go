package score

import (
	"math"
	"testing"
)

// Published values: Winkler (1990) and the standard worked examples
// (MARTHA/MARHTA, DWAYNE/DUANE, DIXON/DICKSONX), to three decimals.
func TestJaroWinklerPublished(t *testing.T) {
	tests := []struct {
		a, b        string
		jaro, jwink float64
	}{
		{"MARTHA", "MARHTA", 0.944, 0.961},
		{"DWAYNE", "DUANE", 0.822, 0.840},
		{"DIXON", "DICKSONX", 0.767, 0.813},
		{"JELLYFISH", "SMELLYFISH", 0.896, 0.896},
		{"CRATE", "TRACE", 0.733, 0.733},
		{"abc", "abc", 1, 1},
		{"abc", "xyz", 0, 0},
		{"", "", 1, 1},
		{"", "a", 0, 0},
		{"a", "a", 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.a+"/"+tc.b, func(t *testing.T) {
			if got := Jaro(tc.a, tc.b); math.Abs(got-tc.jaro) > 5e-4 {
				t.Errorf("Jaro = %.4f, want %.3f", got, tc.jaro)
			}
			if got := JaroWinkler(tc.a, tc.b); math.Abs(got-tc.jwink) > 5e-4 {
				t.Errorf("JaroWinkler = %.4f, want %.3f", got, tc.jwink)
			}
			if x, y := JaroWinkler(tc.a, tc.b), JaroWinkler(tc.b, tc.a); x != y {
				t.Errorf("not symmetric: %v vs %v", x, y)
			}
		})
	}
}

func TestJaroLong(t *testing.T) {
	a := "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
	b := a[:len(a)-1] + "Z"
	if got := JaroWinkler(a, b); !(got > 0.98 && got < 1) {
		t.Errorf("JaroWinkler of 78-byte strings one letter apart = %v, want in (0.98, 1)", got)
	}
}
