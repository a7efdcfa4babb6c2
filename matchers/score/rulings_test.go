package score

import (
	"math"
	"testing"
)

// TestUpdateFromRulings: rulings move each level's m toward the share of
// the pairs ruled the same person that meet the level, by as much as their
// number weighs against the prior; u stays, though the pairs ruled two
// people all met one level; fields no ruling informs keep their values;
// the updated model is still valid.
func TestUpdateFromRulings(t *testing.T) {
	base := DefaultModel()
	a := person("rahima begum", "", "abdul karim", "", DOB{1950, 3, 1}, GenderFemale, "", "", "dhaka", "savar")
	yearOff := person("rahima begum", "", "abdul karim", "", DOB{1951, 3, 1}, GenderFemale, "", "", "dhaka", "savar")
	decades := person("rahima begum", "", "abdul karim", "", DOB{1990, 6, 9}, GenderFemale, "", "", "dhaka", "savar")
	exact := person("rahima begum", "", "abdul karim", "", DOB{1950, 3, 1}, GenderFemale, "", "", "dhaka", "savar")
	var rulings []Ruled
	// 30 pairs ruled one person: 20 a year off on the same day, 10 exact.
	for i := range 30 {
		b := &yearOff
		if i >= 20 {
			b = &exact
		}
		rulings = append(rulings, Ruled{A: &a, B: b, Same: true})
	}
	// 10 ruled two people, all decades apart.
	for range 10 {
		rulings = append(rulings, Ruled{A: &a, B: &decades, Same: false})
	}
	const prior = 30
	m, ups := UpdateFromRulings(base, rulings, prior)
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	get := func(field, level string) LevelUpdate {
		t.Helper()
		for _, u := range ups {
			if u.Field == field && u.Level == level {
				return u
			}
		}
		t.Fatalf("no update of %s %s", field, level)
		return LevelUpdate{}
	}
	close := func(got, want float64) bool { return math.Abs(got-want) < 1e-12 }

	y := get(FieldDOB, LevelYearOffDay)
	if y.Same != 20 || y.FieldSame != 30 {
		t.Fatalf("dob %s: %d of %d same pairs, want 20 of 30", LevelYearOffDay, y.Same, y.FieldSame)
	}
	if want := (prior*base.DOB.YearOffSameDay.M + 20) / (prior + 30); !close(y.Updated.M, want) || !close(m.DOB.YearOffSameDay.M, want) {
		t.Errorf("dob %s m: %v (model %v), want %v", LevelYearOffDay, y.Updated.M, m.DOB.YearOffSameDay.M, want)
	}
	if !(y.Updated.M > y.Current.M) {
		t.Errorf("two thirds of the same-person pairs a year off did not raise m: %v → %v", y.Current.M, y.Updated.M)
	}
	d := get(FieldDOB, LevelDecades)
	if d.NotSame != 10 || d.Updated.U != d.Current.U || m.DOB.Decades.U != base.DOB.Decades.U {
		t.Errorf("dob decades: %d pairs ruled two people, u %v → %v; want 10 counted and u kept", d.NotSame, d.Current.U, d.Updated.U)
	}
	for _, u := range ups {
		if u.Updated.U != u.Current.U {
			t.Errorf("%s %s: u %v → %v; rulings must not move u", u.Field, u.Level, u.Current.U, u.Updated.U)
		}
	}
	// No pair ruled one person was decades apart: that level's m falls.
	if !(d.Updated.M < d.Current.M) {
		t.Errorf("m of a level never met by one person kept its share: %v → %v", d.Current.M, d.Updated.M)
	}
	// Nobody gave a phone: the field was never compared, so it keeps its
	// values.
	if p := get(FieldPhone, LevelSame); p.FieldSame+p.FieldNotSame != 0 || p.Updated != p.Current || m.Phone != base.Phone {
		t.Errorf("phone, never compared, changed: %+v", p)
	}
	// Many more rulings outweigh the prior: m nears the observed share.
	many := make([]Ruled, 0, 3000)
	for range 100 {
		many = append(many, rulings[:30]...)
	}
	_, ups = UpdateFromRulings(base, many, prior)
	for _, u := range ups {
		if u.Field == FieldDOB && u.Level == LevelYearOffDay && math.Abs(u.Updated.M-2.0/3) > 0.01 {
			t.Errorf("3,000 rulings: m %v, want near 2/3", u.Updated.M)
		}
	}
}
