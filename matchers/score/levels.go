package score

import "fmt"

// Level is one comparison level of a model, named as a Result's
// contributions name it, with a pointer to its m and u in the model.
type Level struct {
	Field, Level string
	MU           *MU
}

// Levels lists m's comparison levels in a fixed order, each pointing into
// m: what an estimate (from unlabelled pairs or from reviewers' rulings)
// reads and replaces, and what a policy file's match weights may name.
func (m *Model) Levels() []Level {
	var out []Level
	add := func(f, l string, p *MU) { out = append(out, Level{f, l, p}) }
	names := func(f string, n *NameLevels) {
		add(f, LevelExact, &n.Exact)
		add(f, LevelClose, &n.Close)
		add(f, LevelPartial, &n.Partial)
		add(f, LevelMixed, &n.Mixed)
		add(f, LevelFar, &n.Far)
	}
	agree := func(f string, a *AgreeLevels) {
		add(f, LevelSame, &a.Same)
		add(f, LevelDifferent, &a.Different)
	}
	names(FieldName, &m.Name)
	agree(FieldNameWeak, &m.NameWeak)
	names(FieldFather, &m.Father)
	names(FieldSpouse, &m.Spouse)
	names(FieldMother, &m.Mother)
	add(FieldDOB, LevelExact, &m.DOB.Exact)
	add(FieldDOB, LevelTransposed, &m.DOB.Transposed)
	add(FieldDOB, LevelPlaceholder, &m.DOB.Placeholder)
	add(FieldDOB, LevelSameYear, &m.DOB.SameYear)
	add(FieldDOB, LevelYearOffDay, &m.DOB.YearOffSameDay)
	add(FieldDOB, LevelYearOff1, &m.DOB.YearOff1)
	add(FieldDOB, LevelYearOffOther, &m.DOB.YearOff1OtherDay)
	add(FieldDOB, LevelYearOff2to5, &m.DOB.YearOff2to5)
	add(FieldDOB, LevelYearOff2Day, &m.DOB.YearOff2to5SameDay)
	add(FieldDOB, LevelYearOff2Oth, &m.DOB.YearOff2to5OtherDay)
	add(FieldDOB, LevelFar, &m.DOB.Far)
	add(FieldDOB, LevelDecades, &m.DOB.Decades)
	agree(FieldGender, &m.Gender)
	agree(FieldPhone, &m.Phone)
	agree(FieldNID, &m.NID)
	add(FieldLocation, LevelSameUpazila, &m.Location.SameUpazila)
	add(FieldLocation, LevelSameDistrict, &m.Location.SameDistrict)
	add(FieldLocation, LevelDifferent, &m.Location.Different)
	agree(FieldNIDPlace, &m.NIDPlace)
	return out
}

// SetLevel replaces the m and u of the level named field and level. The
// error names an unknown level, or probabilities not strictly between 0
// and 1 (an m of 1 or a u of 0 makes a weight infinite).
func (m *Model) SetLevel(field, level string, mu MU) error {
	if !(mu.M > 0 && mu.M < 1 && mu.U > 0 && mu.U < 1) {
		return fmt.Errorf("%s %s: m and u must be between 0 and 1, exclusive (m=%v u=%v)", field, level, mu.M, mu.U)
	}
	for _, l := range m.Levels() {
		if l.Field == field && l.Level == level {
			*l.MU = mu
			return nil
		}
	}
	return fmt.Errorf("%s %s: no such comparison level", field, level)
}
