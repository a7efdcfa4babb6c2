package fuzzy_test

import (
	"strconv"
	"testing"

	"github.com/ekjon/ekjon/benchmarks/synth"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/names"
	"github.com/ekjon/ekjon/matchers/score"
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

// BenchmarkBest measures scoring one enrolment against up to
// MaxCandidates others, with term frequencies counted from the population.
// A registry of millions fills its blocks (name key with birth year,
// district or upazila; father's name key with date of birth; phone) to the
// cap; a sample of thousands does not, so the candidates here are the
// earlier persons who share a name key or the father's, whatever their
// birth year and place: many namesakes, some relatives, as a full block
// holds. The queries are the last thousand enrolments, which find the
// fullest blocks.
func BenchmarkBest(b *testing.B) {
	ps := persons(b, 20000)
	pseudo := domain.NewPseudonymizer([]byte("bench"))
	cfg := fuzzy.DefaultConfig()
	var tf score.Counter
	profs := make([]fuzzy.Profile, len(ps))
	for i, p := range ps {
		profs[i] = fuzzy.ProfileOf(p, "P"+strconv.Itoa(i), pseudo)
		tf.Add(profs[i].Record.Name.Strong...)
	}
	const queries = 1000
	blocks := map[string][]int{}
	cands := make([][]score.Record, queries)
	total := 0
	for i, p := range ps {
		q := i - (len(ps) - queries)
		seen := map[int]bool{i: true}
		for _, raw := range []string{p.NameBN, p.NameEN, p.FatherName} {
			for _, k := range names.Tokens(raw).Keys {
				for _, j := range blocks[k] {
					if q >= 0 && !seen[j] && len(cands[q]) < cfg.MaxCandidates {
						seen[j] = true
						cands[q] = append(cands[q], profs[j].Record)
						total++
					}
				}
				blocks[k] = append(blocks[k], i)
			}
		}
	}
	b.Logf("%d queries, %.1f candidates each", queries, float64(total)/queries)
	qs := profs[len(profs)-queries:]
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		k := i % queries
		cfg.Best(&qs[k], cands[k], &tf, nil)
	}
}
