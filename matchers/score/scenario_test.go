package score

import (
	"flag"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ekjon/ekjon/domain"
)

// population is a term-frequency table shaped like Bangladeshi names: a few
// tokens carry a large share (islam, rahman, abdul, hossain), given names
// are moderately common, and a long tail of tokens occurs once. It holds
// 10,000 tokens in 5,000 two-token names.
func population(tb testing.TB) *Counter {
	tb.Helper()
	counts := map[string]int{
		"islam": 420, "rahman": 380, "abdul": 350, "hossain": 300, "uddin": 260,
		"ahmed": 220, "ali": 200, "alam": 150, "karim": 60, "rahim": 50,
		"rahima": 45, "jalil": 25, "malek": 30, "rafikul": 20, "shafikul": 18,
		"nasir": 15, "jamal": 20, "kamal": 22, "hasan": 40, "husain": 15,
		"tanvir": 3, "shahriar": 2, "nusrat": 4, "ferdousi": 3, "moinul": 6,
	}
	toks := make([]string, 0, 10000)
	for _, tok := range slices.Sorted(maps.Keys(counts)) {
		for range counts[tok] {
			toks = append(toks, tok)
		}
	}
	// The long tail: tokens seen once each, to a total of 10,000.
	for i := len(toks); i < 10000; i++ {
		toks = append(toks, fmt.Sprintf("tail%05d", i))
	}
	// Pair the first half with the second, so that no name repeats a token
	// (no token's run is half the table long).
	var c Counter
	half := len(toks) / 2
	for i := range half {
		c.Add(toks[i], toks[half+i])
	}
	return &c
}

var update = flag.Bool("update", false, "rewrite testdata/scenarios.golden")

// person builds a record from space-separated folded tokens.
func person(name, weak, father, spouse string, dob DOB, g Gender, phone, nid, district, upazila string) Record {
	return Record{
		Name:      Name{Strong: toks(name), Weak: toks(weak)},
		Father:    Name{Strong: toks(father)},
		Spouse:    Name{Strong: toks(spouse)},
		DOB:       dob,
		Gender:    g,
		PhoneHash: phone,
		NIDHash:   nid,
		District:  district,
		Upazila:   upazila,
	}
}

// withMother sets r's mother's name from space-separated folded tokens.
func withMother(r Record, mother string) Record {
	r.Mother = Name{Strong: toks(mother)}
	return r
}

type band int

const (
	below  band = iota // admitted, no alert
	review             // POSSIBLE_PERSON
	hold               // FUZZY_PERSON
)

func (b band) String() string { return [...]string{"below", "review", "hold"}[b] }

func bandOf(m *Model, total float64) band {
	switch m.Verdict(total) {
	case domain.RuleFuzzyPerson:
		return hold
	case domain.RulePossiblePerson:
		return review
	}
	return below
}

type scenario struct {
	name string
	a, b Record
	want band
	// maxTotal, when set, bounds the total more tightly than the band: the
	// cases that must stay well below a threshold.
	maxTotal float64
}

func scenarios() []scenario {
	male, female := GenderMale, GenderFemale
	rafikul := person("rafikul islam", "", "abdul karim", "", DOB{1950, 3, 1}, male, "ph1", "nid1", "26", "72")
	rahimaWidow := person("rahima", "begum", "abdul jalil", "", DOB{1958, 8, 15}, female, "", "nid1", "26", "72")
	return []scenario{
		{
			name: "same person, spelling variant and typo, other NID and phone",
			a:    rafikul,
			b:    person("rofikul islam", "", "abdul korim", "", DOB{1950, 3, 1}, male, "ph2", "nid2", "26", "72"),
			want: hold,
		},
		{
			name: "same person, joined name, transposed dob, no NID",
			a:    person("nasir uddin ahmed", "", "moinul haque", "", DOB{1962, 4, 11}, male, "ph1", "nid1", "26", "72"),
			b:    person("nasiruddin ahmed", "", "moinul haque", "", DOB{1962, 11, 4}, male, "ph1", "", "26", "72"),
			want: hold,
		},
		{
			name: "same person, everything equal but NID",
			a:    rafikul,
			b:    person("rafikul islam", "", "abdul karim", "", DOB{1950, 3, 1}, male, "ph1", "nid2", "26", "72"),
			want: hold,
		},
		{
			name:     "brothers: shared father, surname, phone and village, other given name and dob",
			a:        rafikul,
			b:        person("shafikul islam", "", "abdul karim", "", DOB{1953, 7, 12}, male, "ph1", "nid2", "26", "72"),
			want:     below,
			maxTotal: 8,
		},
		{
			name:     "brothers a year apart with rhyming names",
			a:        person("jamal uddin", "", "abdul malek", "", DOB{1960, 1, 1}, male, "ph1", "nid1", "26", "72"),
			b:        person("kamal uddin", "", "abdul malek", "", DOB{1961, 1, 1}, male, "ph1", "nid2", "26", "72"),
			want:     below,
			maxTotal: 11,
		},
		{
			// Twins share everything a family shares and the date of birth;
			// only their own names tell them apart. They may be flagged for
			// a look, never held.
			name:     "twins: same dob, father, phone and village",
			a:        person("hasan ali", "", "abdul malek", "", DOB{1970, 5, 20}, male, "ph1", "nid1", "26", "72"),
			b:        person("husain ali", "", "abdul malek", "", DOB{1970, 5, 20}, male, "ph1", "nid2", "26", "72"),
			want:     review,
			maxTotal: 20,
		},
		{
			name:     "twins with a rare family name",
			a:        person("tanvir shahriar", "", "moinul haque", "", DOB{1990, 2, 2}, male, "ph1", "nid1", "26", "72"),
			b:        person("tahmid shahriar", "", "moinul haque", "", DOB{1990, 2, 2}, male, "ph1", "nid2", "26", "72"),
			want:     review,
			maxTotal: 21,
		},
		{
			// Another given name and another gender are two independent
			// signs of two people; nothing is left for a reviewer to see.
			name:     "brother and sister twins with a rare family name",
			a:        person("tanvir shahriar", "", "moinul haque", "", DOB{1990, 2, 2}, male, "ph1", "nid1", "26", "72"),
			b:        person("nusrat shahriar", "", "moinul haque", "", DOB{1990, 2, 2}, female, "ph1", "nid2", "26", "72"),
			want:     below,
			maxTotal: 16,
		},
		{
			name: "widow re-enrolled without NID and without her late husband's name",
			a:    person("rahima", "begum", "abdul jalil", "abdul malek", DOB{1958, 8, 15}, female, "", "nid1", "26", "72"),
			b:    person("rahima", "begum", "abdul jalil", "", DOB{1958, 8, 15}, female, "", "", "26", "72"),
			want: hold,
		},
		{
			// The normaliser does not know a misspelt honorific or female
			// marker and keeps it as a name token.
			name: "same woman, honorific misspelt, a year off on the same day, no NID",
			a:    person("masa rehana", "", "mojibur", "", DOB{1955, 11, 28}, female, "", "nid1", "15", "18"),
			b:    person("rehana", "begum", "mojibur", "", DOB{1954, 11, 28}, female, "", "", "15", "18"),
			want: hold,
		},
		{
			name: "same woman, female marker misspelt",
			a:    person("nasima begm", "", "aziz", "siddik", DOB{1956, 3, 1}, female, "", "nid1", "78", "11"),
			b:    person("nasima", "begum", "aziz", "siddik", DOB{1956, 3, 1}, female, "", "nid2", "78", "11"),
			want: hold,
		},
		{
			// A token that agrees with no weak token and is no honorific
			// stays a name: another given name is not a slip.
			name:     "two women sharing a family name, one with a second given name",
			a:        person("rahima jalil", "", "", "", DOB{Year: 1958}, female, "", "nid1", "26", "72"),
			b:        person("jalil", "begum", "", "", DOB{Year: 1958}, female, "", "nid2", "26", "72"),
			want:     below,
			maxTotal: 14,
		},
		{
			name:     "two widows of one common name, birth year and upazila",
			a:        rahimaWidow,
			b:        person("rahima", "khatun", "", "", DOB{Year: 1958}, female, "", "nid2", "26", "72"),
			want:     below,
			maxTotal: 14,
		},
		{
			name: "two widows of one common name sharing a neighbour's phone",
			a:    person("rahima", "begum", "", "", DOB{Year: 1948}, female, "ph9", "nid1", "26", "72"),
			b:    person("rahima", "begum", "", "", DOB{Year: 1948}, female, "ph9", "nid2", "26", "72"),
			want: review,
		},
		{
			name: "common name, a year apart, same district",
			a:    person("abdul karim", "", "", "", DOB{Year: 1950}, male, "", "nid1", "26", "72"),
			b:    person("abdul karim", "", "", "", DOB{Year: 1951}, male, "", "nid2", "26", "10"),
			want: below,
		},
		{
			// Blocks put namesakes of neighbouring birth years together,
			// so two years known only as years, one apart, are no
			// evidence of one person; a rare name alone in one district,
			// with two NIDs and nothing else shared, is not worth a
			// reviewer's hour.
			name:     "rare name, a year apart, same district",
			a:        person("tanvir shahriar", "", "", "", DOB{Year: 1950}, male, "", "nid1", "26", "72"),
			b:        person("tanvir shahriar", "", "", "", DOB{Year: 1951}, male, "", "nid2", "26", "10"),
			want:     below,
			maxTotal: 13,
		},
		{
			// A rare name and father's name in one upazila carry it.
			name: "rare name, a year apart, same upazila and father",
			a:    person("tanvir shahriar", "", "moinul", "", DOB{Year: 1950}, male, "", "nid1", "26", "72"),
			b:    person("tanvir shahriar", "", "moinul", "", DOB{Year: 1951}, male, "", "", "26", "72"),
			want: hold,
		},
		{
			// Cousins named after one grandfather, sons of fathers of one
			// common name, in one union: a birth year fifty years off says
			// two people, whatever the names and the phone.
			name:     "namesakes of one father's name and phone, fifty years apart",
			a:        person("abdul karim", "", "abdul rahman", "", DOB{1940, 1, 1}, male, "ph5", "", "26", "72"),
			b:        person("abdul karim", "", "abdul rahman", "", DOB{1990, 3, 4}, male, "ph5", "", "26", "72"),
			want:     below,
			maxTotal: 14,
		},
		{
			name:     "rare namesakes of one union, decades apart",
			a:        person("tanvir shahriar", "", "moinul", "", DOB{Year: 1950}, male, "", "nid1", "26", "72"),
			b:        person("tanvir shahriar", "", "moinul", "", DOB{Year: 1975}, male, "", "nid2", "26", "72"),
			want:     below,
			maxTotal: 14,
		},
		{
			// Two real dates a year and some days apart are two slips in
			// one record: with a rare name and father's name shared by
			// chance in another district, nothing a reviewer need see.
			name: "rare namesakes of one father's name, a year and a day apart, another district",
			a:    person("tanvir shahriar", "", "moinul", "", DOB{1962, 4, 11}, male, "", "nid1", "26", "72"),
			b:    person("tanvir shahriar", "", "moinul", "", DOB{1963, 9, 2}, male, "", "nid2", "61", "05"),
			want: below,
		},
		{
			// Namesakes are crowded in a union: a blocked pair of one
			// common name and one upazila is often two people, and two
			// real dates in one year with two fathers' names say so.
			name:     "namesakes of one union and birth year, other fathers",
			a:        person("abdul karim", "", "abdul rahman", "", DOB{1961, 3, 12}, male, "ph1", "nid1", "26", "72"),
			b:        person("abdul karim", "", "nasir uddin", "", DOB{1961, 8, 30}, male, "ph2", "nid2", "26", "72"),
			want:     below,
			maxTotal: 8,
		},
		{
			// Fathers' names are as concentrated as names: one name and
			// one father's name in two districts, with two real dates in
			// one year, are cousins or strangers.
			name:     "namesakes of one father's name and birth year, another district",
			a:        person("abdul karim", "", "abdul rahman", "", DOB{1961, 3, 12}, male, "ph1", "nid1", "26", "72"),
			b:        person("abdul karim", "", "abdul rahman", "", DOB{1961, 8, 30}, male, "ph2", "nid2", "61", "05"),
			want:     below,
			maxTotal: 12,
		},
		{
			// Three years may be an age guessed where one date is a
			// placeholder: a reviewer may look, but nobody is held.
			name:     "cousins of one name and father's name in one union, three years apart, one date 1 January",
			a:        person("rafikul islam", "", "abdul karim", "", DOB{1958, 1, 1}, male, "ph1", "nid1", "26", "72"),
			b:        person("rafikul islam", "", "abdul karim", "", DOB{1961, 6, 21}, male, "ph2", "nid2", "26", "72"),
			want:     review,
			maxTotal: 17,
		},
		{
			// The same cousins, each with his mother's name on record:
			// two mothers are two men.
			name: "cousins of one name and father's name in one union, three years apart, one date 1 January, two mothers",
			a: withMother(person("rafikul islam", "", "abdul karim", "", DOB{1958, 1, 1}, male, "ph1", "nid1", "26", "72"),
				"rahima"),
			b: withMother(person("rafikul islam", "", "abdul karim", "", DOB{1961, 6, 21}, male, "ph2", "nid2", "26", "72"),
				"jahanara"),
			want: below,
		},
		{
			// One mother, written two ways, on top of one father and one
			// union: the evidence that relatives share is capped, so the
			// pair stays a reviewer's.
			name: "same person, three years apart, one date 1 January, one mother",
			a: withMother(person("rafikul islam", "", "abdul karim", "", DOB{1958, 1, 1}, male, "ph1", "nid1", "26", "72"),
				"rahima"),
			b: withMother(person("rafikul islam", "", "abdul karim", "", DOB{1961, 6, 21}, male, "ph2", "nid2", "26", "72"),
				"rahema"),
			want: review,
		},
		{
			// Two real dates three years and a season apart are an age
			// guessed and a day slipped in one record at once: far more
			// often two people, and not worth a reviewer's look.
			name: "cousins of one name and father's name in one union, three years apart",
			a:    person("rafikul islam", "", "abdul karim", "", DOB{1958, 2, 10}, male, "ph1", "nid1", "26", "72"),
			b:    person("rafikul islam", "", "abdul karim", "", DOB{1961, 6, 21}, male, "ph2", "nid2", "26", "72"),
			want: below,
		},
		{
			name: "cousins of one name and father's name in one union, eight years apart",
			a:    person("rafikul islam", "", "abdul karim", "", DOB{1958, 2, 10}, male, "", "nid1", "26", "72"),
			b:    person("rafikul islam", "", "abdul karim", "", DOB{1966, 6, 21}, male, "", "nid2", "26", "72"),
			want: below,
		},
		{
			// An office that knows only an age writes the year from it and
			// keeps the day: two years off on one real day and month is
			// one person's date, which two namesakes seldom share.
			name: "same person, the year two off on the same day, no NID",
			a:    person("rafikul islam", "", "abdul karim", "", DOB{1958, 2, 10}, male, "", "nid1", "26", "72"),
			b:    person("rafikul islam", "", "abdul karim", "", DOB{1960, 2, 10}, male, "", "", "26", "72"),
			want: hold,
		},
		{
			// The year is all a placeholder date says: a real date in the
			// same year is neither confirmed nor contradicted.
			name: "same person, 1 January on one record and the real date on the other",
			a:    person("tanvir shahriar", "", "moinul", "", DOB{1950, 1, 1}, male, "", "", "26", "72"),
			b:    person("tanvir shahriar", "", "moinul", "", DOB{1950, 9, 14}, male, "", "nid2", "26", "72"),
			want: hold,
		},
		{
			name: "strangers",
			a:    rafikul,
			b:    person("ferdousi", "akter", "nasir uddin", "kamal", DOB{1985, 6, 6}, female, "ph3", "nid3", "61", "05"),
			want: below,
		},
	}
}

func TestScenarios(t *testing.T) {
	m := DefaultModel()
	tf := population(t)
	var golden strings.Builder
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			r := m.Score(&sc.a, &sc.b, tf)
			fmt.Fprintf(&golden, "%s\n\t%s\n", sc.name, r.Explain())
			if got := bandOf(&m, r.Total); got != sc.want {
				t.Errorf("band = %v, want %v\n%s", got, sc.want, r.Explain())
			}
			if sc.maxTotal != 0 && r.Total > sc.maxTotal {
				t.Errorf("total %.2f above %.2f\n%s", r.Total, sc.maxTotal, r.Explain())
			}
			checkResult(t, r, &sc.a, &sc.b)
			rev := m.Score(&sc.b, &sc.a, tf)
			if math.Abs(rev.Total-r.Total) > 1e-9 {
				t.Errorf("not symmetric: %.4f one way, %.4f the other", r.Total, rev.Total)
			}
		})
	}
	path := filepath.Join("testdata", "scenarios.golden")
	if *update {
		if err := os.WriteFile(path, []byte(golden.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if golden.String() != string(want) {
		t.Errorf("explanations differ from %s (go test -update rewrites it):\n%s", path, golden.String())
	}
}

// checkResult checks the invariants of every Result: contributions sum to
// the total, a missing field weighs nothing, and the explanation carries no
// token, hash or id of either record.
func checkResult(tb testing.TB, r Result, recs ...*Record) {
	tb.Helper()
	var sum float64
	for _, c := range r.Contributions {
		sum += c.Weight
		if c.Level == LevelMissing && c.Weight != 0 {
			tb.Errorf("missing %s weighs %v", c.Field, c.Weight)
		}
	}
	if math.Abs(sum-r.Total) > 1e-9 {
		tb.Errorf("contributions sum to %v, total is %v", sum, r.Total)
	}
	explain := r.Explain()
	for _, rec := range recs {
		secrets := []string{rec.PersonID, rec.PhoneHash, rec.NIDHash}
		for _, n := range []Name{rec.Name, rec.Father, rec.Spouse} {
			secrets = append(secrets, n.Strong...)
			secrets = append(secrets, n.Weak...)
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(explain, s) {
				tb.Errorf("explanation leaks %q: %s", s, explain)
			}
		}
	}
}

func TestScoreCommonVersusRare(t *testing.T) {
	m := DefaultModel()
	tf := population(t)
	sc := scenarios()
	var common, rare Result
	for _, s := range sc {
		switch s.name {
		case "common name, a year apart, same district":
			common = m.Score(&s.a, &s.b, tf)
		case "rare name, a year apart, same district":
			rare = m.Score(&s.a, &s.b, tf)
		}
	}
	if d := rare.Total - common.Total; d < 4 {
		t.Errorf("rare name scores only %.2f bits above a common one\ncommon: %s\nrare:   %s", d, common, rare)
	}
}

func TestScoreWithoutTermFreq(t *testing.T) {
	m := DefaultModel()
	for _, sc := range scenarios() {
		r := m.Score(&sc.a, &sc.b, nil)
		checkResult(t, r, &sc.a, &sc.b)
		for _, c := range r.Contributions {
			if strings.HasSuffix(c.Field, "_tf") {
				t.Errorf("%s: term-frequency line %v without a TermFreq", sc.name, c)
			}
		}
	}
}

// TestScoreUnknownTokens checks that tokens missing from the frequency table
// leave the name's weight alone rather than count as rare.
func TestScoreUnknownTokens(t *testing.T) {
	m := DefaultModel()
	var empty Counter
	empty.Add("something", "else")
	a := person("zzyx qwerty", "", "", "", DOB{}, GenderUnknown, "", "", "", "")
	r := m.Score(&a, &a, &empty)
	if w := r.Weight(FieldNameTF); w != 0 {
		t.Errorf("unknown tokens adjusted the name by %+.2f\n%s", w, r)
	}
	if got, want := r.Total, m.Name.Exact.Weight(); math.Abs(got-want) > 1e-9 {
		t.Errorf("total = %v, want the exact-name weight %v", got, want)
	}
}

func TestScoreHouseholdCap(t *testing.T) {
	m := DefaultModel()
	a := person("", "", "abdul malek", "rahima", DOB{}, GenderUnknown, "ph1", "", "26", "72")
	r := m.Score(&a, &a, nil)
	if got := r.Level(FieldHousehold); got != LevelCapped {
		t.Fatalf("household level = %q, want capped\n%s", got, r)
	}
	// The spouse's agreement may pass the cap by SpouseOverCap.
	if want := m.HouseholdCap + min(m.Spouse.Exact.Weight(), m.SpouseOverCap); math.Abs(r.Total-want) > 1e-9 {
		t.Errorf("total of household fields = %v, want the cap and the spouse's share over it, %v\n%s", r.Total, want, r)
	}
}

func TestExplainFormat(t *testing.T) {
	r := Result{Total: 1.5, Contributions: []domain.Contribution{
		{Field: FieldName, Level: LevelExact, Weight: 10.234},
		{Field: FieldNID, Level: LevelDifferent, Weight: -8.734},
	}}
	want := "name=exact:+10.23 nid=different:-8.73 total=+1.50"
	if got := r.Explain(); got != want {
		t.Errorf("Explain = %q, want %q", got, want)
	}
	if got := fmt.Sprint(r); got != want {
		t.Errorf("Sprint = %q, want %q", got, want)
	}
}
