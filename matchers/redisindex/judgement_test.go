package redisindex_test

import (
	"context"
	"sync"
	"testing"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/redisindex"
)

// TestJudgementsAreRespected enrols one man under two NIDs: the second
// record is held as FUZZY_PERSON, unless a reviewer judged the two persons
// not the same.
func TestJudgementsAreRespected(t *testing.T) {
	man := func(id, nid string) *domain.Outcome {
		o := enrol(id, nid, "old_age", "")
		o.Event.Person = &domain.Person{NID: nid, NameEN: "Rafiqul Islam", FatherName: "Abdul Jabbar", DOB: "1950-03-01",
			Gender: "male", Phone: "01712345678", Address: &domain.Address{District: "Dhaka", Upazila: "Savar"}}
		return o
	}
	cases := []struct {
		name      string
		judgement string // of the pair; "" when nobody judged it
		want      string
	}{
		{"not judged", "", "HOLD [FUZZY_PERSON]"},
		{"judged the same", domain.JudgementSame, "HOLD [FUZZY_PERSON]"},
		{"judged not the same", domain.JudgementNotSame, "ADMIT []"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var (
				mu    sync.Mutex
				first string // the first record's person
				asked int
			)
			ix := newIndexWith(t, func(c *redisindex.Config) {
				c.Judgements = func(_ context.Context, a, b string) (string, bool, error) {
					mu.Lock()
					defer mu.Unlock()
					asked++
					if tc.judgement == "" || a != first && b != first {
						return "", false, nil
					}
					return tc.judgement, true, nil
				}
			})
			a := man("j-a", "2612345678901")
			decide(t, ix, a)
			mu.Lock()
			first = a.Decision.PersonID
			mu.Unlock()
			b := man("j-b", "2612345678999")
			decide(t, ix, b)
			if got := verdict(b); got != tc.want {
				t.Errorf("second record: %s (score %.1f), want %s", got, b.Decision.Score, tc.want)
			}
			if asked == 0 {
				t.Errorf("the matcher never asked for a judgement")
			}
		})
	}
}
