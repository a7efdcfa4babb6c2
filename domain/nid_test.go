package domain

import (
	"slices"
	"testing"
)

// TestIdentifiersOfOneNID: the 17- and 13-digit forms of an NID give one
// identifier, whatever the script of their digits; a smart-card number
// and a birth registration number are further identifiers of the person,
// weaker than the NID.
func TestIdentifiersOfOneNID(t *testing.T) {
	enrol := func(nid, smart, brn, dob string) *Event {
		e := &Event{EventID: "e", Type: TypeEnrolment, OccurredAt: "2026-11-01T10:00:00Z", Source: "dss-mis", Programme: "old_age",
			Person: &Person{NID: nid, NIDSmart: smart, BirthRegNo: brn, NameEN: "Amena Khatun", DOB: dob}}
		if err := Validate(e, DefaultPolicy()); err != nil {
			t.Fatalf("%s/%s/%s: %v", nid, smart, brn, err)
		}
		return e
	}
	core := []Identifier{{"nid", "2612345678901"}}
	for _, e := range []*Event{
		enrol("19502612345678901", "", "", "1950-03-01"),
		enrol("১৯৫০২৬১২৩৪৫৬৭৮৯০১", "", "", ""),
		enrol("2612345678901", "", "", ""),
		enrol("26-1234-5678901", "", "", "1950-03-01"),
		{Type: TypeDistribution, NID: "19502612345678901"},
		{Type: TypeStatus, NID: "2612345678901"},
	} {
		if got := e.Identifiers(); !slices.Equal(got, core) {
			t.Errorf("%+v: identifiers %v, want %v", e, got, core)
		}
	}
	e := enrol("2612345678901", "৪৪৪৪ ০০১ ১১১", "19502612345678901", "1950-03-01")
	want := []Identifier{{"nid", "2612345678901"}, {"nid", "4444001111"}, {"brn", "19502612345678901"}}
	if got := e.Identifiers(); !slices.Equal(got, want) {
		t.Errorf("with smart-card and birth registration numbers: %v, want %v", got, want)
	}
	if e.Person.NID != "19502612345678901" {
		t.Errorf("a 13-digit NID with a dob is kept as %q, want its 17-digit form", e.Person.NID)
	}
	smart := enrol("4444001111", "4444001111", "", "")
	if got := smart.Identifiers(); !slices.Equal(got, []Identifier{{"nid", "4444001111"}}) {
		t.Errorf("a 10-digit NID is a smart-card number: %v", got)
	}
}

// TestBadSecondNumbersAreIDErrors: a smart-card number that is not 10
// digits, or differs from the 10-digit NID beside it, and a birth
// registration number that does not begin with the birth year are
// INVALID_ID.
func TestBadSecondNumbersAreIDErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		p    Person
		ev   Event
	}{
		{"smart of 11 digits", Person{NID: "2612345678901", NIDSmart: "44440011112"}, Event{}},
		{"smart with a letter", Person{NID: "2612345678901", NIDSmart: "444400111x"}, Event{}},
		{"smart other than the 10-digit nid", Person{NID: "4444001111", NIDSmart: "4444001112"}, Event{}},
		{"brn year not the dob's", Person{NID: "2612345678901", BirthRegNo: "19512612345678901", DOB: "1950-03-01"}, Event{}},
		{"brn year not a year", Person{BirthRegNo: "00002612345678901"}, Event{}},
		{"17-digit nid year not the dob's", Person{NID: "19512612345678901", DOB: "1950-03-01"}, Event{}},
		{"status smart of 9 digits", Person{}, Event{Type: TypeStatus, NID: "2612345678901", NIDSmart: "444400111", Status: "deceased"}},
	} {
		e := c.ev
		e.EventID, e.OccurredAt, e.Source = "e", "2026-11-01T10:00:00Z", "crvs"
		if e.Type == "" {
			p := c.p
			p.NameEN = "Amena Khatun"
			e.Type, e.Programme, e.Person = TypeEnrolment, "old_age", &p
		}
		err := Validate(&e, DefaultPolicy())
		if err == nil || !IsIDError(err) {
			t.Errorf("%s: %v, want an identity number error", c.name, err)
		}
	}
}
