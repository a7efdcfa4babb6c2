package redisindex

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestHashStoreKeepsWhatAMapKeeps sets, grows, deletes and sets again
// fields at random, and reads each back as a map of maps holds it; the
// same with a hash of 8 bits, under which fields do share hashes, must
// fail: the test tells a store that mixes fields up.
func TestHashStoreKeepsWhatAMapKeeps(t *testing.T) {
	if err := hashStoreKeepsWhatAMapKeeps(newHashStore()); err != nil {
		t.Fatal(err)
	}
	narrow := newHashStore()
	wide := narrow.sum
	narrow.sum = func(k, f string) [2]uint64 { return [2]uint64{wide(k, f)[0] & 0xff} }
	if err := hashStoreKeepsWhatAMapKeeps(narrow); err == nil {
		t.Fatal("fields sharing a hash were kept apart: the test cannot tell")
	}
}

func hashStoreKeepsWhatAMapKeeps(s *hashStore) error {
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
				return fmt.Errorf("del %s %s: %v, want %v", k, f, got, had)
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
			return fmt.Errorf("get %s %s: %q %v, want %q %v", k, f, v, ok, w, wok)
		}
	}
	for k, fs := range want {
		got := maps.Collect(s.all(k))
		if !maps.Equal(got, fs) || s.len(k) != len(fs) || !s.exists(k) {
			return fmt.Errorf("key %s: %v, want %v", k, got, fs)
		}
	}
	for i := range 40 {
		k := fmt.Sprintf("k%d", i)
		if _, ok := want[k]; !ok && s.exists(k) {
			return fmt.Errorf("key %s exists, holding %v", k, maps.Collect(s.all(k)))
		}
	}
	return nil
}
