package fuzzy_test

import (
	"testing"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/pipeline/synth"
)

// persons returns validated enrolment persons of a synthetic population,
// in both scripts as the generator renders them.
func persons(tb testing.TB, n int) []*domain.Person {
	tb.Helper()
	c := synth.DefaultConfig()
	c.Persons = n
	g, err := synth.New(c)
	if err != nil {
		tb.Fatal(err)
	}
	var out []*domain.Person
	for r := range g.Enrolments() {
		e, err := domain.DecodeEvent(r.Value, 0)
		if err != nil || domain.Validate(e, domain.DefaultPolicy()) != nil || e.Type != domain.TypeEnrolment {
			continue
		}
		out = append(out, e.Person)
	}
	return out
}

// TestProfileOf checks what every profile carries, whatever the script.
func TestProfileOf(t *testing.T) {
	pseudo := domain.NewPseudonymizer([]byte("test"))
	for _, p := range persons(t, 300) {
		pr := fuzzy.ProfileOf(p, "P1", pseudo)
		kinds := map[byte]bool{}
		for _, b := range pr.Blocks {
			kinds[b.Kind] = true
		}
		if len(pr.Record.Name.Strong) > 0 && !kinds[fuzzy.BlockName] {
			t.Errorf("%s %s: strong name tokens but no name block", p.NameBN, p.NameEN)
		}
		if p.Phone != "" && !kinds[fuzzy.BlockContact] {
			t.Error("a phone but no phone block")
		}
		if _, err := pr.Record.AppendBinary(nil); err != nil {
			t.Errorf("record does not encode: %v", err)
		}
	}
}

// BenchmarkProfile measures normalising, transliterating, folding, keying
// and hashing one enrolment's person: names in Bangla, English or both, as
// the generator mixes them.
func BenchmarkProfile(b *testing.B) {
	ps := persons(b, 2000)
	pseudo := domain.NewPseudonymizer([]byte("bench"))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		_ = fuzzy.ProfileOf(ps[i%len(ps)], "P1", pseudo)
	}
}
