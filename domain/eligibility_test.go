package domain

import (
	"strings"
	"testing"
	"time"
)

func enrolment(prog, gender, dob, occurred string) *Event {
	e := &Event{EventID: "e1", Type: TypeEnrolment, OccurredAt: occurred, Source: "dss-mis", Programme: prog,
		BeneficiaryRef: "r1", Person: &Person{NameEN: "Rahima Begum", Gender: gender, DOB: dob}}
	return e
}

// validated runs e through Validate, as the pipeline does before any rule.
func validated(t *testing.T, e *Event) *Event {
	t.Helper()
	if err := Validate(e, DefaultPolicy()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	return e
}

// The old age allowance asks 65 of men and 62 of women at the enrolment's
// date in Bangladesh; the widow allowance is for women. The boundaries are
// the cases a wrong comparison or a time zone gets wrong.
func TestIneligible(t *testing.T) {
	p := DefaultPolicy()
	cases := []struct {
		name, prog, gender, dob, occurred string
		want                              string // "" eligible, else a part of the reason
	}{
		{"woman on her 62nd birthday", "old_age", "female", "1964-11-01", "2026-11-01T10:00:00+06:00", ""},
		{"woman the day before her 62nd birthday", "old_age", "female", "1964-11-02", "2026-11-01T10:00:00+06:00", "61 years old on 2026-11-01"},
		{"man of 64 and 364 days", "old_age", "male", "1961-11-02", "2026-11-01T23:59:59+06:00", "asks 65 for men"},
		{"man on his 65th birthday", "old_age", "male", "1961-11-01", "2026-11-01T00:00:00+06:00", ""},
		// 18:30 UTC on 31 October is 00:30 on 1 November in Dhaka.
		{"birthday in Dhaka, day before in UTC", "old_age", "male", "1961-11-01", "2026-10-31T18:30:00Z", ""},
		{"day before in Dhaka, birthday in UTC elsewhere", "old_age", "male", "1961-11-01", "2026-11-01T05:00:00+12:00", "64 years old on 2026-10-31"},
		{"man of 62 is not a woman of 62", "old_age", "male", "1964-01-01", "2026-11-01T10:00:00+06:00", "asks 65 for men"},
		{"born on 29 February, 28 February", "old_age", "female", "1964-02-29", "2026-02-28T10:00:00+06:00", "61 years old"},
		{"born on 29 February, 1 March", "old_age", "female", "1964-02-29", "2026-03-01T10:00:00+06:00", ""},
		{"born after the enrolment", "old_age", "female", "2026-01-01", "2025-06-01T10:00:00+06:00", "after the enrolment's date"},
		{"widow allowance for a man", "widow", "male", "1970-01-01", "2026-11-01T10:00:00+06:00", "is for women; the enrolment gives the gender as male"},
		{"widow allowance for a hijra person", "widow", "hijra", "1970-01-01", "2026-11-01T10:00:00+06:00", "is for women"},
		{"widow of 17", "widow", "female", "2009-01-01", "2026-11-01T10:00:00+06:00", "asks 18 for women"},
		{"widow of 40", "widow", "female", "1986-01-01", "2026-11-01T10:00:00+06:00", ""},
		{"no gender: neither check", "widow", "", "2020-01-01", "2026-11-01T10:00:00+06:00", ""},
		{"no dob: no age check", "old_age", "male", "", "2026-11-01T10:00:00+06:00", ""},
		{"no dob, wrong gender", "widow", "male", "", "2026-11-01T10:00:00+06:00", "is for women"},
		{"hijra person has no minimum in old age", "old_age", "hijra", "1990-01-01", "2026-11-01T10:00:00+06:00", ""},
		{"programme without a rule", "disability", "male", "2020-01-01", "2026-11-01T10:00:00+06:00", ""},
		{"programme not in the catalogue", "somewhere", "male", "2020-01-01", "2026-11-01T10:00:00+06:00", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := enrolment(c.prog, c.gender, c.dob, c.occurred)
			e.Occurred, _ = time.Parse(time.RFC3339, c.occurred)
			got := p.Ineligible(e)
			switch {
			case c.want == "" && got != "":
				t.Errorf("held as ineligible: %s", got)
			case c.want != "" && !strings.Contains(got, c.want):
				t.Errorf("reason %q, want one saying %q", got, c.want)
			}
		})
	}
}

// Sources spell dates of birth with Bangla digits and genders in many
// ways; validation reads them as the rule does, and refuses what it cannot
// read rather than guess.
func TestDOBAndGenderSpellings(t *testing.T) {
	for _, c := range []struct{ dob, gender, wantDOB, wantGender string }{
		{"১৯৬৪-১১-০১", "Female", "1964-11-01", "female"},
		{" 1964-11-01 ", "F", "1964-11-01", "female"},
		{"১৯৬১-০১-০১", "পুরুষ", "1961-01-01", "male"},
		{"1961-01-01", " MALE ", "1961-01-01", "male"},
		{"1961-01-01", "মহিলা", "1961-01-01", "female"},
		{"1961-01-01", "নারী", "1961-01-01", "female"},
		{"1961-01-01", "\u09ae\u09c7\u09af\u09bc\u09c7", "1961-01-01", "female"},      // মেয়ে with ya + nukta
		{"1961-01-01", "\u09b9\u09bf\u099c\u09a1\u09bc\u09be", "1961-01-01", "hijra"}, // হিজড়া with da + nukta
		{"1961-01-01", "Third Gender", "1961-01-01", "hijra"},
		{"1961-01-01", "", "1961-01-01", ""},
	} {
		e := validated(t, enrolment("old_age", c.gender, c.dob, "2026-11-01T10:00:00+06:00"))
		if e.Person.DOB != c.wantDOB || e.Person.Gender != c.wantGender {
			t.Errorf("dob %q gender %q: read as %q %q, want %q %q", c.dob, c.gender, e.Person.DOB, e.Person.Gender, c.wantDOB, c.wantGender)
		}
	}
	for _, c := range []struct{ dob, gender, field string }{
		{"01/11/1964", "female", "person.dob"},
		{"1964-13-01", "female", "person.dob"},
		{"2999-01-01", "female", "person.dob"}, // in the future
		{"1964-11-01", "widow", "person.gender"},
		{"1964-11-01", "ম", "person.gender"},
	} {
		err := Validate(enrolment("old_age", c.gender, c.dob, "2026-11-01T10:00:00+06:00"), DefaultPolicy())
		if err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("dob %q gender %q: err %v, want one about %s", c.dob, c.gender, err, c.field)
		}
	}
}

// A woman of 61 enrolled with Bangla digits is ineligible for the old age
// allowance once validated: the digits are read, not a reason to let her
// through unchecked.
func TestIneligibleAfterValidation(t *testing.T) {
	e := validated(t, enrolment("old_age", "মহিলা", "১৯৬৫-০১-০১", "2026-11-01T10:00:00+06:00"))
	if r := DefaultPolicy().Ineligible(e); !strings.Contains(r, "61 years old") || !strings.Contains(r, "for women") {
		t.Fatalf("reason %q", r)
	}
}
