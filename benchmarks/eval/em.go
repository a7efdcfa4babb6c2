package eval

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/score"
)

// levelRef names one comparison level of the model: a field and a level
// as score.Result's contributions name them.
type levelRef struct{ field, level string }

// levelsOf lists the model's comparison levels (score.Model.Levels) with a
// pointer to each m/u pair, in the order the estimate prints them. The
// pointers are into m.
func levelsOf(m *score.Model) ([]levelRef, map[levelRef]*score.MU) {
	var order []levelRef
	mus := map[levelRef]*score.MU{}
	for _, l := range m.Levels() {
		r := levelRef{l.Field, l.Level}
		order = append(order, r)
		mus[r] = l.MU
	}
	return order, mus
}

// LevelEstimate is one comparison level's m and u, as configured and as
// estimated, with how many candidate pairs met it.
type LevelEstimate struct {
	Field, Level string
	Current      score.MU
	Estimated    score.MU
	Pairs        int
	// Changed is false for a field kept at its configured values.
	Changed bool
}

// Estimate is the result of expectation-maximisation on the candidate
// pairs of an unlabelled stream.
type Estimate struct {
	// Pairs counts the candidate pairs, Iterations the EM steps run;
	// Lambda is the estimated share of candidate pairs that are one
	// person.
	Pairs, Iterations int
	// RandomPairs counts the random record pairs u was counted on.
	RandomPairs int
	Sessions    []EMSession
	Lambda      float64
	Levels      []LevelEstimate
	base        score.Model
}

// Model returns the model the estimate was made from with every estimated
// level's m and u replaced; thresholds and the name-token tuning stay.
func (e Estimate) Model() score.Model {
	m := e.base
	_, mus := levelsOf(&m)
	for _, l := range e.Levels {
		if l.Changed {
			*mus[levelRef{l.Field, l.Level}] = l.Estimated
		}
	}
	return m
}

// EM bounds: an m of 1 or a u of 0 makes a weight infinite.
const (
	emMaxProb = 0.9999
	emMinProb = 1e-4
	emTol     = 1e-6
	emMaxIter = 100
)

// EMRandomPairs is how many random record pairs u is counted on.
const EMRandomPairs = 1_000_000

// EstimateEM replays an events file (no truth: the pairs are unlabelled)
// through the exact rules and the blocks as Run does, compares every
// candidate pair at every level of cfg's model, without term-frequency
// adjustment, and estimates the levels' m and u and the share of pairs
// that match by expectation-maximisation, starting from the configured
// values. Fields are taken as independent given the match status, as the
// scorer takes them; a field missing on either side says nothing. It
// stops with ctx's error when ctx ends.
func EstimateEM(ctx context.Context, events io.Reader, cfg Config) (Estimate, error) {
	if err := cfg.Validate(); err != nil {
		return Estimate{}, err
	}
	base := cfg.Fuzzy.Model
	order, mus := levelsOf(&base)
	index := map[levelRef]int{}
	fieldOf := map[string]int{}
	var fields []string
	for i, r := range order {
		index[r] = i
		if _, ok := fieldOf[r.field]; !ok {
			fieldOf[r.field] = len(fields)
			fields = append(fields, r.field)
		}
	}
	// A pair is its levels, one per field (-1 when missing or unknown).
	vectorOf := func(res score.Result) []int16 {
		v := make([]int16, len(fields))
		for k := range v {
			v[k] = -1
		}
		for _, ct := range res.Contributions {
			if li, ok := index[levelRef{ct.Field, ct.Level}]; ok {
				v[fieldOf[ct.Field]] = int16(li)
			}
		}
		return v
	}
	var pairs [][]int16
	ix := newMemIndex(cfg.Fuzzy, cfg.Policy, domain.NewPseudonymizer(cfg.Secret))
	sc := bufio.NewScanner(events)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<22)
	for sc.Scan() {
		if err := ctx.Err(); err != nil {
			return Estimate{}, err
		}
		e, err := domain.DecodeEvent(sc.Bytes(), 0)
		if err != nil || e.Type != domain.TypeEnrolment || domain.Validate(e, cfg.Policy) != nil {
			continue
		}
		d := ix.decide(e)
		if d.exact != "" || len(d.cands) == 0 {
			continue
		}
		q := base.Query(&d.query.Record, nil)
		for i := range d.cands {
			c := &d.cands[i]
			if c.PersonID == d.query.Record.PersonID || (c.NIDHash != "" && c.NIDHash == d.query.Record.NIDHash) {
				continue
			}
			pairs = append(pairs, vectorOf(q.Score(c)))
		}
	}
	if err := sc.Err(); err != nil {
		return Estimate{}, fmt.Errorf("read events: %w", err)
	}
	est := Estimate{Pairs: len(pairs), base: cfg.Fuzzy.Model}
	n := len(order)
	m, u := make([]float64, n), make([]float64, n)
	for i, r := range order {
		m[i], u[i] = clampProb(mus[r].M), clampProb(mus[r].U)
	}
	// u from random pairs of the indexed records, as Splink does: among
	// candidate pairs the largest split EM finds is the blocks' own (a
	// namesake block against the rest), not one person against two.
	// Fixing u anchors the other class to what strangers share.
	recs := slices.Clone(ix.recs)
	slices.SortFunc(recs, func(a, b score.Record) int { return strings.Compare(a.PersonID, b.PersonID) })
	if len(recs) > 1 {
		rng := rand.New(rand.NewPCG(uint64(len(recs)), 1))
		nu, fu := make([]float64, n), make([]float64, len(fields))
		for range EMRandomPairs {
			a, b := &recs[rng.IntN(len(recs))], &recs[rng.IntN(len(recs))]
			if a == b {
				continue
			}
			q := base.Query(a, nil)
			for f, li := range vectorOf(q.Score(b)) {
				if li >= 0 {
					nu[li]++
					fu[f]++
				}
			}
		}
		for i, r := range order {
			if f := fu[fieldOf[r.field]]; f > 0 {
				u[i] = clampProb(nu[i] / f)
			}
		}
		est.RandomPairs = EMRandomPairs
	}
	count := make([]int, n)
	for _, v := range pairs {
		for _, li := range v {
			if li >= 0 {
				count[li]++
			}
		}
	}
	// Two training sessions, as Splink runs them: blocking makes the
	// fields it blocks on agree among candidates whoever the pair is, so
	// each session takes the pairs that agree on one field and leaves that
	// field (and its companions) out of the model it fits. The pairs with
	// the same or a close name estimate every other field's m; those with
	// the same date of birth estimate the name's.
	fieldIdx := func(fs ...string) map[int]bool {
		out := map[int]bool{}
		for _, f := range fs {
			out[fieldOf[f]] = true
		}
		return out
	}
	levelIs := func(f string, levels ...string) func([]int16) bool {
		fi := fieldOf[f]
		want := map[int16]bool{}
		for _, l := range levels {
			want[int16(index[levelRef{f, l}])] = true
		}
		return func(v []int16) bool { return want[v[fi]] }
	}
	nameOut := fieldIdx(score.FieldName, score.FieldNameWeak)
	byName := emSession(pairs, levelIs(score.FieldName, score.LevelExact, score.LevelClose), nameOut, m, u, n, fieldOf, order)
	byDOB := emSession(pairs, levelIs(score.FieldDOB, score.LevelExact), fieldIdx(score.FieldDOB), m, u, n, fieldOf, order)
	for i, r := range order {
		if nameOut[fieldOf[r.field]] {
			m[i] = byDOB.m[i]
		} else {
			m[i] = byName.m[i]
		}
	}
	est.Sessions = []EMSession{byName.EMSession, byDOB.EMSession}
	est.Sessions[0].Name, est.Sessions[1].Name = "same or close name (estimates all but the name)", "same date of birth (estimates the name)"
	est.Iterations = byName.Iterations + byDOB.Iterations
	lambda := byName.Lambda
	est.Lambda = lambda
	// A field with a level no pair met keeps its configured values: its
	// estimated levels could not sum to one with the configured rest.
	unseen := map[string]bool{}
	for i, r := range order {
		if count[i] == 0 {
			unseen[r.field] = true
		}
	}
	for i, r := range order {
		l := LevelEstimate{Field: r.field, Level: r.level, Current: *mus[r], Estimated: *mus[r], Pairs: count[i]}
		if !unseen[r.field] {
			l.Estimated, l.Changed = score.MU{M: m[i], U: u[i]}, true
		}
		est.Levels = append(est.Levels, l)
	}
	// Clamping can push a field's sums past one by a hair: renormalise.
	for f := range fieldOf {
		var sm, su float64
		for _, l := range est.Levels {
			if l.Field == f && l.Changed {
				sm += l.Estimated.M
				su += l.Estimated.U
			}
		}
		for i := range est.Levels {
			if l := &est.Levels[i]; l.Field == f && l.Changed && sm > 0 && su > 0 {
				l.Estimated.M /= sm
				l.Estimated.U /= su
			}
		}
	}
	return est, nil
}

// EMSession is one training session: the pairs it took, its iterations
// and the share of its pairs it found to match.
type EMSession struct {
	Name              string
	Pairs, Iterations int
	Lambda            float64
}

type sessionResult struct {
	EMSession
	m []float64
}

// emSession runs EM with u fixed on the pairs keep selects, leaving the
// fields in out out of the model; it returns m for every level (the
// starting m for the fields left out).
func emSession(all [][]int16, keep func([]int16) bool, out map[int]bool, m0, u []float64, n int, fieldOf map[string]int, order []levelRef) sessionResult {
	var pairs [][]int16
	for _, v := range all {
		if keep(v) {
			pairs = append(pairs, v)
		}
	}
	r := sessionResult{EMSession: EMSession{Pairs: len(pairs)}, m: slices.Clone(m0)}
	m := r.m
	lambda := 0.1
	post := make([]float64, len(pairs))
	for r.Iterations < emMaxIter && len(pairs) > 0 {
		r.Iterations++
		// E: each pair's probability of being one person.
		sum := 0.0
		for p, v := range pairs {
			lm, lu := math.Log(lambda), math.Log(1-lambda)
			for f, li := range v {
				if li >= 0 && !out[f] {
					lm += math.Log(m[li])
					lu += math.Log(u[li])
				}
			}
			post[p] = 1 / (1 + math.Exp(lu-lm))
			sum += post[p]
		}
		// M: the levels' shares among matches, per field, over the pairs
		// where the field is known.
		nm, fm := make([]float64, n), make([]float64, len(fieldOf))
		for p, v := range pairs {
			for f, li := range v {
				if li >= 0 {
					nm[li] += post[p]
					fm[f] += post[p]
				}
			}
		}
		change := math.Abs(sum/float64(len(pairs)) - lambda)
		lambda = min(emMaxProb, max(emMinProb, sum/float64(len(pairs))))
		for i, lr := range order {
			f := fieldOf[lr.field]
			if fm[f] == 0 || out[f] {
				continue
			}
			nmi := clampProb(nm[i] / fm[f])
			change = max(change, math.Abs(nmi-m[i]))
			m[i] = nmi
		}
		if change < emTol {
			break
		}
	}
	r.Lambda = lambda
	return r
}

func clampProb(p float64) float64 { return min(emMaxProb, max(emMinProb, p)) }

// WriteTo prints the estimate beside the configured weights.
func (e Estimate) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	p := func(format string, args ...any) { fmt.Fprintf(cw, format, args...) }
	p("u counted on %d random record pairs; m by EM with u fixed on %d unlabelled candidate pairs, in sessions:\n", e.RandomPairs, e.Pairs)
	for _, s := range e.Sessions {
		p("  %s: %d pairs, %d iterations, share that match %.4f\n", s.Name, s.Pairs, s.Iterations, s.Lambda)
	}
	p("%-10s %-26s %9s %9s %9s %9s %9s %9s %9s\n", "field", "level", "pairs", "m now", "u now", "bits now", "m est", "u est", "bits est")
	for _, l := range e.Levels {
		p("%-10s %-26s %9d %9.4f %9.5f %9.2f", l.Field, l.Level, l.Pairs, l.Current.M, l.Current.U, l.Current.Weight())
		if l.Changed {
			p(" %9.4f %9.5f %9.2f", l.Estimated.M, l.Estimated.U, l.Estimated.Weight())
		} else {
			p(" %9s %9s %9s", "kept", "-", "-")
		}
		p("\n")
	}
	return cw.n, cw.err
}
