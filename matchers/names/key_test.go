package names

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// appendKeyRef is appendKey as first written, a string per skeleton:
// the reference appendKey must agree with.
func appendKeyRef(keys []string, prefix string, toks []string) []string {
	if len(toks) == 0 {
		return keys
	}
	var sk []string
	for _, t := range toks {
		sk = append(sk, Skeleton(t))
	}
	slices.Sort(sk)
	sk = slices.Compact(sk)
	k := prefix + strings.Join(sk, ".")
	if slices.Contains(keys, k) {
		return keys
	}
	return append(keys, k)
}

func TestAppendKeyMatchesReference(t *testing.T) {
	check := func(keys []string, toks []string) {
		t.Helper()
		got := appendKey(slices.Clone(keys), "n:", toks)
		want := appendKeyRef(slices.Clone(keys), "n:", toks)
		if !slices.Equal(got, want) {
			t.Fatalf("appendKey(%q, %q) = %q, reference %q", keys, toks, got, want)
		}
	}
	var prev []string
	for _, raw := range pairNames(t) {
		n := Tokens(raw)
		for _, toks := range [][]string{n.Strong, n.Alt, n.Weak, append(n.Strong, n.Strong...)} {
			check(nil, toks)
			check(prev, toks)
		}
		prev = n.Keys
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20_000 {
		toks := make([]string, r.IntN(20))
		for i := range toks {
			b := make([]byte, 1+r.IntN(40))
			for k := range b {
				b[k] = "abdhikmnrsuy"[r.IntN(12)]
			}
			toks[i] = string(b)
		}
		check(nil, toks)
	}
}

func TestFoldedMohammad(t *testing.T) {
	if got := Fold("mohammad"); got != foldedMohammad {
		t.Errorf("Fold(mohammad) = %q, foldedMohammad %q", got, foldedMohammad)
	}
	n := Tokens("Md Abdul Karim")
	if want := append([]string{Fold("mohammad")}, n.Strong...); !slices.Equal(n.Unstripped, want) {
		t.Errorf("Unstripped = %q, want %q", n.Unstripped, want)
	}
}
