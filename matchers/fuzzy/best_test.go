package fuzzy_test

import (
	"reflect"
	"sort"
	"strconv"
	"testing"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/names"
	"github.com/ekjon/ekjon/matchers/score"
)

// bestRef is Best as first written: every candidate scored and explained,
// all of them sorted. Best must return what it returns and consult skip
// for the same pairs in the same order.
func bestRef(c *fuzzy.Config, q *fuzzy.Profile, cands []score.Record, tf score.TermFreq, skip func(a, b string) bool) (fuzzy.Match, bool) {
	var scored []fuzzy.Match
	for i := range cands {
		cand := &cands[i]
		if cand.PersonID == q.Record.PersonID || (q.Record.NIDHash != "" && cand.NIDHash == q.Record.NIDHash) {
			continue
		}
		res := c.Model.Score(&q.Record, cand, tf)
		if res.Level(score.FieldName) == score.LevelFar {
			continue
		}
		scored = append(scored, fuzzy.Match{Candidate: *cand, Result: res, Rule: c.Model.Verdict(res.Total)})
	}
	if len(scored) == 0 {
		return fuzzy.Match{}, false
	}
	sort.SliceStable(scored, func(i, j int) bool { return scored[i].Result.Total > scored[j].Result.Total })
	for _, m := range scored {
		if m.Rule == "" {
			break
		}
		if skip == nil || !skip(q.Record.PersonID, m.Candidate.PersonID) {
			return m, true
		}
	}
	for _, m := range scored {
		if m.Rule == "" {
			return m, true
		}
	}
	return fuzzy.Match{}, false
}

// blockCandidates returns profiles of synthetic persons and, for each, the
// earlier ones that share a name key or the father's: namesakes and
// relatives, with some duplicates and a share of the query's own record
// and NID among them to be skipped.
func blockCandidates(tb testing.TB, n int) ([]fuzzy.Profile, [][]score.Record, *score.Counter) {
	tb.Helper()
	ps := persons(tb, n)
	pseudo := domain.NewPseudonymizer([]byte("test"))
	profs := make([]fuzzy.Profile, len(ps))
	var tf score.Counter
	for i, p := range ps {
		profs[i] = fuzzy.ProfileOf(p, "P"+strconv.Itoa(i%(n*9/10)), pseudo)
		tf.Add(profs[i].Record.Name.Strong...)
	}
	blocks := map[string][]int{}
	cands := make([][]score.Record, len(ps))
	for i, p := range ps {
		seen := map[int]bool{}
		for _, raw := range []string{p.NameBN, p.NameEN, p.FatherName, p.SpouseName} {
			for _, k := range names.Tokens(raw).Keys {
				for _, j := range blocks[k] {
					if !seen[j] && len(cands[i]) < 200 {
						seen[j] = true
						cands[i] = append(cands[i], profs[j].Record)
					}
				}
				blocks[k] = append(blocks[k], i)
			}
		}
	}
	return profs, cands, &tf
}

// TestBestMatchesReference checks that ranking by totals and explaining
// the winner alone changes no result, with and without reviewers'
// judgements and term frequencies.
func TestBestMatchesReference(t *testing.T) {
	profs, cands, tf := blockCandidates(t, 3000)
	cfg := fuzzy.DefaultConfig()
	low := cfg
	low.Model.Review, low.Model.Hold = -10, 0 // most pairs raise a rule
	type call struct{ a, b string }
	for _, c := range []fuzzy.Config{cfg, low} {
		for _, tf := range []score.TermFreq{nil, tf} {
			found := 0
			for i := range profs {
				var got, want []call
				// Reviewers judged every third pair different people.
				judged := func(calls *[]call) func(a, b string) bool {
					return func(a, b string) bool {
						*calls = append(*calls, call{a, b})
						return len(*calls)%3 != 0
					}
				}
				m, ok := c.Best(&profs[i], cands[i], tf, judged(&got))
				rm, rok := bestRef(&c, &profs[i], cands[i], tf, judged(&want))
				if ok != rok || !reflect.DeepEqual(m, rm) || !reflect.DeepEqual(got, want) {
					t.Fatalf("enrolment %d: Best = %v %+v after %v\nreference %v %+v after %v", i, ok, m, got, rok, rm, want)
				}
				m, ok = c.Best(&profs[i], cands[i], tf, nil)
				rm, rok = bestRef(&c, &profs[i], cands[i], tf, nil)
				if ok != rok || !reflect.DeepEqual(m, rm) {
					t.Fatalf("enrolment %d without judgements: Best = %v %+v\nreference %v %+v", i, ok, m, rok, rm)
				}
				if ok {
					found++
				}
			}
			if found < len(profs)/4 {
				t.Fatalf("only %d of %d enrolments found a candidate", found, len(profs))
			}
		}
	}
}
