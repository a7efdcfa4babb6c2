package score

import (
	"strings"
	"testing"
)

func toks(s string) []string { return strings.Fields(s) }

func TestCompareNames(t *testing.T) {
	tests := []struct {
		a, b string
		want string
	}{
		{"rafikul islam", "rafikul islam", LevelExact},
		{"rafikul islam", "islam rafikul", LevelExact},
		{"nasiruddin ahmed", "nasir uddin ahmed", LevelExact},
		{"nasir uddin", "nasiruddin", LevelExact},
		{"abdul karim", "abdulkarim", LevelExact},
		{"nasir uddin", "nashiruddin", LevelClose},
		{"rafikul islam", "rofikul islam", LevelClose},
		{"abdul karim", "abdul korim", LevelClose},
		{"islam rafikul", "rafikol islam", LevelClose},
		{"abdul karim", "karim", LevelPartial},
		{"nurul islam", "nurul islam sarkar", LevelPartial},
		{"rafikul islam", "shafikul islam", LevelMixed},
		{"jamal uddin", "kamal uddin", LevelMixed},
		{"rafikul islam", "abdul karim", LevelFar},
		{"jamal", "kamal", LevelFar},
		{"mohammadullah", "mohammadali", LevelFar},
		{"", "abdul karim", LevelMissing},
		{"abdul karim", "", LevelMissing},
	}
	for _, tc := range tests {
		t.Run(tc.a+"|"+tc.b, func(t *testing.T) {
			got := compareNames(toks(tc.a), toks(tc.b), DefaultModel().TokenClose)
			if got.level != tc.want {
				t.Errorf("compareNames = %s, want %s", got.level, tc.want)
			}
			rev := compareNames(toks(tc.b), toks(tc.a), DefaultModel().TokenClose)
			if rev.level != got.level {
				t.Errorf("not symmetric: %s one way, %s the other", got.level, rev.level)
			}
		})
	}
}

// TestCompareNamesLong checks that names beyond maxNameTokens are cut, not
// a crash.
func TestCompareNamesLong(t *testing.T) {
	long := toks("a b c d e f g h i j k l")
	if got := compareNames(long, long, 0.88).level; got != LevelExact {
		t.Errorf("compareNames of a 12-token name with itself = %s, want exact", got)
	}
}

func TestCompareDOB(t *testing.T) {
	tests := []struct {
		name string
		a, b DOB
		want string
	}{
		{"exact", DOB{1950, 3, 1}, DOB{1950, 3, 1}, LevelExact},
		{"transposed", DOB{1950, 3, 1}, DOB{1950, 1, 3}, LevelTransposed},
		{"same year other day", DOB{1950, 3, 1}, DOB{1950, 3, 2}, LevelSameYear},
		{"same year, day unknown", DOB{1950, 3, 0}, DOB{1950, 3, 1}, LevelSameYear},
		{"year only", DOB{Year: 1950}, DOB{Year: 1950}, LevelSameYear},
		{"year after, same day", DOB{1950, 3, 1}, DOB{1951, 3, 1}, LevelYearOffDay},
		{"year before, same day", DOB{1951, 3, 1}, DOB{1950, 3, 1}, LevelYearOffDay},
		{"year after, other day", DOB{1950, 3, 1}, DOB{1951, 3, 2}, LevelYearOff1},
		{"year after, day unknown", DOB{Year: 1950}, DOB{1951, 3, 1}, LevelYearOff1},
		{"1 January is a year only", DOB{1950, 1, 1}, DOB{1950, 1, 1}, LevelSameYear},
		{"1 January a year apart", DOB{1950, 1, 1}, DOB{1951, 1, 1}, LevelYearOff1},
		{"different", DOB{1950, 3, 1}, DOB{1953, 3, 1}, LevelDifferent},
		{"missing year", DOB{0, 3, 1}, DOB{1950, 3, 1}, LevelMissing},
		{"both missing", DOB{}, DOB{}, LevelMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := compareDOB(tc.a, tc.b); got != tc.want {
				t.Errorf("compareDOB(%v, %v) = %s, want %s", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

func TestCompareLocation(t *testing.T) {
	tests := []struct {
		name                 string
		da, ua, db, ub, want string
	}{
		{"same upazila", "26", "72", "26", "72", LevelSameUpazila},
		{"same district", "26", "72", "26", "10", LevelSameDistrict},
		{"upazila unknown", "26", "", "26", "", LevelSameDistrict},
		{"upazila name in another district", "26", "72", "27", "72", LevelDifferent},
		{"different", "26", "72", "61", "05", LevelDifferent},
		{"missing", "", "72", "26", "72", LevelMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := Record{District: tc.da, Upazila: tc.ua}
			b := Record{District: tc.db, Upazila: tc.ub}
			if got := compareLocation(&a, &b); got != tc.want {
				t.Errorf("compareLocation = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestCompareEqualFields(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"hash same", compareEqual("h1", "h1"), LevelSame},
		{"hash different", compareEqual("h1", "h2"), LevelDifferent},
		{"hash missing", compareEqual("", "h2"), LevelMissing},
		{"gender same", compareGender(GenderFemale, GenderFemale), LevelSame},
		{"gender different", compareGender(GenderFemale, GenderMale), LevelDifferent},
		{"gender missing", compareGender(GenderUnknown, GenderMale), LevelMissing},
		{"weak shared", compareWeak(toks("begum"), toks("khatun begum")), LevelSame},
		{"weak different", compareWeak(toks("begum"), toks("khatun")), LevelDifferent},
		{"weak missing", compareWeak(nil, toks("khatun")), LevelMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %s, want %s", tc.got, tc.want)
			}
		})
	}
}

func TestParseGender(t *testing.T) {
	for in, want := range map[string]Gender{
		"male": GenderMale, "female": GenderFemale, "hijra": GenderHijra,
		"other": GenderOther, "": GenderUnknown, "MALE": GenderUnknown,
	} {
		if got := ParseGender(in); got != want {
			t.Errorf("ParseGender(%q) = %d, want %d", in, got, want)
		}
	}
}
