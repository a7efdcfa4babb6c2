package redisindex

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestHashStoreKeepsWhatAMapKeeps sets, grows, deletes and sets again
// fields at random, in a store whose fields all have one hash (every one
// after the first a clash) and in one whose hashes are its own, and reads
// each back as a map of maps holds it.
func TestHashStoreKeepsWhatAMapKeeps(t *testing.T) {
	for _, clashing := range []bool{false, true} {
		t.Run(fmt.Sprint("clashing=", clashing), func(t *testing.T) {
			s := newHashStore()
			if clashing {
				s.sum = func(string, string) uint64 { return 7 }
			}
			want := map[string]map[string]string{}
			r := rand.New(rand.NewPCG(1, 2))
			for range 20000 {
				k, f := fmt.Sprintf("k%d", r.IntN(40)), fmt.Sprintf("f%d", r.IntN(60))
				switch r.IntN(4) {
				case 0, 1:
					v := strings.Repeat("x", r.IntN(30))
					if cur, ok := want[k][f]; ok && r.IntN(2) == 0 {
						v = cur + "ab" // a block taking a member
					}
					s.set(k, f, v)
					if want[k] == nil {
						want[k] = map[string]string{}
					}
					want[k][f] = v
				case 2:
					_, had := want[k][f]
					if got := s.del(k, f); got != had {
						t.Fatalf("del %s %s: %v, want %v", k, f, got, had)
					}
					delete(want[k], f)
					if len(want[k]) == 0 {
						delete(want, k)
					}
				case 3:
					if r.IntN(50) == 0 {
						s.drop(k)
						delete(want, k)
					}
				}
				v, ok := s.get(k, f)
				if w, wok := want[k][f]; ok != wok || v != w {
					t.Fatalf("get %s %s: %q %v, want %q %v", k, f, v, ok, w, wok)
				}
			}
			for k, fs := range want {
				got := maps.Collect(s.all(k))
				if !maps.Equal(got, fs) || s.len(k) != len(fs) || !s.exists(k) {
					t.Fatalf("key %s: %v, want %v", k, got, fs)
				}
			}
			for i := range 40 {
				k := fmt.Sprintf("k%d", i)
				if _, ok := want[k]; !ok && s.exists(k) {
					t.Fatalf("key %s exists, holding %v", k, maps.Collect(s.all(k)))
				}
			}
		})
	}
}
