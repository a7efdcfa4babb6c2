package score

// Reviewers' rulings as evidence for the weights. Each pair a reviewer
// judged the same person is a labelled pair: at each field, the level the
// two records meet is one observation of m. UpdateFromRulings adds those
// observations to the model's own m, taken as a prior worth a number of
// pairs, so that a few rulings move a weight a little and many move it to
// what they show.
//
// u is not learnt from the pairs ruled two persons, as Splink does not
// learn it from labels either: those pairs reached a reviewer because
// blocking and the score put them together, so they agree on names,
// father and place far more often than two people drawn at random, and
// a u counted on them would take the evidence out of exactly the fields
// that tell people apart. u stays the model's (or comes from random
// pairs: ekjon eval --em); the pairs ruled two persons are counted, and
// scored by the caller to show what the update does to them.

// Ruled is a pair of records a reviewer ruled on.
type Ruled struct {
	A, B *Record
	Same bool
}

// LevelUpdate is one comparison level's m and u before and after an
// update from rulings, with the rulings that met the level.
type LevelUpdate struct {
	Field, Level     string
	Current, Updated MU
	// Same and NotSame count the pairs ruled the same person, and not,
	// whose records meet at this level; FieldSame and FieldNotSame the
	// pairs ruled either way in which the field was compared at all (not
	// missing on a side).
	Same, NotSame, FieldSame, FieldNotSame int
}

// UpdateFromRulings returns base with every level's m updated by the
// rulings, and the update of each level, in Levels' order. A field's m is
// re-estimated from the pairs ruled the same in which the field was
// compared: m' = (prior·m + same at the level) / (prior + same compared),
// so that prior is how many pairs the configured value is worth. A level
// no ruling could inform keeps its values, and u stays (see above). The
// records are compared without term frequencies: the rulings measure how
// often a level is met, not how rare a name is.
func UpdateFromRulings(base Model, rulings []Ruled, prior float64) (Model, []LevelUpdate) {
	type counts struct{ same, notSame int }
	atLevel := map[[2]string]*counts{}
	atField := map[string]*counts{}
	known := map[[2]string]bool{}
	for _, l := range base.Levels() {
		known[[2]string{l.Field, l.Level}] = true
	}
	bump := func(c *counts, same bool) {
		if same {
			c.same++
		} else {
			c.notSame++
		}
	}
	for _, r := range rulings {
		q := base.Query(r.A, nil)
		for _, c := range q.Score(r.B).Contributions {
			k := [2]string{c.Field, c.Level}
			if !known[k] {
				continue
			}
			if atLevel[k] == nil {
				atLevel[k] = &counts{}
			}
			if atField[c.Field] == nil {
				atField[c.Field] = &counts{}
			}
			bump(atLevel[k], r.Same)
			bump(atField[c.Field], r.Same)
		}
	}
	out := base
	var ups []LevelUpdate
	for _, l := range out.Levels() {
		u := LevelUpdate{Field: l.Field, Level: l.Level, Current: *l.MU, Updated: *l.MU}
		if c := atLevel[[2]string{l.Field, l.Level}]; c != nil {
			u.Same, u.NotSame = c.same, c.notSame
		}
		if f := atField[l.Field]; f != nil {
			u.FieldSame, u.FieldNotSame = f.same, f.notSame
		}
		if u.FieldSame > 0 {
			u.Updated.M = (prior*u.Current.M + float64(u.Same)) / (prior + float64(u.FieldSame))
		}
		*l.MU = u.Updated
		ups = append(ups, u)
	}
	return out, ups
}
