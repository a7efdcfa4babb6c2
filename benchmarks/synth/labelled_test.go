package synth_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ekjon/ekjon/benchmarks/eval"
	"github.com/ekjon/ekjon/benchmarks/synth"
)

// labelled writes the enrolments of a population through WriteJSONL.
func labelled(tb testing.TB, persons int, fuzzyRate float64) (events, truth []byte, recs []synth.Record) {
	tb.Helper()
	c := synth.DefaultConfig()
	c.Persons, c.Seed, c.FuzzyDupRate = persons, 3, fuzzyRate
	g, err := synth.New(c)
	if err != nil {
		tb.Fatal(err)
	}
	for r := range g.Enrolments() {
		recs = append(recs, r)
	}
	var ev, tr bytes.Buffer
	if err := synth.WriteJSONL(&ev, &tr, slices.Values(recs)); err != nil {
		tb.Fatal(err)
	}
	return ev.Bytes(), tr.Bytes(), recs
}

// TestWritesLabelledFormat checks that the truth WriteJSONL writes reads
// back through the evaluation's reader as the generator meant it, and that
// every label of the enrolments is one the evaluation's report knows.
func TestWritesLabelledFormat(t *testing.T) {
	_, tr, recs := labelled(t, 2000, 0.015)
	known := []eval.Label{eval.LabelClean, eval.LabelFuzzyDup, eval.LabelSharedPhone, eval.LabelDupNID,
		eval.LabelMultiProgramme, eval.LabelMalformed}
	i := 0
	for got, err := range eval.ReadTruth(bytes.NewReader(tr)) {
		if err != nil {
			t.Fatal(err)
		}
		if i >= len(recs) {
			t.Fatalf("more truth lines than the %d records", len(recs))
		}
		want := recs[i].Truth
		if got.EventID != want.EventID || got.PersonID != want.PersonID || string(got.Label) != string(want.Pattern) {
			t.Fatalf("line %d reads %+v, written from %+v", i+1, got, want)
		}
		if !slices.Contains(known, got.Label) {
			t.Errorf("line %d: label %q unknown to the evaluation", i+1, got.Label)
		}
		i++
	}
	if i != len(recs) {
		t.Fatalf("read %d truth lines of %d", i, len(recs))
	}
}

// TestEnrolmentsEvaluate evaluates a generated population and checks that
// the generator's labels and the evaluation's counts agree: the exact rules
// block exactly the dup_nid and multi_programme enrolments, and the only
// re-enrolments under another identity are the fuzzy_dup ones.
func TestEnrolmentsEvaluate(t *testing.T) {
	ev, tr, _ := labelled(t, 3000, 0.05)
	r, err := eval.Run(context.Background(), bytes.NewReader(ev), bytes.NewReader(tr), eval.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if r.FuzzyDups < 100 {
		t.Fatalf("only %d fuzzy duplicates generated", r.FuzzyDups)
	}
	total := 0
	for _, row := range r.Confusion {
		for _, n := range row {
			total += n
		}
	}
	if total != r.Enrolments {
		t.Errorf("confusion holds %d enrolments, report %d", total, r.Enrolments)
	}
	if r.Blocked != r.Confusion[eval.LabelDupNID][eval.GotDupNID]+r.Confusion[eval.LabelMultiProgramme][eval.GotMulti] {
		t.Errorf("exact rules blocked %d enrolments that are not dup_nid or multi_programme: %v", r.Blocked, r.Confusion)
	}
	if r.Due != r.FuzzyDups {
		t.Errorf("%d pairs due, %d fuzzy duplicates: the only re-enrolments under another identity are fuzzy_dup", r.Due, r.FuzzyDups)
	}
	if r.Holds.Correct != r.FuzzyDupHeld {
		t.Errorf("%d correct holds, %d fuzzy duplicates held", r.Holds.Correct, r.FuzzyDupHeld)
	}
	for _, s := range r.Sweep {
		if s.Hold == r.Hold && s.Holds != r.Holds {
			t.Errorf("sweep at %.1f: %+v, headline %+v", s.Hold, s.Holds, r.Holds)
		}
	}
	for i := 1; i < len(r.Sweep); i++ {
		if r.Sweep[i].Holds.Predicted > r.Sweep[i-1].Holds.Predicted {
			t.Errorf("holds grow with the threshold: %+v then %+v", r.Sweep[i-1], r.Sweep[i])
		}
	}
	for _, want := range []string{"precision of HOLD:", "recall of fuzzy duplicates:", "threshold sweep", "fuzzy_dup"} {
		if !strings.Contains(r.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
