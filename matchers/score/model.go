package score

import (
	"fmt"
	"math"

	"github.com/ekjon/ekjon/domain"
)

// MU is one comparison level's pair of probabilities: M, that two records of
// the same person agree at this level, and U, that two records of different
// people do. Its weight log2(M/U) is the evidence the level adds in bits.
type MU struct {
	M, U float64
}

// Weight returns log2(M/U): positive for evidence of one person, negative
// for evidence of two.
func (p MU) Weight() float64 { return math.Log2(p.M / p.U) }

// NameLevels holds the levels of a name comparison (a person's own name, a
// father's or a spouse's). A missing name weighs zero.
type NameLevels struct {
	Exact   MU // the same strong tokens in any order, joins and splits allowed
	Close   MU // every token pairs with a spelling variant or a typo
	Partial MU // one name's tokens all appear in the other, which has more
	Mixed   MU // some tokens agree, and each side has one the other lacks
	Far     MU // no token agrees
}

// DOBLevels holds the levels of a date-of-birth comparison. A missing year
// on either side weighs zero. A placeholder date is one that says only the
// year: day or month unknown (0), or the 1 January or 1 July that offices
// write for a person who knows only their age.
type DOBLevels struct {
	Exact      MU // year, month and day all known, not placeholders, and equal
	Transposed MU // same year, day and month swapped
	// Placeholder is the same year where one date or both is a
	// placeholder: the year is all the two say.
	Placeholder MU
	SameYear    MU // same year, two real dates that differ
	// YearOffSameDay is years one apart with the same known month and day:
	// an age rounded the other way, or a year misread, on a real birth date.
	YearOffSameDay MU
	YearOff1       MU // years one apart, one date or both a placeholder
	// YearOff1OtherDay is years one apart on two real dates that differ in
	// day or month too: two slips in one date, or two people.
	YearOff1OtherDay MU
	// YearOff2to5 is two to five years apart, one date or both a
	// placeholder: an age guessed.
	YearOff2to5 MU
	// YearOff2to5SameDay is two to five years apart with the same known
	// month and day: a real birth date whose year was written from an
	// age, which two people of one name seldom share by chance.
	YearOff2to5SameDay MU
	// YearOff2to5OtherDay is two to five years apart on two real dates
	// that differ in day or month too: a year written from an age and a
	// day slipped in one record, or, far more often, two people.
	YearOff2to5OtherDay MU
	Far                 MU // six to fifteen years apart
	// Decades is more than fifteen years apart: near-certainly two
	// people (a parent and a child, namesakes of two generations).
	Decades MU
}

// AgreeLevels holds a field compared for equality only. Missing weighs zero.
type AgreeLevels struct {
	Same      MU
	Different MU
}

// LocationLevels holds the residence comparison. A missing district on
// either side weighs zero.
type LocationLevels struct {
	SameUpazila  MU
	SameDistrict MU // same district, another or unknown upazila
	Different    MU
}

// Model is the scorer's configuration: m and u per comparison level, the
// name-token tuning, the household cap and the decision thresholds. It is a
// plain value, read-only once built; Score is safe for concurrent use on one
// Model. Build it with DefaultModel, adjust from configuration or from
// estimates on labelled data, and call Validate before use.
//
// The U values are not random-pair rates for the whole nation: the pairs
// scored have already been put together by blocking (same name key and birth
// year, same upazila, same father, same phone), so agreements that cluster
// locally (a shared family phone, dates of birth heaped on 1 January,
// brothers' shared father) are given a higher U than a national count would
// give. That favours precision, which matters most: a wrong hold delays an
// allowance.
type Model struct {
	Name     NameLevels
	NameWeak AgreeLevels // weak tokens: agree when both have some and one is shared
	Father   NameLevels
	Spouse   NameLevels
	// Mother is the mother's name, where both records give one.
	Mother   NameLevels
	DOB      DOBLevels
	Gender   AgreeLevels
	Phone    AgreeLevels
	NID      AgreeLevels
	Location LocationLevels
	// NIDPlace: one's NID names the district the other lives in, the two
	// living apart (only Same is ever met).
	NIDPlace AgreeLevels

	// TokenClose is the least Jaro-Winkler similarity at which two name
	// tokens count as one name misspelt; the pair must also be within one
	// edit (two for tokens over five letters).
	TokenClose float64
	// TFTokensPerName turns a token's frequency f from the TermFreq into the
	// chance that a stranger's name holds it, TFTokensPerName×f. TermFreq
	// gives the share of persons whose name holds the token, which is that
	// chance already, so the default is 1; a table counted as a share of
	// all name tokens needs about 2 (tokens per name). The term-frequency
	// adjustment replaces a name level's U by the chance that two different
	// people agree on the very tokens that agreed: the product of those
	// chances. A common name (Abdul Karim, Rahima) is weaker evidence than
	// the level's average, a rare one stronger.
	TFTokensPerName float64
	// TFMaxDown and TFMaxUp bound that adjustment per name, in bits, so that
	// a frequency table skewed by a small sample cannot dominate the score.
	TFMaxDown, TFMaxUp float64
	// HouseholdCap bounds, in bits, the positive evidence from fields that
	// relatives share: father, spouse, phone and location. Summed as if
	// independent they would make brothers and twins look like one person.
	HouseholdCap float64
	// MotherOverCap is how much of the mother's name's agreement may
	// count beyond HouseholdCap: brothers share a mother, but persons of
	// one name do not, so with the person's own name agreeing, one mother
	// is evidence of one person that the father and the address, capped,
	// do not already carry in full.
	MotherOverCap float64
	// SpouseOverCap is how much of the spouse's name's agreement may
	// count beyond HouseholdCap: sisters share a father, a mother and a
	// union, but seldom a husband, so with the father or the address
	// capped a husband's name that agrees is evidence of one person.
	SpouseOverCap float64

	// Review is the total at or above which a pair is a POSSIBLE_PERSON:
	// admitted, with an alert. Hold is the total at or above which it is a
	// FUZZY_PERSON: held for a reviewer. Hold > Review.
	Review, Hold float64
}

// DefaultModel returns the defaults, chosen from first principles for a
// registry of millions of Bangladeshi people before any labelled data is
// available. The reasoning per field:
//
//   - Name: after folding, about 60 % of one person's record pairs carry the
//     same strong tokens and 25 % a spelling variant; two different people
//     share a whole name about once in 2,000 candidate pairs (names repeat
//     heavily: Abdul Karim, Rahima Begum), which term frequencies refine.
//     A shared token next to a conflicting one (Rafiqul Islam, Shafiqul
//     Islam) is typical of brothers and is weak negative evidence.
//   - Weak tokens: lineage names and female markers say little when they
//     agree, but one person's two records seldom carry conflicting ones
//     (Sarkar and Sheikh, Begum and Khatun: 5 %) while two people of one
//     given name often do (40 %).
//   - Father and spouse: recorded less consistently (father/husband share one
//     NID field, widows' spouse names are dropped), so lower M. A father's
//     name that shares no token with the other's is rare for one person
//     (3 %: a husband written in the father's place) and usual for two.
//   - Mother: written on the national ID card and copied from it by
//     most registries, so a little more consistent than the father's
//     name (no husband is written in its place), and as concentrated:
//     two different persons' mothers share a whole name about once in
//     500 candidate pairs, before term frequencies. A mother's name that
//     shares no token with the other record's is rare for one person (5
//     %: a stepmother, a clerk's slip) and usual for two (88 %), which
//     is the evidence that parts namesakes of one father's name
//     (cousins) and a mother from her daughter: it is never cut by the
//     household cap, which only bounds what relatives share.
//   - DOB: 55 % exact for one person; heaping on 1 January and guessed ages
//     of the elderly raise U for an exact date to 3 in 10,000. Blocks put
//     namesakes of one birth year and of the years either side together,
//     so within a block a year is weak evidence: a placeholder date (1
//     January, 1 July, day or month unknown: what offices write when they
//     know only an age) in the same year is met by one pair of namesakes
//     in 25, and years one apart, one of them a placeholder, by one in
//     ten, each about as often as by one person's two records or more.
//     Two real dates of one year that differ (not a swap) are a slip of
//     day or month in one record, one of a hundred of one person's pairs,
//     but one in ten pairs of namesakes. A real date with the year one off
//     (6 % of one person's pairs: an age rounded the other way) or two to
//     five off (2 %: a year written from an age) on the same day and month
//     is rare by chance (2 and 5 in 10,000). Two real dates whose year and
//     day both differ are two slips in one record (a year and a day apart
//     two in 1,000, two to five years apart less) and common among
//     namesakes blocked on years either side (15 %, 14 %). Guessed ages
//     put one person's two years two to five apart, one date a
//     placeholder, now and then (0.75 %), as namesakes in a block are in
//     one pair of sixteen. Beyond that the evidence grows fast: one
//     person's two records are six to fifteen years apart about once in
//     1,000 (a digit slipped), and more than fifteen once in 20,000, while
//     half of the namesakes a block finds are of another generation. A
//     birth year decades off costs twelve bits: enough that two
//     namesakes of one union, one father's name, one mother's name and
//     one phone are not even shown to a reviewer.
//   - Phone: a third of re-enrolments give the same phone; phones are shared
//     by neighbours and families (5–16 % of phones), so U is 1 in 100.
//   - NID: pairs with the same NID never reach the scorer (the exact rules
//     take them), so M and U are those of the pairs scored: a person
//     enrolled again under a spelling variant gives another NID about a
//     third of the time (a relative's card, a second card) and none
//     otherwise; two different people give two NIDs nine times in ten. A
//     different NID is evidence against, not proof.
//   - Location: 494 upazilas, but candidates are blocked by name and
//     upazila or district, and namesakes crowd in a union: one pair of
//     namesakes in ten a block finds lives in one upazila and more than
//     one in fifteen in one district, so the same upazila is modest evidence
//     (M 0.8: people move) and the same district, another upazila, little.
//   - NID place: the district code that opens an NID is where it was
//     issued. Of one person's two records with addresses in two districts
//     (someone who moved), about one in five has the NID of the other's
//     district; two people living apart do by chance about one time in
//     fifty (64 districts, Dhaka's large share). Only agreement is
//     counted: an NID from elsewhere says nothing against a match.
//   - Gender: entry errors are rare (2 %).
//
// The household cap is 9 bits: within a block of namesakes, a father's
// name and a union shared say less than their weights summed (cousins
// are named after one grandfather and live side by side). A mother's name
// that agrees may pass it by four bits, and so may a husband's: namesakes
// of one union seldom share a mother, and sisters, who share a father, a
// mother and a union, seldom share a husband. The thresholds
// follow from it: a pair that
// agrees on everything a family shares and has the same date of birth
// (twins) must fall short of Hold unless the person's own name agrees, and
// two women of one common name, one birth year and one upazila who share a
// neighbour's phone must not be held. Hold 22 bits is roughly posterior odds
// of 1000:1 for candidates whose prior odds are 1:4000; Review 13.5 flags
// the pairs a reviewer should see without delaying the enrolment: about
// even odds, so that at least one alert in two is the same person.
func DefaultModel() Model {
	return Model{
		Name: NameLevels{
			Exact:   MU{0.59, 5e-4},
			Close:   MU{0.24, 2e-3},
			Partial: MU{0.10, 0.01},
			Mixed:   MU{0.02, 0.10},
			Far:     MU{0.05, 0.8775},
		},
		NameWeak: AgreeLevels{Same: MU{0.6, 0.3}, Different: MU{0.05, 0.4}},
		Father: NameLevels{
			Exact:   MU{0.50, 1e-3},
			Close:   MU{0.20, 3e-3},
			Partial: MU{0.10, 0.03},
			Mixed:   MU{0.05, 0.08},
			Far:     MU{0.03, 0.886},
		},
		Spouse: NameLevels{
			Exact:   MU{0.45, 1e-3},
			Close:   MU{0.20, 3e-3},
			Partial: MU{0.10, 0.03},
			Mixed:   MU{0.05, 0.08},
			Far:     MU{0.15, 0.886},
		},
		Mother: NameLevels{
			Exact:   MU{0.55, 2e-3},
			Close:   MU{0.22, 4e-3},
			Partial: MU{0.10, 0.03},
			Mixed:   MU{0.05, 0.08},
			Far:     MU{0.05, 0.88},
		},
		DOB: DOBLevels{
			Exact:               MU{0.55, 3e-4},
			Transposed:          MU{0.03, 1e-4},
			Placeholder:         MU{0.15, 0.04},
			SameYear:            MU{0.01, 0.10},
			YearOffSameDay:      MU{0.06, 2e-4},
			YearOff1:            MU{0.035, 0.10},
			YearOff1OtherDay:    MU{0.002, 0.15},
			YearOff2to5:         MU{0.0075, 0.06},
			YearOff2to5SameDay:  MU{0.02, 5e-4},
			YearOff2to5OtherDay: MU{0.0015, 0.14},
			Far:                 MU{0.001, 0.2},
			Decades:             MU{5e-5, 0.2},
		},
		Gender: AgreeLevels{Same: MU{0.98, 0.5}, Different: MU{0.02, 0.5}},
		Phone:  AgreeLevels{Same: MU{0.30, 0.01}, Different: MU{0.70, 0.99}},
		NID:    AgreeLevels{Same: MU{0.60, 1e-7}, Different: MU{0.30, 0.90}},
		Location: LocationLevels{
			SameUpazila:  MU{0.80, 0.10},
			SameDistrict: MU{0.10, 0.07},
			Different:    MU{0.06, 0.50},
		},
		NIDPlace:        AgreeLevels{Same: MU{0.20, 0.02}, Different: MU{0.80, 0.98}},
		TokenClose:      0.88,
		TFTokensPerName: 1,
		TFMaxDown:       6,
		TFMaxUp:         4,
		HouseholdCap:    9,
		MotherOverCap:   4,
		SpouseOverCap:   4,
		Review:          13.5,
		Hold:            22,
	}
}

// Validate reports a model that cannot be used: a probability outside
// (0, 1], levels of one field whose M or U sum above 1, tuning out of range
// or Hold not above Review. The error is of kind domain.KindInvalid.
func (m *Model) Validate() error {
	// Sums may exceed 1 by rounding in hand-written defaults, not more.
	const slack = 1e-6
	sums := map[string]*MU{}
	var fields []string
	for _, l := range m.Levels() {
		p := *l.MU
		if !(p.M > 0 && p.M <= 1) || !(p.U > 0 && p.U <= 1) {
			return invalid("%s level %s: m %g and u %g must be in (0, 1]", l.Field, l.Level, p.M, p.U)
		}
		s := sums[l.Field]
		if s == nil {
			s = &MU{}
			sums[l.Field] = s
			fields = append(fields, l.Field)
		}
		s.M += p.M
		s.U += p.U
	}
	for _, f := range fields {
		if s := sums[f]; s.M > 1+slack || s.U > 1+slack {
			return invalid("%s: levels sum to m %g, u %g; each must be at most 1", f, s.M, s.U)
		}
	}
	switch {
	case !(m.TokenClose > 0 && m.TokenClose < 1):
		return invalid("token close %g must be in (0, 1)", m.TokenClose)
	case !(m.TFTokensPerName >= 1 && m.TFTokensPerName <= maxNameTokens):
		return invalid("tf tokens per name %g must be in [1, %d]", m.TFTokensPerName, maxNameTokens)
	case !(m.TFMaxDown >= 0) || !(m.TFMaxUp >= 0) || math.IsInf(m.TFMaxDown, 0) || math.IsInf(m.TFMaxUp, 0):
		return invalid("tf bounds %g, %g must be finite and not negative", m.TFMaxDown, m.TFMaxUp)
	case !(m.HouseholdCap >= 0) || math.IsInf(m.HouseholdCap, 0):
		return invalid("household cap %g must be finite and not negative", m.HouseholdCap)
	case !(m.MotherOverCap >= 0) || math.IsInf(m.MotherOverCap, 0):
		return invalid("mother over cap %g must be finite and not negative", m.MotherOverCap)
	case !(m.SpouseOverCap >= 0) || math.IsInf(m.SpouseOverCap, 0):
		return invalid("spouse over cap %g must be finite and not negative", m.SpouseOverCap)
	case math.IsNaN(m.Review) || math.IsInf(m.Review, 0) || math.IsInf(m.Hold, 0) || !(m.Hold > m.Review):
		return invalid("hold %g must be finite and above review %g", m.Hold, m.Review)
	}
	return nil
}

func invalid(format string, args ...any) error {
	return domain.Errorf(domain.KindInvalid, "score model", format, args...)
}

// Verdict returns the rule a total calls for: domain.RuleFuzzyPerson at or
// above Hold, domain.RulePossiblePerson at or above Review, else "".
func (m *Model) Verdict(total float64) string {
	switch {
	case total >= m.Hold:
		return domain.RuleFuzzyPerson
	case total >= m.Review:
		return domain.RulePossiblePerson
	}
	return ""
}

// String keeps the weights readable in test failures and config dumps.
func (p MU) String() string { return fmt.Sprintf("m=%g u=%g (%+.2f bits)", p.M, p.U, p.Weight()) }
