package eval

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Flag is what a system did with an enrolment that a fuzzy rule touched.
type Flag uint8

// The flags the pair-level count knows.
const (
	FlagNone  Flag = iota
	FlagHold       // FUZZY_PERSON
	FlagAlert      // POSSIBLE_PERSON
)

// Decided is one enrolment as a system decided it: the input of the
// pair-level count, which `ekjon eval` fills from its in-memory replay and
// `ekjon bench` from the decisions on record, so that both count alike.
type Decided struct {
	EventID string
	// Cluster is the true person (the truth's person_id), Label the truth's
	// pattern.
	Cluster string
	Label   Label
	// PersonID is the person the system filed the enrolment under; empty
	// when it was rejected or blocked by an exact rule (no pair to find).
	PersonID string
	Flag     Flag
	// Matched is the person the hold or alert names.
	Matched string
	// Candidates counts the records scored for the enrolment; Peers are
	// those of the enrolment's own cluster. Both are known only to a
	// system that reports its candidates (CandidatesKnown).
	Candidates      int
	Peers           []string
	CandidatesKnown bool
	// Registry marks an enrolment loaded as the registry before the
	// stream measured: it files its person, but is neither a re-enrolment
	// to find nor a flag to count.
	Registry bool
}

// KindPairs is the count of one variation kind's re-enrolments.
type KindPairs struct {
	Kind Label
	// Due counts the re-enrolments: persons filed under a second person
	// id of a cluster. Found those flagged (held or alerted) against
	// another person id of their cluster, in either direction; Held those
	// held so. Candidates those whose pair was ever a candidate, either
	// way.
	Due, Found, Held, Candidates int
}

// NegativeFlags counts the wrong flags on one label's enrolments.
type NegativeFlags struct {
	Label                 Label
	Events, Holds, Alerts int
}

// PairReport is the pair-level evaluation of one stream.
type PairReport struct {
	// Due, Found, Held and Candidates total the kinds.
	Due, Found, Held, Candidates int
	ByKind                       []KindPairs
	// Holds and Alerts count the flags; the true ones name a person of
	// the enrolment's own cluster.
	Holds, HoldsTrue, Alerts, AlertsTrue int
	// BothHeld counts the pairs of persons each held against the other:
	// two enrolments decided at once on two partitions, each finding the
	// other, so that neither side is paid and a reviewer gets two cases
	// for one pair. BothHeldWrong counts those of two true persons. A
	// stream decided in order has none.
	BothHeld, BothHeldWrong int
	// Negatives are the wrong flags per label, for every label that drew one.
	Negatives []NegativeFlags
	// CandidatesKnown says the candidate counts below were reported.
	CandidatesKnown          bool
	MeanCandidates           float64
	P99Candidates, Enrolment int
}

// Recall is the share of re-enrolments found (held or alerted).
func (r PairReport) Recall() float64 { return ratio(r.Found, r.Due) }

// HoldRecall is the share of re-enrolments held.
func (r PairReport) HoldRecall() float64 { return ratio(r.Held, r.Due) }

// HoldPrecision is the share of holds that name the same true person.
func (r PairReport) HoldPrecision() float64 { return ratio(r.HoldsTrue, r.Holds) }

// AlertPrecision is the share of POSSIBLE_PERSON alerts that name the
// same true person.
func (r PairReport) AlertPrecision() float64 { return ratio(r.AlertsTrue, r.Alerts) }

// BlockingRecall is the share of re-enrolments whose pair was ever a
// candidate.
func (r PairReport) BlockingRecall() float64 { return ratio(r.Candidates, r.Due) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// CountPairs counts a stream's decided enrolments pair by pair, in the
// order of the truth file. A re-enrolment is a person id filed second (or
// later) for its true person; it is found when any enrolment of it is
// flagged against another person id of its true person, or one of those
// is flagged against it: events race on partitions, so the later
// enrolment is not always the one decided second. A flag is true when the
// person it names is of the enrolment's own true person. The kind of a
// re-enrolment is the label of the enrolment that introduced its person
// id.
func CountPairs(ds []Decided) PairReport {
	var r PairReport
	// The maps are sized for the stream at once: at millions of
	// enrolments, growing them step by step cost more than filling them.
	n := len(ds)
	cluster := make(map[string]string, n) // person id → true person
	kind := make(map[string]Label, n)     // person id → label of its first enrolment
	order := make(map[string][]string, n) // true person → person ids, first seen first
	loaded := make(map[string]bool, n)    // person ids the registry introduced
	for i := range ds {
		d := &ds[i]
		if d.PersonID == "" {
			continue
		}
		if _, ok := cluster[d.PersonID]; !ok {
			cluster[d.PersonID], kind[d.PersonID], loaded[d.PersonID] = d.Cluster, d.Label, d.Registry
			order[d.Cluster] = append(order[d.Cluster], d.PersonID)
		}
	}
	type link struct{ a, b string }
	key := func(a, b string) link {
		if a > b {
			a, b = b, a
		}
		return link{a, b}
	}
	flagged, holdLinks, candLinks := map[link]bool{}, map[link]bool{}, map[link]bool{}
	heldAgainst := map[link]bool{} // directed: a held naming b
	negs := map[Label]*NegativeFlags{}
	var counts []int
	for i := range ds {
		d := &ds[i]
		if d.PersonID == "" || d.Registry {
			continue
		}
		if d.CandidatesKnown {
			r.CandidatesKnown = true
			counts = append(counts, d.Candidates)
			for _, p := range d.Peers {
				candLinks[key(d.PersonID, p)] = true
			}
		}
		neg := negs[d.Label]
		if neg == nil {
			neg = &NegativeFlags{Label: d.Label}
			negs[d.Label] = neg
		}
		neg.Events++
		if d.Flag == FlagNone || d.Matched == "" {
			continue
		}
		same := cluster[d.Matched] == d.Cluster
		switch d.Flag {
		case FlagHold:
			r.Holds++
			if d.Matched != d.PersonID && !heldAgainst[link{d.PersonID, d.Matched}] {
				heldAgainst[link{d.PersonID, d.Matched}] = true
				if heldAgainst[link{d.Matched, d.PersonID}] {
					r.BothHeld++
					if !same {
						r.BothHeldWrong++
					}
				}
			}
			if same {
				r.HoldsTrue++
				holdLinks[key(d.PersonID, d.Matched)] = true
			} else {
				neg.Holds++
			}
		case FlagAlert:
			r.Alerts++
			if same {
				r.AlertsTrue++
			} else {
				neg.Alerts++
			}
		}
		if same && d.Matched != d.PersonID {
			flagged[key(d.PersonID, d.Matched)] = true
		}
	}
	byKind := map[Label]*KindPairs{}
	for _, ids := range order {
		for j := 1; j < len(ids); j++ {
			if loaded[ids[j]] {
				continue
			}
			k := byKind[kind[ids[j]]]
			if k == nil {
				k = &KindPairs{Kind: kind[ids[j]]}
				byKind[k.Kind] = k
			}
			k.Due++
			var found, hold, cand bool
			for i := range ids {
				if i == j {
					continue
				}
				l := key(ids[i], ids[j])
				found = found || flagged[l]
				hold = hold || holdLinks[l]
				cand = cand || candLinks[l]
			}
			if found {
				k.Found++
			}
			if hold {
				k.Held++
			}
			if cand {
				k.Candidates++
			}
		}
	}
	for _, l := range slices.Sorted(maps.Keys(byKind)) {
		k := byKind[l]
		r.ByKind = append(r.ByKind, *k)
		r.Due += k.Due
		r.Found += k.Found
		r.Held += k.Held
		r.Candidates += k.Candidates
	}
	for _, l := range slices.Sorted(maps.Keys(negs)) {
		if n := negs[l]; n.Holds+n.Alerts > 0 {
			r.Negatives = append(r.Negatives, *n)
		}
	}
	r.Enrolment = len(counts)
	if len(counts) > 0 {
		sum := 0
		for _, c := range counts {
			sum += c
		}
		r.MeanCandidates = float64(sum) / float64(len(counts))
		slices.Sort(counts)
		r.P99Candidates = counts[min(len(counts)-1, len(counts)*99/100)]
	}
	return r
}

// WriteTo prints the pair-level report: the headline, recall per kind and
// the wrong flags per label.
func (r PairReport) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	p := func(format string, args ...any) { fmt.Fprintf(cw, format, args...) }
	p("re-enrolments (persons filed twice): %d; found %d (recall %.4f), held %d (%.4f)\n",
		r.Due, r.Found, r.Recall(), r.Held, r.HoldRecall())
	p("HOLD precision:  %.4f  (%d of %d holds name the same true person)\n", r.HoldPrecision(), r.HoldsTrue, r.Holds)
	p("alert precision: %.4f  (%d of %d POSSIBLE_PERSON alerts name the same true person)\n", r.AlertPrecision(), r.AlertsTrue, r.Alerts)
	p("pairs held both ways (each enrolment held against the other): %d (%d of two true persons)\n", r.BothHeld, r.BothHeldWrong)
	if r.CandidatesKnown {
		p("blocking recall: %.4f  (%d of %d re-enrolments ever a candidate of their pair); candidates per enrolment: mean %.1f, p99 %d\n",
			r.BlockingRecall(), r.Candidates, r.Due, r.MeanCandidates, r.P99Candidates)
	} else {
		p("blocking recall: not reported by this system\n")
	}
	p("\n%-22s %7s %7s %7s %8s %8s %9s\n", "kind", "due", "found", "held", "recall", "held", "blocking")
	for _, k := range r.ByKind {
		name := string(k.Kind)
		if name == "" {
			name = "(no label)"
		}
		p("%-22s %7d %7d %7d %8.4f %8.4f", name, k.Due, k.Found, k.Held, ratio(k.Found, k.Due), ratio(k.Held, k.Due))
		if r.CandidatesKnown {
			p(" %9.4f", ratio(k.Candidates, k.Due))
		}
		p("\n")
	}
	if len(r.Negatives) > 0 {
		p("\nwrong flags by label of the flagged enrolment:\n%-22s %7s %7s %7s\n", "label", "events", "holds", "alerts")
		for _, n := range r.Negatives {
			p("%-22s %7d %7d %7d\n", n.Label, n.Events, n.Holds, n.Alerts)
		}
	}
	return cw.n, cw.err
}

// String formats the report as WriteTo does.
func (r PairReport) String() string {
	var b strings.Builder
	_, _ = r.WriteTo(&b)
	return b.String()
}
