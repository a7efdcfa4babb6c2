package score

import (
	"math"
	"slices"

	"github.com/ekjon/ekjon/domain"
)

// Query scores candidates against one record, as the matcher scores the
// candidates that blocking found for an enrolment. What depends only on
// the model and the query (the levels' weights, the query's name tokens)
// is worked out once rather than for every pair, and Total ranks a
// candidate without building its explanation. Build it with Model.Query.
// A Query reads its Model and record in place: neither may change while
// it is in use. It remembers the weights it has worked out, so it is not
// safe for concurrent use; Model.Score, which builds its own, is.
type Query struct {
	m  *Model
	a  *Record
	tf TermFreq
	w  weights
	// strong holds the strong tokens of the query's own, father's,
	// spouse's and mother's names.
	strong [4]tokens
}

// The names of a record, as Query indexes them.
const (
	ownName = iota
	fatherName
	spouseName
	motherName
)

// The fields compared for equality, as Query indexes them.
const (
	weakField = iota
	genderField
	phoneField
	nidField
	nidPlaceField
)

// Query returns the Query of a against m, with the term frequencies tf,
// which may be nil (no term-frequency adjustment). m must have passed
// Validate.
func (m *Model) Query(a *Record, tf TermFreq) Query {
	q := Query{m: m, a: a, tf: tf}
	for f, t := range [...][]string{a.Name.Strong, a.Father.Strong, a.Spouse.Strong, a.Mother.Strong} {
		q.strong[f].fill(t)
	}
	return q
}

// Score is Model.Score of the query and b.
func (q *Query) Score(b *Record) Result {
	var cs contributions
	total, _ := q.score(b, &cs, false)
	return Result{Total: total, Contributions: slices.Clone(cs.c[:cs.n])}
}

// Total returns Score(b).Total without building the explanation. ok is
// false, and total 0, when the own names agree on no token at all
// (LevelFar), which Total finds first and stops at: the matcher ranks no
// such pair, since family, birth date and address together describe a
// household as well as a person. Total does not allocate.
func (q *Query) Total(b *Record) (total float64, ok bool) {
	var cs contributions
	return q.score(b, &cs, true)
}

// maxContributions bounds the lines of one explanation, with room to
// spare: eleven fields, four term-frequency lines and the household cap.
const maxContributions = 18

// contributions is an explanation as the scorer builds it, on the stack.
type contributions struct {
	n int
	c [maxContributions]domain.Contribution
	// household is the weight of the lines that relatives share; mother
	// the weight of the mother's name's agreeing lines among them.
	household, mother, spouse float64
}

func (cs *contributions) add(field, level string, w float64, household bool) {
	cs.c[cs.n] = domain.Contribution{Field: field, Level: level, Weight: w}
	cs.n++
	if household {
		cs.household += w
	}
}

// score fills cs with the explanation of b against the query and returns
// its total. With stopFar it returns ok false as soon as the own names
// are far, leaving the rest undone.
func (q *Query) score(b *Record, cs *contributions, stopFar bool) (total float64, ok bool) {
	m, a := q.m, q.a
	if lv := q.name(cs, b, ownName, b.Name.Strong); stopFar && lv == LevelFar {
		return 0, false
	}
	lv := compareWeak(a.Name.Weak, b.Name.Weak)
	cs.add(FieldNameWeak, lv, q.agreeWeight(weakField, lv), false)
	lv = compareDOB(a.DOB, b.DOB)
	cs.add(FieldDOB, lv, q.dobWeight(lv), false)
	lv = compareGender(a.Gender, b.Gender)
	cs.add(FieldGender, lv, q.agreeWeight(genderField, lv), false)
	lv = compareEqual(a.NIDHash, b.NIDHash)
	cs.add(FieldNID, lv, q.agreeWeight(nidField, lv), false)
	q.name(cs, b, fatherName, b.Father.Strong)
	q.name(cs, b, spouseName, b.Spouse.Strong)
	q.name(cs, b, motherName, b.Mother.Strong)
	lv = compareEqual(a.PhoneHash, b.PhoneHash)
	cs.add(FieldPhone, lv, q.agreeWeight(phoneField, lv), true)
	lv = compareLocation(a, b)
	cs.add(FieldLocation, lv, q.locationWeight(lv), true)
	if lv = compareNIDPlace(a, b); lv != LevelMissing {
		cs.add(FieldNIDPlace, lv, q.agreeWeight(nidPlaceField, lv), true)
	}

	if hh, limit := cs.household, m.HouseholdCap+min(cs.mother, m.MotherOverCap)+min(cs.spouse, m.SpouseOverCap); hh > limit {
		cs.add(FieldHousehold, LevelCapped, limit-hh, false)
	}
	for _, c := range cs.c[:cs.n] {
		total += c.Weight
	}
	return total, true
}

// nameFields returns the fields of name f's line and of its
// term-frequency line.
func nameFields(f int) (field, tfField string) {
	switch f {
	case fatherName:
		return FieldFather, FieldFatherTF
	case spouseName:
		return FieldSpouse, FieldSpouseTF
	case motherName:
		return FieldMother, FieldMotherTF
	}
	return FieldName, FieldNameTF
}

// name adds the lines of the query's name f (ownName, fatherName,
// spouseName or motherName) against b's strong tokens y and returns its
// level. The relatives' names are evidence that a family shares, and count
// toward the household cap; a mother's name only where it agrees: one
// person's two records seldom name two mothers, and the cap must not
// swallow that evidence against namesakes.
func (q *Query) name(cs *contributions, b *Record, f int, y []string) string {
	m := q.m
	var nm nameMatch
	if q.strong[f].n == 0 || len(y) == 0 {
		nm.level = LevelMissing
	} else {
		var yt tokens
		yt.fill(y)
		nm = compareTokens(&q.strong[f], &yt, m.TokenClose)
	}
	if f == ownName && (nm.level == LevelPartial || nm.level == LevelMixed) {
		nm = m.withoutStrays(nm, q.a, b)
	}
	field, tfField := nameFields(f)
	w := q.nameWeight(f, nm.level)
	cs.add(field, nm.level, w, q.household(cs, f, w))
	if q.tf != nil && nm.n > 0 {
		share := 1.0
		if f != ownName {
			share = 2
		}
		if level, w, ok := m.tfAdjust(&nm, q.nameLogU(f, nm.level), q.tf, share); ok {
			if nm.level == LevelMixed && w > 0 {
				// Mixed names share a token and conflict on another:
				// the shared one is a family name, and a rare family
				// name is evidence of one family (brothers, twins),
				// which the household fields already weigh, not of one
				// person.
				level, w = LevelTypical, 0
			}
			cs.add(tfField, level, w, q.household(cs, f, w))
		}
	}
	return nm.level
}

// household reports whether a line of weight w of the name f counts
// toward the household cap: the relatives' names do, the mother's only
// where it agrees, and its agreement is kept in cs.mother, which may pass
// the cap by Model.MotherOverCap.
func (q *Query) household(cs *contributions, f int, w float64) bool {
	switch f {
	case ownName:
		return false
	case motherName:
		if w <= 0 {
			return false
		}
		cs.mother += w
	case spouseName:
		if w > 0 {
			cs.spouse += w
		}
	}
	return true
}

// weights holds the logarithms a Query has taken, each once, when first
// needed: log2(M/U) of the levels met, and log2(U) of the name levels that
// the term-frequency adjustment starts from. A Query over many candidates
// takes each at most once; one over a single pair, only those it meets.
type weights struct {
	taken [2]uint64 // a bit per slot of v
	v     [nSlots]float64
}

// Slots of weights.v.
const (
	slotName     = 0                // by name and nameIndex
	slotLogU     = slotName + 4*5   // by name and nameIndex
	slotAgree    = slotLogU + 4*5   // by field compared for equality and agreeIndex
	slotDOB      = slotAgree + 5*2  // by dobIndex
	slotLocation = slotDOB + nDOB   // by locationIndex
	nSlots       = slotLocation + 3 // at most 128, the bits of taken
)

// has reports whether slot s is taken.
func (w *weights) has(s int) bool { return w.taken[s>>6]&(1<<(s&63)) != 0 }

// put takes slot s with the value x.
func (w *weights) put(s int, x float64) {
	w.v[s] = x
	w.taken[s>>6] |= 1 << (s & 63)
}

// nameWeight is the weight of level of the name f; missing weighs zero.
func (q *Query) nameWeight(f int, level string) float64 {
	i := nameIndex(level)
	if i < 0 {
		return 0
	}
	s := slotName + 5*f + i
	if !q.w.has(s) {
		q.w.put(s, q.m.nameLevels(f).mu(i).Weight())
	}
	return q.w.v[s]
}

// nameLogU is log2(U) of a level of the name f with agreeing tokens, the
// base of the term-frequency adjustment; 0 (U of 1) for any other.
func (q *Query) nameLogU(f int, level string) float64 {
	i := nameIndex(level)
	if i < 0 || level == LevelFar {
		return 0
	}
	s := slotLogU + 5*f + i
	if !q.w.has(s) {
		q.w.put(s, math.Log2(q.m.nameLevels(f).mu(i).U))
	}
	return q.w.v[s]
}

// agreeWeight is the weight of level of the field k compared for
// equality; missing weighs zero.
func (q *Query) agreeWeight(k int, level string) float64 {
	i := agreeIndex(level)
	if i < 0 {
		return 0
	}
	s := slotAgree + 2*k + i
	if !q.w.has(s) {
		q.w.put(s, q.m.agreeLevels(k).mu(i).Weight())
	}
	return q.w.v[s]
}

// dobWeight is the weight of a date-of-birth level; missing weighs zero.
func (q *Query) dobWeight(level string) float64 {
	i := dobIndex(level)
	if i < 0 {
		return 0
	}
	s := slotDOB + i
	if !q.w.has(s) {
		q.w.put(s, q.m.DOB.mu(i).Weight())
	}
	return q.w.v[s]
}

// locationWeight is the weight of a residence level; missing weighs zero.
func (q *Query) locationWeight(level string) float64 {
	i := locationIndex(level)
	if i < 0 {
		return 0
	}
	s := slotLocation + i
	if !q.w.has(s) {
		q.w.put(s, q.m.Location.mu(i).Weight())
	}
	return q.w.v[s]
}

func (m *Model) nameLevels(f int) *NameLevels {
	switch f {
	case fatherName:
		return &m.Father
	case spouseName:
		return &m.Spouse
	case motherName:
		return &m.Mother
	}
	return &m.Name
}

func (m *Model) agreeLevels(k int) *AgreeLevels {
	switch k {
	case genderField:
		return &m.Gender
	case phoneField:
		return &m.Phone
	case nidField:
		return &m.NID
	case nidPlaceField:
		return &m.NIDPlace
	}
	return &m.NameWeak
}

// nameIndex is the position of a name level in mu's order, or -1.
func nameIndex(level string) int {
	switch level {
	case LevelExact:
		return 0
	case LevelClose:
		return 1
	case LevelPartial:
		return 2
	case LevelMixed:
		return 3
	case LevelFar:
		return 4
	}
	return -1
}

func (l *NameLevels) mu(i int) MU {
	return [...]MU{l.Exact, l.Close, l.Partial, l.Mixed, l.Far}[i]
}

// nDOB is the number of date-of-birth levels.
const nDOB = 12

// dobIndex is the position of a date-of-birth level in mu's order, or -1.
func dobIndex(level string) int {
	switch level {
	case LevelExact:
		return 0
	case LevelTransposed:
		return 1
	case LevelPlaceholder:
		return 2
	case LevelSameYear:
		return 3
	case LevelYearOffDay:
		return 4
	case LevelYearOff1:
		return 5
	case LevelYearOffOther:
		return 6
	case LevelYearOff2to5:
		return 7
	case LevelFar:
		return 8
	case LevelDecades:
		return 9
	case LevelYearOff2Day:
		return 10
	case LevelYearOff2Oth:
		return 11
	}
	return -1
}

func (l *DOBLevels) mu(i int) MU {
	switch i {
	case 0:
		return l.Exact
	case 1:
		return l.Transposed
	case 2:
		return l.Placeholder
	case 3:
		return l.SameYear
	case 4:
		return l.YearOffSameDay
	case 5:
		return l.YearOff1
	case 6:
		return l.YearOff1OtherDay
	case 7:
		return l.YearOff2to5
	case 8:
		return l.Far
	case 9:
		return l.Decades
	case 10:
		return l.YearOff2to5SameDay
	}
	return l.YearOff2to5OtherDay
}

// agreeIndex is the position of an equality level in mu's order, or -1.
func agreeIndex(level string) int {
	switch level {
	case LevelSame:
		return 0
	case LevelDifferent:
		return 1
	}
	return -1
}

func (l *AgreeLevels) mu(i int) MU { return [...]MU{l.Same, l.Different}[i] }

// locationIndex is the position of a residence level in mu's order, or -1.
func locationIndex(level string) int {
	switch level {
	case LevelSameUpazila:
		return 0
	case LevelSameDistrict:
		return 1
	case LevelDifferent:
		return 2
	}
	return -1
}

func (l *LocationLevels) mu(i int) MU {
	return [...]MU{l.SameUpazila, l.SameDistrict, l.Different}[i]
}
