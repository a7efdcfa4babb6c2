package score

import (
	"github.com/agnivade/levenshtein"
)

// Field names in Contributions. They are part of the explanation shown to
// reviewers and stored with decisions, so they do not change lightly.
const (
	FieldName      = "name"
	FieldNameTF    = "name_tf"
	FieldNameWeak  = "name_weak"
	FieldFather    = "father"
	FieldFatherTF  = "father_tf"
	FieldSpouse    = "spouse"
	FieldSpouseTF  = "spouse_tf"
	FieldDOB       = "dob"
	FieldGender    = "gender"
	FieldPhone     = "phone"
	FieldNID       = "nid"
	FieldLocation  = "location"
	FieldHousehold = "household"
)

// Level names in Contributions.
const (
	LevelExact        = "exact"
	LevelClose        = "close"
	LevelPartial      = "partial"
	LevelMixed        = "mixed"
	LevelFar          = "far"
	LevelMissing      = "missing"
	LevelTransposed   = "day_month_transposed"
	LevelSameYear     = "same_year"
	LevelYearOff1     = "year_off_by_one"
	LevelYearOffDay   = "year_off_by_one_same_day"
	LevelSame         = "same"
	LevelDifferent    = "different"
	LevelSameUpazila  = "same_upazila"
	LevelSameDistrict = "same_district"
	LevelCommon       = "common"  // term frequency: agreeing tokens are common
	LevelRare         = "rare"    // term frequency: agreeing tokens are rare
	LevelTypical      = "typical" // term frequency: no net adjustment
	LevelCapped       = "capped"  // household evidence cut to the cap
)

// maxNameTokens bounds the tokens of one name that are compared; longer
// names are cut, which loses nothing real (names have two to five parts)
// and keeps the comparison on the stack.
const maxNameTokens = 8

// tokenAgree says how two name tokens agree: 2 equal, 1 a spelling variant
// or typo (Jaro-Winkler at least closeJW and few edits), 0 not at all. The
// edit bound stops Jaro-Winkler's prefix bonus from pairing long tokens
// that only share a start (mohammadullah, mohammadali).
func tokenAgree(a, b string, closeJW float64) (agree int, jw float64) {
	if a == b {
		return 2, 1
	}
	jw = JaroWinkler(a, b)
	if jw < closeJW {
		return 0, jw
	}
	maxEdits := 1
	if min(len(a), len(b)) > 5 {
		maxEdits = 2
	}
	if levenshtein.ComputeDistance(a, b) > maxEdits {
		return 0, jw
	}
	return 1, jw
}

// nameMatch is the outcome of aligning two token lists: the level and the
// agreeing pairs, kept for the term-frequency adjustment.
type nameMatch struct {
	level string
	n     int
	pairs [maxNameTokens][2]string
}

// nameRank orders levels so that the better of two alignments can be kept.
func nameRank(level string) int {
	switch level {
	case LevelExact:
		return 4
	case LevelClose:
		return 3
	case LevelPartial:
		return 2
	case LevelMixed:
		return 1
	}
	return 0
}

// compareNames compares two strong-token lists regardless of order. Tokens
// written together on one side and apart on the other (nasiruddin, nasir
// uddin) are joined before a second alignment, so the split costs nothing.
func compareNames(a, b []string, closeJW float64) nameMatch {
	if len(a) == 0 || len(b) == 0 {
		return nameMatch{level: LevelMissing}
	}
	var ta, tb [maxNameTokens]string
	na := copy(ta[:], a)
	nb := copy(tb[:], b)
	best := align(ta[:na], tb[:nb], closeJW)
	if best.level == LevelExact || best.level == LevelClose {
		return best
	}
	ja, jb := ta, tb
	na2 := joinTokens(&ja, na, tb[:nb], closeJW)
	nb2 := joinTokens(&jb, nb, ta[:na], closeJW)
	if na2 == na && nb2 == nb {
		return best
	}
	if m := align(ja[:na2], jb[:nb2], closeJW); nameRank(m.level) > nameRank(best.level) {
		return m
	}
	return best
}

// joinTokens merges, in place, adjacent tokens of t whose concatenation
// agrees with a token of other that neither part agrees with alone, and
// returns the new length. It allocates the joined strings; it runs only when
// a plain alignment left tokens unpaired.
func joinTokens(t *[maxNameTokens]string, n int, other []string, closeJW float64) int {
	for i := 0; i+1 < n; i++ {
		joined := ""
		for _, o := range other {
			if len(o) < len(t[i])+len(t[i+1])-2 || len(o) > len(t[i])+len(t[i+1])+2 {
				continue
			}
			if g, _ := tokenAgree(t[i], o, closeJW); g > 0 {
				continue
			}
			if g, _ := tokenAgree(t[i+1], o, closeJW); g > 0 {
				continue
			}
			if joined == "" {
				joined = t[i] + t[i+1]
			}
			if g, _ := tokenAgree(joined, o, closeJW); g > 0 {
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

// align pairs tokens best first: every equal pair, then close pairs by
// falling Jaro-Winkler similarity, each token used once.
func align(a, b []string, closeJW float64) nameMatch {
	var agree [maxNameTokens][maxNameTokens]int8
	var sim [maxNameTokens][maxNameTokens]float64
	for i := range a {
		for j := range b {
			g, jw := tokenAgree(a[i], b[j], closeJW)
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

// nameWeight maps a name level to its m/u pair; missing weighs zero.
func (l *NameLevels) weight(level string) float64 {
	switch level {
	case LevelExact:
		return l.Exact.Weight()
	case LevelClose:
		return l.Close.Weight()
	case LevelPartial:
		return l.Partial.Weight()
	case LevelMixed:
		return l.Mixed.Weight()
	case LevelFar:
		return l.Far.Weight()
	}
	return 0
}

// u returns the U of a level that has agreeing tokens, for the term-
// frequency adjustment; 1 (no adjustment base) for any other.
func (l *NameLevels) u(level string) float64 {
	switch level {
	case LevelExact:
		return l.Exact.U
	case LevelClose:
		return l.Close.U
	case LevelPartial:
		return l.Partial.U
	case LevelMixed:
		return l.Mixed.U
	}
	return 1
}

// compareWeak compares weak tokens: the same when one is shared, different
// when both sides have some and none is shared, else missing.
func compareWeak(a, b []string) string {
	if len(a) == 0 || len(b) == 0 {
		return LevelMissing
	}
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return LevelSame
			}
		}
	}
	return LevelDifferent
}

// compareDOB compares dates of birth; a missing year makes the date missing
// because month and day alone say little. A 1 January date counts as a
// year only: offices write it for a person who knows only their age.
func compareDOB(a, b DOB) string {
	if a.Year == 0 || b.Year == 0 {
		return LevelMissing
	}
	known := a.Month != 0 && a.Day != 0 && b.Month != 0 && b.Day != 0 &&
		!(a.Month == 1 && a.Day == 1) && !(b.Month == 1 && b.Day == 1)
	if a.Year == b.Year {
		switch {
		case known && a.Month == b.Month && a.Day == b.Day:
			return LevelExact
		case known && a.Month == b.Day && a.Day == b.Month:
			return LevelTransposed
		}
		return LevelSameYear
	}
	if a.Year == b.Year+1 || b.Year == a.Year+1 {
		if known && a.Month == b.Month && a.Day == b.Day {
			return LevelYearOffDay
		}
		return LevelYearOff1
	}
	return LevelDifferent
}

func (l *DOBLevels) weight(level string) float64 {
	switch level {
	case LevelExact:
		return l.Exact.Weight()
	case LevelTransposed:
		return l.Transposed.Weight()
	case LevelSameYear:
		return l.SameYear.Weight()
	case LevelYearOffDay:
		return l.YearOffSameDay.Weight()
	case LevelYearOff1:
		return l.YearOff1.Weight()
	case LevelDifferent:
		return l.Different.Weight()
	}
	return 0
}

// compareEqual compares opaque values (hashes, gender codes): empty on
// either side is missing.
func compareEqual(a, b string) string {
	switch {
	case a == "" || b == "":
		return LevelMissing
	case a == b:
		return LevelSame
	}
	return LevelDifferent
}

func compareGender(a, b Gender) string {
	switch {
	case a == GenderUnknown || b == GenderUnknown:
		return LevelMissing
	case a == b:
		return LevelSame
	}
	return LevelDifferent
}

func (l *AgreeLevels) weight(level string) float64 {
	switch level {
	case LevelSame:
		return l.Same.Weight()
	case LevelDifferent:
		return l.Different.Weight()
	}
	return 0
}

// compareLocation compares residence. Upazila names repeat across
// districts, so an upazila agrees only within an agreeing district.
func compareLocation(a, b *Record) string {
	switch {
	case a.District == "" || b.District == "":
		return LevelMissing
	case a.District != b.District:
		return LevelDifferent
	case a.Upazila != "" && a.Upazila == b.Upazila:
		return LevelSameUpazila
	}
	return LevelSameDistrict
}

func (l *LocationLevels) weight(level string) float64 {
	switch level {
	case LevelSameUpazila:
		return l.SameUpazila.Weight()
	case LevelSameDistrict:
		return l.SameDistrict.Weight()
	case LevelDifferent:
		return l.Different.Weight()
	}
	return 0
}
