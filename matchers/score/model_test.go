package score

import (
	"math"
	"testing"

	"github.com/ekjon/ekjon/domain"
)

func TestDefaultModelValid(t *testing.T) {
	m := DefaultModel()
	if err := m.Validate(); err != nil {
		t.Fatalf("DefaultModel().Validate() = %v", err)
	}
}

func TestModelValidateRejects(t *testing.T) {
	tests := map[string]func(*Model){
		"m zero":            func(m *Model) { m.Name.Exact.M = 0 },
		"u above one":       func(m *Model) { m.Phone.Same.U = 1.5 },
		"u NaN":             func(m *Model) { m.DOB.Exact.U = math.NaN() },
		"m sum above one":   func(m *Model) { m.Gender.Same.M = 0.99; m.Gender.Different.M = 0.5 },
		"token close one":   func(m *Model) { m.TokenClose = 1 },
		"tf tokens":         func(m *Model) { m.TFTokensPerName = 0 },
		"tf bound negative": func(m *Model) { m.TFMaxUp = -1 },
		"tf bound infinite": func(m *Model) { m.TFMaxDown = math.Inf(1) },
		"household cap":     func(m *Model) { m.HouseholdCap = -1 },
		"hold not above":    func(m *Model) { m.Hold = m.Review },
		"review NaN":        func(m *Model) { m.Review = math.NaN() },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			m := DefaultModel()
			mutate(&m)
			err := m.Validate()
			if err == nil {
				t.Fatal("Validate accepted an unusable model")
			}
			if k := domain.KindOf(err); k != domain.KindInvalid {
				t.Errorf("error kind = %v, want invalid", k)
			}
		})
	}
}

// TestDefaultWeightsOrdered checks the defaults make sense as evidence: each
// agreement level is worth more than the looser one below it.
func TestDefaultWeightsOrdered(t *testing.T) {
	m := DefaultModel()
	chains := map[string][]MU{
		"name":   {m.Name.Exact, m.Name.Close, m.Name.Partial, m.Name.Mixed, m.Name.Far},
		"father": {m.Father.Exact, m.Father.Close, m.Father.Partial, m.Father.Mixed, m.Father.Far},
		"spouse": {m.Spouse.Exact, m.Spouse.Close, m.Spouse.Partial, m.Spouse.Mixed, m.Spouse.Far},
		"mother": {m.Mother.Exact, m.Mother.Close, m.Mother.Partial, m.Mother.Mixed, m.Mother.Far},
		// Where one date is a placeholder, only the years compare.
		"dob": {m.DOB.Exact, m.DOB.Placeholder, m.DOB.YearOff1, m.DOB.YearOff2to5, m.DOB.Far, m.DOB.Decades},
		// Two real dates that differ in day or month are a slip in one
		// record, and with the year off too two slips, rarer for one
		// person than an age guessed years off.
		"dob, two real dates": {m.DOB.Exact, m.DOB.Transposed, m.DOB.SameYear, m.DOB.YearOff1OtherDay,
			m.DOB.YearOff2to5OtherDay, m.DOB.Far, m.DOB.Decades},
		"dob on one day": {m.DOB.YearOffSameDay, m.DOB.YearOff2to5SameDay, m.DOB.YearOff2to5},
		"location":       {m.Location.SameUpazila, m.Location.SameDistrict, m.Location.Different},
		"phone":          {m.Phone.Same, m.Phone.Different},
		"nid":            {m.NID.Same, m.NID.Different},
		"gender":         {m.Gender.Same, m.Gender.Different},
	}
	for name, chain := range chains {
		t.Run(name, func(t *testing.T) {
			for i := 1; i < len(chain); i++ {
				if chain[i].Weight() >= chain[i-1].Weight() {
					t.Errorf("level %d (%v) weighs no less than level %d (%v)", i, chain[i], i-1, chain[i-1])
				}
			}
			if last := chain[len(chain)-1].Weight(); last >= 0 {
				t.Errorf("disagreement weighs %+.2f, want negative", last)
			}
		})
	}
}

func TestVerdict(t *testing.T) {
	m := DefaultModel()
	tests := []struct {
		total float64
		want  string
	}{
		{m.Hold + 5, domain.RuleFuzzyPerson},
		{m.Hold, domain.RuleFuzzyPerson},
		{m.Hold - 0.01, domain.RulePossiblePerson},
		{m.Review, domain.RulePossiblePerson},
		{m.Review - 0.01, ""},
		{-20, ""},
	}
	for _, tc := range tests {
		if got := m.Verdict(tc.total); got != tc.want {
			t.Errorf("Verdict(%v) = %q, want %q", tc.total, got, tc.want)
		}
	}
}
