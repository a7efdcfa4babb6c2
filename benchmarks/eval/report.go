package eval

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/ekjon/ekjon/matchers/fuzzy"
)

// confusionRow is a row of the confusion table: a label and the rule it
// expects of an enrolment.
type confusionRow struct {
	label  Label
	expect string
}

// knownRows are the labels the confusion table shows first.
var knownRows = []confusionRow{
	{LabelFuzzyDup, "FUZZY_PERSON"},
	{LabelClean, "none"},
	{LabelSharedPhone, "none or SHARED_CONTACT"},
	{LabelDupNID, "DUP_NID"},
	{LabelMultiProgramme, "MULTI_PROGRAMME"},
	{LabelMalformed, "REJECTED"},
}

// confusionRows lists the rows of r's confusion table: the known labels
// present, then any other label in name order, with no expectation.
func (r Report) confusionRows() []confusionRow {
	var rows []confusionRow
	known := map[Label]bool{}
	for _, k := range knownRows {
		known[k.label] = true
		if r.Confusion[k.label] != nil {
			rows = append(rows, k)
		}
	}
	for _, l := range slices.Sorted(maps.Keys(r.Confusion)) {
		if !known[l] {
			rows = append(rows, confusionRow{l, "-"})
		}
	}
	return rows
}

// String formats the report as WriteTo does.
func (r Report) String() string {
	var b strings.Builder
	_, _ = r.WriteTo(&b)
	return b.String()
}

// WriteTo prints the headline numbers, the per-action metrics, the
// confusion table, the threshold sweep and the examples.
func (r Report) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	p := func(format string, args ...any) { fmt.Fprintf(cw, format, args...) }
	p("thresholds: review %.1f, hold %.1f bits\n", r.Review, r.Hold)
	p("enrolments: %d (rejected %d, blocked by exact rules %d); other events skipped: %d\n",
		r.Enrolments, r.Rejected, r.Blocked, r.Others)
	p("pairs due (re-enrolments only the fuzzy rules can find): %d\n\n", r.Due)
	p("precision of HOLD:           %.4f  (%d of %d FUZZY_PERSON holds matched a person of the same cluster)\n",
		r.Holds.Precision, r.Holds.Correct, r.Holds.Predicted)
	p("recall of fuzzy duplicates:  %.4f  (%d of %d fuzzy_dup enrolments held as FUZZY_PERSON with the right person)\n\n",
		r.FuzzyDupRecall, r.FuzzyDupHeld, r.FuzzyDups)
	p("%-22s %9s %9s %9s %9s %9s %9s\n", "action", "predicted", "correct", "due", "precision", "recall", "F1")
	for _, row := range []struct {
		name string
		m    Metrics
	}{{"HOLD (FUZZY_PERSON)", r.Holds}, {"ADMIT+alert (POSSIBLE)", r.Possible}, {"overall", r.Overall}} {
		p("%-22s %9d %9d %9d %9.4f %9.4f %9.4f\n", row.name, row.m.Predicted, row.m.Correct, row.m.Due,
			row.m.Precision, row.m.Recall, row.m.F1)
	}
	p("\npair-level (a re-enrolment is found when either enrolment is flagged against the other):\n")
	if _, err := r.Pairs.WriteTo(cw); err != nil {
		return cw.n, err
	}
	if len(r.Blocks) > 0 {
		p("\nblocks by kind (a block holding %d persons is full and takes nobody more):\n", r.BlockCap)
		p("%-22s %10s %9s %8s %10s\n", "kind", "blocks", "full", "full %", "refused")
		for _, b := range r.Blocks {
			p("%-22s %10d %9d %8.3f %10d\n", blockKindName(b.Kind), b.Blocks, b.Full, 100*ratio(b.Full, b.Blocks), b.Refused)
		}
		p("enrolments whose candidates were cut to %d: %d\n", r.MaxCandidates, r.CappedCandidates)
	}
	p("\nconfusion (rows: injected pattern and expected rule; columns: what the rules did;\n")
	p("same/other: the matched person is of the event's own cluster or another):\n")
	short := map[Got]string{GotFuzzySame: "FUZZY=", GotFuzzyOther: "FUZZY≠", GotPossibleSame: "POSS=",
		GotPossibleOther: "POSS≠", GotNone: "none", GotDupNID: "DUP_NID", GotMulti: "MULTI", GotRejected: "REJECT"}
	p("%-16s %-23s", "pattern", "expected")
	for _, g := range Gots {
		p(" %8s", short[g])
	}
	p("\n")
	for _, row := range r.confusionRows() {
		counts := r.Confusion[row.label]
		name := string(row.label)
		if name == "" {
			name = "(no label)"
		}
		p("%-16s %-23s", name, row.expect)
		for _, g := range Gots {
			p(" %8d", counts[g])
		}
		p("\n")
	}
	p("(FUZZY= same person held; FUZZY≠ another person held; POSS= / POSS≠ likewise for POSSIBLE_PERSON)\n")
	if len(r.Sweep) > 0 {
		p("\nthreshold sweep over Hold (review %.1f, or Hold when lower):\n", r.Review)
		p("%6s %7s %7s %9s %9s %9s %12s %11s %11s %11s\n", "hold", "holds", "wrong", "precision", "recall", "F1", "fuzzy_dup",
			"pair found", "pair held", "alert prec")
		for _, s := range r.Sweep {
			p("%6.1f %7d %7d %9.4f %9.4f %9.4f %12.4f %11.4f %11.4f %11.4f\n", s.Hold, s.Holds.Predicted, s.WrongHolds,
				s.Holds.Precision, s.Holds.Recall, s.Holds.F1, s.FuzzyDupRecall, s.Pairs.Recall(), s.Pairs.HoldRecall(),
				s.Pairs.AlertPrecision())
		}
	}
	if len(r.WrongHolds) > 0 {
		p("\nwrong holds, highest scores first:\n")
		for _, e := range r.WrongHolds {
			p("  %s (%s) %s\n", e.EventID, e.Label, e.Explain)
		}
	}
	if len(r.Missed) > 0 {
		p("\nmissed fuzzy duplicates, highest scores first (score 0 and no explanation: no candidate whose name agrees was found):\n")
		for _, e := range r.Missed {
			p("  %s %.2f %s\n", e.EventID, e.Score, e.Explain)
		}
	}
	return cw.n, cw.err
}

// blockKindName names a block kind for the report.
func blockKindName(k byte) string {
	switch k {
	case fuzzy.BlockName:
		return "name+year"
	case fuzzy.BlockPlace:
		return "name+upazila"
	case fuzzy.BlockDistrict:
		return "name+district"
	case fuzzy.BlockFamily:
		return "relative+dob"
	case fuzzy.BlockFather:
		return "name+father"
	case fuzzy.BlockLoose:
		return "loose name+district"
	case fuzzy.BlockContact:
		return "phone or wallet"
	}
	return fmt.Sprintf("kind %q", k)
}

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(b []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(b)
	c.n += int64(n)
	c.err = err
	return n, err
}
