package score

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/agnivade/levenshtein"
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
		{"sabur", "chabur", LevelClose}, // ছ read as s and as ch
		{"abdus sabur", "chabur abdus", LevelClose},
		{"maslem uddin", "machlem uddin", LevelClose},
		{"chanda", "sandha", LevelFar}, // one ch for s is not any difference
		{"chabur", "kabur", LevelFar},
		{"hapi begam", "hepi begam", LevelClose}, // হ্যাপি, হেপি: Happy
		{"jasmin", "jesmin", LevelClose},
		{"anar hasen", "anabar hasen", LevelClose}, // আনোয়ার: Anwar, Anobar; w written b
		{"sabina", "sena", LevelFar},               // Sabina, Saina: a b before i is no w
		{"nabila", "nela", LevelFar},               // Nabila, Naila
		{"manabara", "manara", LevelClose},         // মনোয়ারা: Monobara, Monoara
		{"nasad", "nabsad", LevelClose},            // নওশাদ: Nawshad, Nobshad
		{"ahidul", "bahidul", LevelClose},          // ওহিদুল: Ohidul, Bahidul
		{"kabir", "kader", LevelFar},
		{"rabia", "ria", LevelFar},
		{"ab", "a", LevelFar},        // too short to read a letter as a glide
		{"rena", "rina", LevelFar},   // only e for a
		{"ran", "ren", LevelFar},     // not in tokens under four letters
		{"rana", "rena", LevelClose}, // রানা and রেনা: the gender parts them
		{"rina", "runa", LevelFar},   // other vowels are other names
		{"karim", "kerem", LevelFar},
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
		{"same year, day unknown", DOB{1950, 3, 0}, DOB{1950, 3, 2}, LevelPlaceholder},
		{"same year, month unknown", DOB{1950, 0, 2}, DOB{1950, 3, 2}, LevelPlaceholder},
		{"year only", DOB{Year: 1950}, DOB{Year: 1950}, LevelPlaceholder},
		{"year after, same day", DOB{1950, 3, 1}, DOB{1951, 3, 1}, LevelYearOffDay},
		{"year before, same day", DOB{1951, 3, 1}, DOB{1950, 3, 1}, LevelYearOffDay},
		{"year after, other day", DOB{1950, 3, 1}, DOB{1951, 3, 2}, LevelYearOffOther},
		{"year after, other month", DOB{1950, 3, 2}, DOB{1951, 4, 2}, LevelYearOffOther},
		{"year after, day unknown", DOB{Year: 1950}, DOB{1951, 3, 1}, LevelYearOff1},
		{"1 January is a year only", DOB{1950, 1, 1}, DOB{1950, 1, 1}, LevelPlaceholder},
		{"1 July is a year only", DOB{1950, 7, 1}, DOB{1950, 3, 9}, LevelPlaceholder},
		{"1 January against a real date", DOB{1950, 1, 1}, DOB{1950, 5, 20}, LevelPlaceholder},
		{"1 January a year apart", DOB{1950, 1, 1}, DOB{1951, 1, 1}, LevelYearOff1},
		{"2 January is a real date", DOB{1950, 1, 2}, DOB{1950, 1, 2}, LevelExact},
		{"two years apart, other days", DOB{1950, 3, 1}, DOB{1952, 4, 1}, LevelYearOff2Oth},
		{"two years apart, one date unknown", DOB{Year: 1950}, DOB{1952, 4, 1}, LevelYearOff2to5},
		{"two years apart on the same day", DOB{1950, 3, 2}, DOB{1952, 3, 2}, LevelYearOff2Day},
		{"two years apart, one a placeholder", DOB{1950, 1, 1}, DOB{1952, 1, 1}, LevelYearOff2to5},
		{"five years apart, one a placeholder", DOB{1950, 3, 1}, DOB{1945, 1, 1}, LevelYearOff2to5},
		{"five years apart, other days", DOB{1950, 3, 1}, DOB{1945, 1, 2}, LevelYearOff2Oth},
		{"six years apart", DOB{1950, 3, 1}, DOB{1956, 3, 1}, LevelFar},
		{"fifteen years apart", DOB{1950, 3, 1}, DOB{1965, 3, 1}, LevelFar},
		{"sixteen years apart", DOB{1950, 3, 1}, DOB{1966, 3, 1}, LevelDecades},
		{"fifty years apart", DOB{1990, 3, 1}, DOB{1940, 3, 1}, LevelDecades},
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

// The reference comparison: names compared as first written, with no
// bound on edits tested before Jaro-Winkler. compareNames must agree with
// it on every pair of names, since levels, scores and their order depend
// on it.

func tokenAgreeRef(a, b string, closeJW float64) (int, float64) {
	if a == b {
		return 2, 1
	}
	jw := JaroWinkler(a, b)
	if jw < closeJW || levenshtein.ComputeDistance(a, b) > maxEditsOf(len(a), len(b)) {
		// One e for an a, in tokens of four letters or more.
		if len(a) == len(b) && len(a) >= 4 && levenshtein.ComputeDistance(a, b) == 1 &&
			strings.ContainsAny(a, "ae") && strings.ReplaceAll(a, "e", "a") == strings.ReplaceAll(b, "e", "a") {
			return 1, closeJW
		}
		return 0, jw
	}
	return 1, jw
}

func compareNamesRef(a, b []string, closeJW float64) nameMatch {
	if len(a) == 0 || len(b) == 0 {
		return nameMatch{level: LevelMissing}
	}
	var ta, tb [maxNameTokens]string
	na := copy(ta[:], a)
	nb := copy(tb[:], b)
	best := alignRef(ta[:na], tb[:nb], closeJW)
	if best.level == LevelExact || best.level == LevelClose {
		return best
	}
	ja, jb := ta, tb
	na2 := joinTokensRef(&ja, na, tb[:nb], closeJW)
	nb2 := joinTokensRef(&jb, nb, ta[:na], closeJW)
	if na2 == na && nb2 == nb {
		return best
	}
	if m := alignRef(ja[:na2], jb[:nb2], closeJW); nameRank(m.level) > nameRank(best.level) {
		return m
	}
	return best
}

func joinTokensRef(t *[maxNameTokens]string, n int, other []string, closeJW float64) int {
	for i := 0; i+1 < n; i++ {
		joined := ""
		for _, o := range other {
			if len(o) < len(t[i])+len(t[i+1])-2 || len(o) > len(t[i])+len(t[i+1])+2 {
				continue
			}
			if g, _ := tokenAgreeRef(t[i], o, closeJW); g > 0 {
				continue
			}
			if g, _ := tokenAgreeRef(t[i+1], o, closeJW); g > 0 {
				continue
			}
			if joined == "" {
				joined = t[i] + t[i+1]
			}
			if g, _ := tokenAgreeRef(joined, o, closeJW); g > 0 {
				t[i] = joined
				copy(t[i+1:n], t[i+2:n])
				n--
				t[n] = ""
				break
			}
		}
	}
	return n
}

func alignRef(a, b []string, closeJW float64) nameMatch {
	var agree [maxNameTokens][maxNameTokens]int8
	var sim [maxNameTokens][maxNameTokens]float64
	for i := range a {
		for j := range b {
			g, jw := tokenAgreeRef(a[i], b[j], closeJW)
			agree[i][j], sim[i][j] = int8(g), jw
		}
	}
	var usedA, usedB [maxNameTokens]bool
	var m nameMatch
	closePairs := 0
	for {
		bi, bj := -1, -1
		for i := range a {
			if usedA[i] {
				continue
			}
			for j := range b {
				if usedB[j] || agree[i][j] == 0 {
					continue
				}
				if bi < 0 || agree[i][j] > agree[bi][bj] ||
					(agree[i][j] == agree[bi][bj] && sim[i][j] > sim[bi][bj]) {
					bi, bj = i, j
				}
			}
		}
		if bi < 0 {
			break
		}
		usedA[bi], usedB[bj] = true, true
		m.pairs[m.n] = [2]string{a[bi], b[bj]}
		m.n++
		if agree[bi][bj] == 1 {
			closePairs++
		}
	}
	restA, restB := len(a)-m.n, len(b)-m.n
	switch {
	case m.n == 0:
		m.level = LevelFar
	case restA == 0 && restB == 0 && closePairs == 0:
		m.level = LevelExact
	case restA == 0 && restB == 0:
		m.level = LevelClose
	case restA == 0 || restB == 0:
		m.level = LevelPartial
	default:
		m.level = LevelMixed
	}
	return m
}

func checkCompareNames(t *testing.T, a, b []string) {
	t.Helper()
	if got, want := compareNames(a, b, 0.88), compareNamesRef(a, b, 0.88); got != want {
		t.Fatalf("compareNames(%q, %q) = %+v, reference %+v", a, b, got, want)
	}
	for _, x := range a {
		for _, y := range b {
			g, jw := tokenAgree(x, y, 0.88)
			wg, wjw := tokenAgreeRef(x, y, 0.88)
			if g != wg || (g > 0 && jw != wjw) {
				t.Fatalf("tokenAgree(%q, %q) = %d, %v; reference %d, %v", x, y, g, jw, wg, wjw)
			}
		}
	}
}

func TestCompareNamesMatchesReference(t *testing.T) {
	names := []string{"mahamad abdul karim", "abdulkarim", "abdul korim", "nasir uddin", "nasiruddin ahmad",
		"rafikul islam", "rofikul eslam", "shafikul islam", "masamat rahima", "mahamad rahim", "hasan ali",
		"hosen ali", "হাসান ali", "a k m fazlul hak", "akm fazlul hak", "jamal uddin", "kamal uddin",
		"mohammadullah", "mohammadali", "x"}
	for _, a := range names {
		for _, b := range names {
			checkCompareNames(t, toks(a), toks(b))
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	letters := "aaeihkmnrsউ"
	random := func() []string {
		ts := make([]string, 1+r.IntN(4))
		for i := range ts {
			b := make([]byte, 1+r.IntN(9))
			for k := range b {
				b[k] = letters[r.IntN(len(letters))]
			}
			ts[i] = string(b)
		}
		return ts
	}
	for range 50_000 {
		a := random()
		b := random()
		if r.IntN(4) == 0 {
			// b joins two of a's tokens, the case joinTokens serves.
			b = append(b, a[0]+a[len(a)-1])
		}
		checkCompareNames(t, a, b)
	}
}

func FuzzCompareNames(f *testing.F) {
	f.Add("nasir uddin", "nasiruddin")
	f.Add("হাসান ali", "hasan ali")
	f.Fuzz(func(t *testing.T, a, b string) {
		checkCompareNames(t, toks(a), toks(b))
	})
}

// TestNIDPlace: an NID issued in the district the other record lives in
// is evidence for a match when the two live apart, and nothing otherwise;
// it never weighs against one.
func TestNIDPlace(t *testing.T) {
	tests := []struct {
		name                   string
		da, nida, db, nidb, lv string
	}{
		{"moved from the NID's district", "33", "26", "26", "", LevelSame},
		{"the other moved", "26", "", "33", "26", LevelSame},
		{"NID from a third district", "33", "61", "26", "", LevelMissing},
		{"same district: the location's evidence", "26", "26", "26", "26", LevelMissing},
		{"no NID place", "33", "", "26", "", LevelMissing},
		{"no address", "", "26", "26", "", LevelMissing},
	}
	m := DefaultModel()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Without the family's evidence, which the household cap
			// would take the NID place's weight into.
			rec := func(district, nidDistrict string) Record {
				r := typicalRecord()
				r.PhoneHash, r.Father = "", Name{}
				r.District, r.NIDDistrict = district, nidDistrict
				return r
			}
			a, b := rec(tc.da, tc.nida), rec(tc.db, tc.nidb)
			if got := compareNIDPlace(&a, &b); got != tc.lv {
				t.Fatalf("compareNIDPlace = %s, want %s", got, tc.lv)
			}
			without := rec(tc.da, "")
			other := b
			other.NIDDistrict = ""
			with, base := m.Score(&a, &b, nil).Total, m.Score(&without, &other, nil).Total
			switch {
			case tc.lv == LevelSame && !(with > base):
				t.Errorf("score %.2f with the NID place, %.2f without: want more", with, base)
			case tc.lv != LevelSame && with != base:
				t.Errorf("score %.2f with the NID place, %.2f without: want the same", with, base)
			}
			found := false
			for _, c := range m.Score(&a, &b, nil).Contributions {
				found = found || c.Field == FieldNIDPlace
			}
			if found != (tc.lv == LevelSame) {
				t.Errorf("explanation names nid_place: %v, want %v", found, tc.lv == LevelSame)
			}
		})
	}
}
