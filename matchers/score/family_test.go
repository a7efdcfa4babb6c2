package score

import (
	"math"
	"testing"
)

// freqs is a TermFreq of fixed shares.
type freqs map[string]float64

func (f freqs) Freq(t string) float64 { return f[t] }

// TestMotherBeyondHouseholdCap: a mother's name that agrees counts beyond
// the household cap by at most MotherOverCap, and one that shares no
// token counts against the pair in full, whatever the cap.
func TestMotherBeyondHouseholdCap(t *testing.T) {
	m := DefaultModel()
	base := person("rafikul islam", "", "abdul karim", "", DOB{1958, 1, 1}, GenderMale, "ph1", "", "26", "72")
	other := person("rafikul islam", "", "abdul karim", "", DOB{1959, 1, 1}, GenderMale, "ph1", "", "26", "72")
	without := m.Score(&base, &other, nil)
	if without.Level(FieldHousehold) != LevelCapped {
		t.Fatalf("father, phone and union should reach the cap: %v", without)
	}
	same := m.Score(ptr(withMother(base, "rahima")), ptr(withMother(other, "rahima")), nil)
	if got, want := same.Total-without.Total, min(m.Mother.Exact.Weight(), m.MotherOverCap); math.Abs(got-want) > 1e-9 {
		t.Errorf("one mother adds %.2f bits over the cap, want %.2f: %v", got, want, same)
	}
	two := m.Score(ptr(withMother(base, "rahima")), ptr(withMother(other, "jahanara")), nil)
	if got, want := two.Total-without.Total, m.Mother.Far.Weight(); math.Abs(got-want) > 1e-9 {
		t.Errorf("two mothers change the total by %.2f bits, want %.2f: %v", got, want, two)
	}
}

// TestRelativeTermFrequency: a relative's name is looked up in a table of
// own names, where a man's name is met among half the persons only, so
// its share counts twice; a person's own name counts once.
func TestRelativeTermFrequency(t *testing.T) {
	m := DefaultModel()
	tf := freqs{"rafikul": 0.001, "karim": 0.001}
	a := person("rafikul", "", "karim", "", DOB{}, GenderMale, "", "", "", "")
	b := a
	r := m.Score(&a, &b, tf)
	own := math.Log2(m.Name.Exact.U) - math.Log2(0.001)
	father := math.Log2(m.Father.Exact.U) - math.Log2(2*0.001)
	if got := r.Weight(FieldNameTF); math.Abs(got-min(own, m.TFMaxUp)) > 1e-9 {
		t.Errorf("own name's adjustment %.3f, want %.3f", got, min(own, m.TFMaxUp))
	}
	if got := r.Weight(FieldFatherTF); math.Abs(got-min(father, m.TFMaxUp)) > 1e-9 {
		t.Errorf("father's adjustment %.3f, want %.3f", got, min(father, m.TFMaxUp))
	}
}

func ptr(r Record) *Record { return &r }

// TestSpouseBeyondHouseholdCap: sisters share a father, a mother and a
// union but seldom a husband, so a husband's name that agrees counts
// beyond the household cap by at most SpouseOverCap; one that disagrees
// still counts inside it.
func TestSpouseBeyondHouseholdCap(t *testing.T) {
	m := DefaultModel()
	base := person("rehana", "begam", "abdul kudus", "", DOB{}, GenderFemale, "ph1", "", "26", "72")
	other := person("rehana", "begam", "abdul kudus", "", DOB{1983, 1, 1}, GenderFemale, "ph1", "", "26", "72")
	without := m.Score(&base, &other, nil)
	if without.Level(FieldHousehold) != LevelCapped {
		t.Fatalf("father, phone and union should reach the cap: %v", without)
	}
	withSpouse := func(r Record, s string) *Record {
		r.Spouse = Name{Strong: toks(s)}
		return &r
	}
	same := m.Score(withSpouse(base, "abdul hai"), withSpouse(other, "abdul hai"), nil)
	if got, want := same.Total-without.Total, min(m.Spouse.Exact.Weight(), m.SpouseOverCap); m.SpouseOverCap <= 0 || math.Abs(got-want) > 1e-9 {
		t.Errorf("one husband adds %.2f bits over the cap, want %.2f (over cap %.2f): %v", got, want, m.SpouseOverCap, same)
	}
	two := m.Score(withSpouse(base, "abdul hai"), withSpouse(other, "nurul islam"), nil)
	if two.Total > without.Total {
		t.Errorf("two husbands raise the total from %.2f to %.2f: %v", without.Total, two.Total, two)
	}
}
