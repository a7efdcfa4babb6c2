package eval

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"runtime"
	"slices"
	"sync"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/score"
)

// Config configures an evaluation.
type Config struct {
	// Fuzzy is the matcher under evaluation; its Model's Review and Hold
	// are the thresholds reported first.
	Fuzzy  fuzzy.Config
	Policy domain.Policy
	// Sweep lists the Hold thresholds of the threshold sweep.
	Sweep []float64
	// Secret keys the pseudonyms. Scores do not depend on it; it exists so
	// that the evaluation hashes exactly as a deployment does.
	Secret []byte
	// Examples bounds the wrong holds and missed duplicates listed.
	Examples int
	// Workers is the number of goroutines that decode and score
	// enrolments; 0 means GOMAXPROCS. The report does not depend on it.
	Workers int
}

func (c Config) workers() int {
	if c.Workers > 0 {
		return c.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// DefaultConfig evaluates the documented defaults, sweeping Hold from 10 to
// 30 bits.
func DefaultConfig() Config {
	var sweep []float64
	for h := 10.0; h <= 30; h += 2 {
		sweep = append(sweep, h)
	}
	return Config{Fuzzy: fuzzy.DefaultConfig(), Policy: domain.DefaultPolicy(), Sweep: sweep,
		Secret: []byte("ekjon-eval-pseudonyms"), Examples: 10}
}

// Validate reports a configuration that cannot be evaluated.
func (c Config) Validate() error {
	if err := c.Fuzzy.Model.Validate(); err != nil {
		return err
	}
	if c.Fuzzy.BlockCap < 1 || c.Fuzzy.MaxCandidates < 1 {
		return domain.Errorf(domain.KindInvalid, "eval config", "block cap and max candidates must be at least 1")
	}
	if c.Workers < 0 {
		return domain.Errorf(domain.KindInvalid, "eval config", "workers must not be negative")
	}
	if len(c.Secret) == 0 {
		return domain.Errorf(domain.KindInvalid, "eval config", "secret is empty")
	}
	return c.Policy.Validate()
}

// Got is what the evaluated rules did with one enrolment.
type Got string

// The outcomes the confusion table counts.
const (
	GotFuzzySame     Got = "FUZZY_PERSON (same)"
	GotFuzzyOther    Got = "FUZZY_PERSON (other)"
	GotPossibleSame  Got = "POSSIBLE_PERSON (same)"
	GotPossibleOther Got = "POSSIBLE_PERSON (other)"
	GotNone          Got = "no match"
	GotDupNID        Got = domain.RuleDupNID
	GotMulti         Got = domain.RuleMultiProgramme
	GotRejected      Got = "REJECTED"
)

// Gots lists the confusion table's columns in order.
var Gots = []Got{GotFuzzySame, GotFuzzyOther, GotPossibleSame, GotPossibleOther, GotNone, GotDupNID, GotMulti, GotRejected}

// outcome is one enrolment as the evaluation remembers it: enough to
// recount every metric at another threshold without deciding again (the
// index's content and the best candidate do not depend on the thresholds,
// since held and admitted enrolments are both indexed).
type outcome struct {
	label    Label
	exact    string
	rejected bool
	found    bool
	score    float64
	same     bool // the best candidate is of the event's own cluster
	// due is true when an earlier record of the event's cluster is indexed
	// under another person id: a pair only the fuzzy matcher can find.
	due     bool
	eventID string
	// For the pair-level count: the true person, the person id filed
	// under, the matched person, the records scored and those of them of
	// the event's own true person.
	cluster, personID, matched string
	cands                      int
	peers                      []string
}

// Evaluator replays enrolments in line order (Run decodes and scores them
// in batches, on several goroutines, to the same result). It is not safe
// for concurrent use.
type Evaluator struct {
	cfg Config
	ix  *memIndex
	// clusters holds the truth cluster of each indexed record, by its
	// slot in the index; seen the first two person ids filed for each
	// cluster (enough to tell whether another one than a given id was).
	clusters []string
	seen     map[string][2]string
	outs     []outcome
	others   int // events that are not enrolments
	// wrong and missed keep the best-scored examples as they come, so
	// that no explanation is kept of the millions of other enrolments.
	wrong, missed examples
	workers       int
	one           [1]pending // Add's batch
}

// New returns an Evaluator with an empty index.
func New(cfg Config) (*Evaluator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	pseudo := domain.NewPseudonymizer(cfg.Secret)
	return &Evaluator{cfg: cfg, ix: newMemIndex(cfg.Fuzzy, cfg.Policy, pseudo), seen: map[string][2]string{},
		wrong: examples{max: cfg.Examples}, missed: examples{max: cfg.Examples}, workers: cfg.workers()}, nil
}

// Add decides one event line with its truth. Events other than enrolments
// are counted and skipped: the fuzzy rules apply to enrolments only. A line
// that does not decode or validate is counted as rejected.
func (ev *Evaluator) Add(line []byte, t Truth) {
	ev.one[0].line, ev.one[0].t = line, t
	ev.addBatch(ev.one[:])
}

// pending is one event line on its way through addBatch, with the
// candidate buffers its slot keeps from one batch to the next.
type pending struct {
	line  []byte
	buf   []byte // line's storage in Run, kept for the next batch
	t     Truth
	e     *domain.Event
	err   error // the line does not decode or validate
	p     prepared
	d     decision
	o     outcome
	cands []score.Record
	slots []int32
}

// addBatch decides a batch of lines as Add would one by one, in order.
// Decoding, profiles and scoring read nothing a later line changes and run
// on Workers goroutines; the exact rules, candidates and indexing run in
// line order on one, so that with enough cores a replay is bound by its
// ordered part rather than by the scoring.
func (ev *Evaluator) addBatch(items []pending) {
	ev.each(items, func(it *pending) {
		it.e, it.err = domain.DecodeEvent(it.line, 0)
		if it.err != nil || it.e.Type != domain.TypeEnrolment {
			return
		}
		if it.err = domain.Validate(it.e, ev.cfg.Policy); it.err == nil {
			it.p = ev.ix.prepare(it.e)
		}
	})
	for i := range items {
		ev.place(&items[i])
	}
	ev.each(items, func(it *pending) { ev.ix.score(&it.d) })
	for i := range items {
		it := &items[i]
		if it.err == nil && it.e.Type != domain.TypeEnrolment {
			ev.others++
			continue
		}
		o, d := &it.o, &it.d
		if it.err == nil && d.exact == "" && d.found {
			o.score = d.match.Result.Total
			o.same = ev.clusterOf(d, d.match.Candidate.PersonID) == it.t.PersonID
			o.found = true
			o.matched = d.match.Candidate.PersonID
		}
		if it.err != nil {
			ev.keep(o, nil)
		} else {
			ev.keep(o, d)
		}
		it.e, it.p, it.line = nil, prepared{}, nil
		if d.cands != nil {
			it.cands, it.slots = d.cands, d.candSlots
		}
		it.d = decision{}
	}
}

// each runs f on every item, on Workers goroutines.
func (ev *Evaluator) each(items []pending, f func(*pending)) {
	w := min(ev.workers, len(items))
	if w <= 1 {
		for i := range items {
			f(&items[i])
		}
		return
	}
	var wg sync.WaitGroup
	for k := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := k; i < len(items); i += w {
				f(&items[i])
			}
		}()
	}
	wg.Wait()
}

// place runs an item through the index in line order and fills what its
// outcome owes to the enrolments before it.
func (ev *Evaluator) place(it *pending) {
	t := it.t
	it.o = outcome{label: t.Label, eventID: t.EventID}
	if it.err != nil {
		it.o.rejected = true
		return
	}
	if it.e.Type != domain.TypeEnrolment {
		return
	}
	o := &it.o
	d := ev.ix.place(it.e, &it.p, it.cands, it.slots)
	it.d = d
	o.exact = d.exact
	o.cluster = t.PersonID
	if d.exact != "" {
		return
	}
	o.personID, o.cands = d.personID, len(d.cands)
	for j, i := range d.candSlots {
		if ev.clusters[i] == t.PersonID {
			o.peers = append(o.peers, d.cands[j].PersonID)
		}
	}
	seen := ev.seen[t.PersonID]
	o.due = (seen[0] != "" && seen[0] != d.personID) || (seen[1] != "" && seen[1] != d.personID)
	if int(d.slot) == len(ev.clusters) {
		ev.clusters = append(ev.clusters, t.PersonID)
	}
	switch {
	case seen[0] == "":
		seen[0] = d.personID
		ev.seen[t.PersonID] = seen
	case seen[1] == "" && seen[0] != d.personID:
		seen[1] = d.personID
		ev.seen[t.PersonID] = seen
	}
}

// clusterOf is the truth cluster of a candidate d scored, by person id.
func (ev *Evaluator) clusterOf(d *decision, personID string) string {
	for i := range d.cands {
		if d.cands[i].PersonID == personID {
			return ev.clusters[d.candSlots[i]]
		}
	}
	return ""
}

// keep records an outcome, and its explanation when it is one of the best
// examples so far; d is nil for a rejected enrolment.
func (ev *Evaluator) keep(o *outcome, d *decision) {
	ev.outs = append(ev.outs, *o)
	hold := ev.cfg.Fuzzy.Model.Hold
	held := o.found && o.score >= hold
	explain := func() string {
		if d == nil || !o.found {
			return ""
		}
		return d.match.Result.Explain()
	}
	switch {
	case held && !o.same:
		ev.wrong.offer(o, explain)
	case o.label == LabelFuzzyDup && !(held && o.same):
		ev.missed.offer(o, explain)
	}
}

// examples keeps the max best-scored examples offered, highest score
// first and, among equal scores, by event id.
type examples struct {
	max  int
	list []Example
}

func (x *examples) offer(o *outcome, explain func() string) {
	e := Example{EventID: o.eventID, Label: o.label, Score: o.score}
	i, _ := slices.BinarySearchFunc(x.list, e, byScore)
	if i >= x.max {
		return
	}
	e.Explain = explain()
	x.list = slices.Insert(x.list, i, e)
	if len(x.list) > x.max {
		x.list = x.list[:x.max]
	}
}

func byScore(a, b Example) int {
	if a.Score != b.Score {
		if a.Score > b.Score {
			return -1
		}
		return 1
	}
	return cmp.Compare(a.EventID, b.EventID)
}

// runBatch is the number of lines Run decides at once.
const runBatch = 512

// Run reads a labelled data set, an events file and its truth file (line k
// of one describes line k of the other; see the package documentation),
// and evaluates the enrolments. Lines must pair by event id: a mismatch, or
// a file longer than the other, is an error, as is a truth line ReadTruth
// rejects. Run stops with ctx's error when ctx ends.
func Run(ctx context.Context, events, truth io.Reader, cfg Config) (Report, error) {
	ev, err := New(cfg)
	if err != nil {
		return Report{}, err
	}
	sc := bufio.NewScanner(events)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<22)
	next, stop := iter.Pull2(ReadTruth(truth))
	defer stop()
	batch := make([]pending, runBatch)
	n, line := 0, 0
	for sc.Scan() {
		if err := ctx.Err(); err != nil {
			return Report{}, err
		}
		line++
		t, terr, ok := next()
		if !ok {
			return Report{}, fmt.Errorf("truth ends before event line %d", line)
		}
		if terr != nil {
			return Report{}, terr
		}
		b := sc.Bytes()
		if id := domain.PeekEventID(b); id != "" && id != t.EventID {
			return Report{}, fmt.Errorf("event line %d is %q but its truth line is %q", line, id, t.EventID)
		}
		it := &batch[n]
		it.line, it.t = append(it.buf[:0], b...), t
		it.buf = it.line
		if n++; n == len(batch) {
			ev.addBatch(batch)
			n = 0
		}
	}
	if err := sc.Err(); err != nil {
		return Report{}, fmt.Errorf("read events: %w", err)
	}
	ev.addBatch(batch[:n])
	if _, terr, ok := next(); ok && terr == nil {
		return Report{}, errors.New("truth has more lines than the events")
	}
	return ev.Report(), nil
}

// Metrics are pairwise precision, recall and F1 of one kind of decision.
type Metrics struct {
	// Predicted counts the enrolments given that decision with a matched
	// person; Correct those whose matched person is of the same cluster.
	Predicted, Correct int
	// Due counts the pairs to find (see Report.Due).
	Due                   int
	Precision, Recall, F1 float64
}

func metrics(pred, correct, due int) Metrics {
	m := Metrics{Predicted: pred, Correct: correct, Due: due}
	if pred > 0 {
		m.Precision = float64(correct) / float64(pred)
	}
	if due > 0 {
		m.Recall = float64(correct) / float64(due)
	}
	if m.Precision+m.Recall > 0 {
		m.F1 = 2 * m.Precision * m.Recall / (m.Precision + m.Recall)
	}
	return m
}

// SweepRow is the HOLD decisions' quality at one Hold threshold.
type SweepRow struct {
	Hold           float64
	Holds          Metrics
	FuzzyDupRecall float64
	WrongHolds     int
	// Pairs is the pair-level count at this threshold.
	Pairs PairReport
}

// Example is an enrolment the matcher got wrong, with the score's
// explanation (fields, levels and weights only: no name or identifier).
type Example struct {
	EventID string
	Label   Label
	Score   float64
	Explain string
}

// Report is the evaluation of one stream. Pairs are counted per enrolment:
// an enrolment held or flagged with a matched person predicts the pair
// (its cluster, the matched person's cluster), which is correct when the
// two are one cluster. The pairs due are the enrolments, not blocked by the
// exact rules, whose cluster already has an indexed record under another
// person id: a human enrolled again that only the fuzzy rules can find.
type Report struct {
	Review, Hold float64
	// Enrolments, Rejected and Blocked count the enrolment lines, those
	// that failed validation and those blocked by DUP_NID or
	// MULTI_PROGRAMME; Others the lines that were not enrolments.
	Enrolments, Rejected, Blocked, Others int
	Due                                   int
	Holds, Possible, Overall              Metrics
	// FuzzyDups counts the fuzzy_dup enrolments; FuzzyDupHeld those held
	// as FUZZY_PERSON with a matched person of their own cluster, and
	// FuzzyDupRecall their share.
	FuzzyDups, FuzzyDupHeld int
	FuzzyDupRecall          float64
	// Confusion counts, per label, what the rules did.
	Confusion map[Label]map[Got]int
	Sweep     []SweepRow
	// Pairs is the pair-level count (CountPairs) at the thresholds, of
	// the enrolments as Decided lists them.
	Pairs   PairReport
	Decided []Decided
	// WrongHolds and Missed are examples: holds of another cluster's
	// person, and fuzzy_dup enrolments not held, best scores first.
	WrongHolds, Missed []Example
	// Blocks counts the index's blocks per kind, with those that reached
	// the block cap; CappedCandidates the enrolments whose candidates were
	// cut to the most scored.
	Blocks                  []BlockStats
	CappedCandidates        int
	BlockCap, MaxCandidates int

	outs []outcome
}

// Report computes the metrics at the configured thresholds.
func (ev *Evaluator) Report() Report {
	m := ev.cfg.Fuzzy.Model
	r := Report{Review: m.Review, Hold: m.Hold, Others: ev.others, Confusion: map[Label]map[Got]int{}, outs: ev.outs}
	r.count(m.Review, m.Hold)
	for _, h := range ev.cfg.Sweep {
		var s Report
		s.outs = ev.outs
		s.Confusion = map[Label]map[Got]int{}
		s.count(min(m.Review, h), h)
		r.Sweep = append(r.Sweep, SweepRow{Hold: h, Holds: s.Holds, FuzzyDupRecall: s.FuzzyDupRecall,
			WrongHolds: s.Holds.Predicted - s.Holds.Correct, Pairs: CountPairs(decidedAt(ev.outs, min(m.Review, h), h))})
	}
	r.Decided = ev.Decided()
	r.Pairs = CountPairs(r.Decided)
	r.WrongHolds, r.Missed = slices.Clone(ev.wrong.list), slices.Clone(ev.missed.list)
	r.Blocks, r.CappedCandidates = ev.ix.blockStats(), ev.ix.capped
	r.BlockCap, r.MaxCandidates = ev.cfg.Fuzzy.BlockCap, ev.cfg.Fuzzy.MaxCandidates
	return r
}

// Decided lists the enrolments as decided at the configured thresholds,
// for CountPairs.
func (ev *Evaluator) Decided() []Decided {
	m := ev.cfg.Fuzzy.Model
	return decidedAt(ev.outs, m.Review, m.Hold)
}

func decidedAt(outs []outcome, review, hold float64) []Decided {
	ds := make([]Decided, len(outs))
	for i, o := range outs {
		d := Decided{EventID: o.eventID, Cluster: o.cluster, Label: o.label, CandidatesKnown: true}
		if !o.rejected && o.exact == "" {
			d.PersonID, d.Candidates, d.Peers = o.personID, o.cands, o.peers
			switch {
			case o.found && o.score >= hold:
				d.Flag, d.Matched = FlagHold, o.matched
			case o.found && o.score >= review:
				d.Flag, d.Matched = FlagAlert, o.matched
			}
		}
		ds[i] = d
	}
	return ds
}

// count fills the counts and metrics at one pair of thresholds.
func (r *Report) count(review, hold float64) {
	var holdP, holdC, possP, possC int
	r.Enrolments, r.Rejected, r.Blocked, r.Due, r.FuzzyDups, r.FuzzyDupHeld = 0, 0, 0, 0, 0, 0
	for _, o := range r.outs {
		r.Enrolments++
		if o.label == LabelFuzzyDup {
			r.FuzzyDups++
		}
		var g Got
		switch {
		case o.rejected:
			r.Rejected++
			g = GotRejected
		case o.exact != "":
			r.Blocked++
			g = Got(o.exact)
		default:
			if o.due {
				r.Due++
			}
			switch {
			case o.found && o.score >= hold:
				holdP++
				g = GotFuzzyOther
				if o.same {
					holdC++
					g = GotFuzzySame
					if o.label == LabelFuzzyDup {
						r.FuzzyDupHeld++
					}
				}
			case o.found && o.score >= review:
				possP++
				g = GotPossibleOther
				if o.same {
					possC++
					g = GotPossibleSame
				}
			default:
				g = GotNone
			}
		}
		row := r.Confusion[o.label]
		if row == nil {
			row = map[Got]int{}
			r.Confusion[o.label] = row
		}
		row[g]++
	}
	r.Holds = metrics(holdP, holdC, r.Due)
	r.Possible = metrics(possP, possC, r.Due)
	r.Overall = metrics(holdP+possP, holdC+possC, r.Due)
	if r.FuzzyDups > 0 {
		r.FuzzyDupRecall = float64(r.FuzzyDupHeld) / float64(r.FuzzyDups)
	}
}
