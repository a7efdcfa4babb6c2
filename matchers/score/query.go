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
// it is in use. It is safe for concurrent use.
type Query struct {
	m  *Model
	a  *Record
	tf TermFreq
	// w holds the weights when tabled; the Query that Model.Score builds
	// for a single pair takes the logarithms of the levels it meets only.
	w      weights
	tabled bool
	// strong holds the strong tokens of the query's own, father's and
	// spouse's names.
	strong [3]tokens
}

// The names of a record, as Query indexes them.
const (
	ownName = iota
	fatherName
	spouseName
)

// The fields compared for equality, as Query indexes them.
const (
	weakField = iota
	genderField
	phoneField
	nidField
)

// Query returns the Query of a against m, with the term frequencies tf,
// which may be nil (no term-frequency adjustment). m must have passed
// Validate.
func (m *Model) Query(a *Record, tf TermFreq) Query {
	q := m.query(a, tf)
	q.w, q.tabled = m.weights(), true
	return q
}

// query is a Query without the table of weights.
func (m *Model) query(a *Record, tf TermFreq) Query {
	q := Query{m: m, a: a, tf: tf}
	for f, t := range [...][]string{a.Name.Strong, a.Father.Strong, a.Spouse.Strong} {
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
// spare: nine fields, three term-frequency lines and the household cap.
const maxContributions = 16

// contributions is an explanation as the scorer builds it, on the stack.
type contributions struct {
	n int
	c [maxContributions]domain.Contribution
	// household is the weight of the lines that relatives share.
	household float64
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
	lv = compareEqual(a.PhoneHash, b.PhoneHash)
	cs.add(FieldPhone, lv, q.agreeWeight(phoneField, lv), true)
	lv = compareLocation(a, b)
	cs.add(FieldLocation, lv, q.locationWeight(lv), true)

	if hh := cs.household; hh > m.HouseholdCap {
		cs.add(FieldHousehold, LevelCapped, m.HouseholdCap-hh, false)
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
	}
	return FieldName, FieldNameTF
}

// name adds the lines of the query's name f (ownName, fatherName or
// spouseName) against b's strong tokens y and returns its level.
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
	household := f != ownName
	cs.add(field, nm.level, q.nameWeight(f, nm.level), household)
	if q.tf != nil && nm.n > 0 {
		if level, w, ok := m.tfAdjust(&nm, q.nameLogU(f, nm.level), q.tf); ok {
			if nm.level == LevelMixed && w > 0 {
				// Mixed names share a token and conflict on another:
				// the shared one is a family name, and a rare family
				// name is evidence of one family (brothers, twins),
				// which the household fields already weigh, not of one
				// person.
				level, w = LevelTypical, 0
			}
			cs.add(tfField, level, w, household)
		}
	}
	return nm.level
}

// weights holds log2(M/U) of every level of a Model, and log2(U) of the
// name levels that the term-frequency adjustment starts from, so that a
// Query takes each logarithm once.
type weights struct {
	name, logU [3][5]float64 // by name, in the order of nameIndex
	agree      [4][2]float64 // by field compared for equality, agreeIndex
	dob        [6]float64
	location   [3]float64
}

func (m *Model) weights() weights {
	var w weights
	for f := range w.name {
		for i := range w.name[f] {
			p := m.nameLevels(f).mu(i)
			w.name[f][i], w.logU[f][i] = p.Weight(), math.Log2(p.U)
		}
	}
	for k := range w.agree {
		for i := range w.agree[k] {
			w.agree[k][i] = m.agreeLevels(k).mu(i).Weight()
		}
	}
	for i := range w.dob {
		w.dob[i] = m.DOB.mu(i).Weight()
	}
	for i := range w.location {
		w.location[i] = m.Location.mu(i).Weight()
	}
	return w
}

// nameWeight is the weight of level of the name f; missing weighs zero.
func (q *Query) nameWeight(f int, level string) float64 {
	i := nameIndex(level)
	switch {
	case i < 0:
		return 0
	case q.tabled:
		return q.w.name[f][i]
	}
	return q.m.nameLevels(f).mu(i).Weight()
}

// nameLogU is log2(U) of a level of the name f with agreeing tokens, the
// base of the term-frequency adjustment; 0 (U of 1) for any other.
func (q *Query) nameLogU(f int, level string) float64 {
	i := nameIndex(level)
	switch {
	case i < 0 || level == LevelFar:
		return 0
	case q.tabled:
		return q.w.logU[f][i]
	}
	return math.Log2(q.m.nameLevels(f).mu(i).U)
}

// agreeWeight is the weight of level of the field k compared for
// equality; missing weighs zero.
func (q *Query) agreeWeight(k int, level string) float64 {
	i := agreeIndex(level)
	switch {
	case i < 0:
		return 0
	case q.tabled:
		return q.w.agree[k][i]
	}
	return q.m.agreeLevels(k).mu(i).Weight()
}

// dobWeight is the weight of a date-of-birth level; missing weighs zero.
func (q *Query) dobWeight(level string) float64 {
	i := dobIndex(level)
	switch {
	case i < 0:
		return 0
	case q.tabled:
		return q.w.dob[i]
	}
	return q.m.DOB.mu(i).Weight()
}

// locationWeight is the weight of a residence level; missing weighs zero.
func (q *Query) locationWeight(level string) float64 {
	i := locationIndex(level)
	switch {
	case i < 0:
		return 0
	case q.tabled:
		return q.w.location[i]
	}
	return q.m.Location.mu(i).Weight()
}

func (m *Model) nameLevels(f int) *NameLevels {
	switch f {
	case fatherName:
		return &m.Father
	case spouseName:
		return &m.Spouse
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

// dobIndex is the position of a date-of-birth level in mu's order, or -1.
func dobIndex(level string) int {
	switch level {
	case LevelExact:
		return 0
	case LevelTransposed:
		return 1
	case LevelSameYear:
		return 2
	case LevelYearOffDay:
		return 3
	case LevelYearOff1:
		return 4
	case LevelDifferent:
		return 5
	}
	return -1
}

func (l *DOBLevels) mu(i int) MU {
	return [...]MU{l.Exact, l.Transposed, l.SameYear, l.YearOffSameDay, l.YearOff1, l.Different}[i]
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
