package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// bangladesh is the time zone ages are counted in: the date of an
// enrolment is the date in Bangladesh when it occurred (UTC+6, no summer
// time), whatever offset the source wrote.
var bangladesh = time.FixedZone("BST", 6*60*60)

// genderWords are the spellings of a gender that sources send, folded to
// lower case, and the gender each means.
var genderWords = map[string]string{
	"male": "male", "m": "male", "man": "male", "men": "male", "পুরুষ": "male", "ছেলে": "male",
	"female": "female", "f": "female", "woman": "female", "women": "female", "মহিলা": "female",
	"নারী": "female", "\u09ae\u09c7\u09df\u09c7": "female", // মেয়ে
	"hijra": "hijra", "hijrah": "hijra", "\u09b9\u09bf\u099c\u09dc\u09be": "hijra", // হিজড়া
	"third gender": "hijra", "third_gender": "hijra",
	"\u09a4\u09c3\u09a4\u09c0\u09df \u09b2\u09bf\u0999\u09cd\u0997": "hijra", // তৃতীয় লিঙ্গ
	"other": "other", "o": "other", "x": "other", "অন্যান্য": "other",
}

// nuktaForms folds the letters Bangla writes either as one code point or
// as a base letter and nukta (ড়, ঢ়, য়) to the one code point.
var nuktaForms = strings.NewReplacer("\u09a1\u09bc", "\u09dc", "\u09a2\u09bc", "\u09dd", "\u09af\u09bc", "\u09df")

// NormalizeGender returns the gender s spells (male, female, hijra or
// other), "" for an empty s, and false for a spelling it does not know.
// Case, surrounding space and Bangla's two spellings of ড় and য় do not
// matter.
func NormalizeGender(s string) (string, bool) {
	t := nuktaForms.Replace(strings.ToLower(strings.Join(strings.Fields(s), " ")))
	if t == "" {
		return "", true
	}
	g, ok := genderWords[t]
	return g, ok
}

// genderNoun names a gender in a reason a reviewer reads.
func genderNoun(g string) string {
	switch g {
	case "male":
		return "men"
	case "female":
		return "women"
	case "hijra":
		return "hijra persons"
	}
	return "persons of other gender"
}

// AgeOn returns the age in whole years on day of someone born on dob:
// a birthday counts from its first day, and one born on 29 February turns
// a year older on 1 March in a year without that day.
func AgeOn(dob, day time.Time) int {
	age := day.Year() - dob.Year()
	if day.Month() < dob.Month() || (day.Month() == dob.Month() && day.Day() < dob.Day()) {
		age--
	}
	return age
}

// Ineligible returns why the validated enrolment e falls outside its
// programme's eligibility (gender, minimum age by gender at the date in
// Bangladesh it occurred), in words a reviewer reads, or "" when it does
// not. What the enrolment does not say cannot make it ineligible: a
// missing gender skips both checks and a missing date of birth the age
// check, for a reviewer cannot tell more than the rule from nothing, and
// the fuzzy and exact rules still apply. Validation has already rejected
// a date of birth or gender it cannot read.
func (p Policy) Ineligible(e *Event) string {
	if e == nil || e.Type != TypeEnrolment || e.Person == nil {
		return ""
	}
	prog, ok := p.Catalogue[e.Programme]
	if !ok {
		return ""
	}
	el, g := prog.Eligibility, e.Person.Gender
	if g == "" {
		return ""
	}
	if len(el.Genders) > 0 && !slices.Contains(el.Genders, g) {
		var nouns []string
		for _, want := range el.Genders {
			nouns = append(nouns, genderNoun(want))
		}
		return fmt.Sprintf("%s is for %s; the enrolment gives the gender as %s", prog.NameEN, strings.Join(nouns, " and "), g)
	}
	min, ok := el.MinAge[g]
	if !ok || e.Person.DOB == "" || e.Occurred.IsZero() {
		return ""
	}
	dob, err := time.Parse("2006-01-02", e.Person.DOB)
	if err != nil {
		return ""
	}
	day := e.Occurred.In(bangladesh)
	on := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	if dob.After(on) {
		return fmt.Sprintf("the date of birth %s is after the enrolment's date %s; %s asks %d years for %s",
			e.Person.DOB, on.Format("2006-01-02"), prog.NameEN, min, genderNoun(g))
	}
	if age := AgeOn(dob, on); age < min {
		return fmt.Sprintf("born %s, %d years old on %s, the enrolment's date; %s asks %d for %s",
			e.Person.DOB, age, on.Format("2006-01-02"), prog.NameEN, min, genderNoun(g))
	}
	return ""
}
