package benchmarks

import (
	"testing"

	"github.com/ekjon/ekjon/benchmarks/synth"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/names"
	"github.com/ekjon/ekjon/matchers/score"
)

// enrolments returns n decoded synthetic enrolments.
func enrolments(tb testing.TB, n int) ([]synth.Record, []*domain.Event) {
	tb.Helper()
	cfg := synth.DefaultConfig()
	cfg.Persons = n
	g, err := synth.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	var recs []synth.Record
	var evs []*domain.Event
	for r := range g.Enrolments() {
		if d := Decode(r, domain.DefaultPolicy()); d.Event != nil {
			recs, evs = append(recs, r), append(evs, d.Event)
		}
	}
	return recs, evs
}

func TestWorkloadSplitsRegistryAndRuns(t *testing.T) {
	w, err := NewWorkload(1, 2000, 1000)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for r := range w.PreloadEnrolments() {
		if cluster(r.Truth.PersonID) >= 2000 {
			t.Fatalf("preload holds a person of the runs: %s", r.Truth.PersonID)
		}
		seen[r.EventID] = true
	}
	for k := range 2 {
		run := w.Run(k)
		if len(run) == 0 || len(run) > 1000+1000 {
			t.Fatalf("run %d has %d events", k, len(run))
		}
		for _, r := range run {
			if seen[r.EventID] {
				t.Fatalf("event %s is in two places", r.EventID)
			}
			seen[r.EventID] = true
		}
	}
}

func TestScoreCountsRules(t *testing.T) {
	truth := map[string]synth.Truth{
		"a": {Rules: []string{"DUP_NID"}, Action: domain.ActionBlock},
		"b": {Rules: []string{}, Action: domain.ActionAdmit},
	}
	got := map[string][]string{"a": {"DUP_NID"}, "b": {"FUZZY_PERSON"}}
	acts := map[string]domain.Action{"a": domain.ActionBlock, "b": domain.ActionHold}
	a := Score(truth, got, acts)
	if a.Overall != (Counts{TP: 1, FP: 1}) || a.ActionsCorrect != 1 {
		t.Fatalf("got %+v, %d actions right", a.Overall, a.ActionsCorrect)
	}
}

func BenchmarkDecode(b *testing.B) {
	recs, _ := enrolments(b, 1000)
	p := domain.DefaultPolicy()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Decode(recs[i%len(recs)], p)
	}
}

func BenchmarkNormalise(b *testing.B) {
	_, evs := enrolments(b, 1000)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		names.Tokens(evs[i%len(evs)].Person.NameBN)
	}
}

func BenchmarkKeys(b *testing.B) {
	_, evs := enrolments(b, 1000)
	pseudo := domain.NewPseudonymizer([]byte("bench"))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		fuzzy.ProfileOf(evs[i%len(evs)].Person, "P1", pseudo)
	}
}

func BenchmarkScoring(b *testing.B) {
	_, evs := enrolments(b, 1000)
	pseudo := domain.NewPseudonymizer([]byte("bench"))
	profs := make([]fuzzy.Profile, len(evs))
	recs := make([]score.Record, len(evs))
	for i, e := range evs {
		profs[i] = fuzzy.ProfileOf(e.Person, e.EventID, pseudo)
		recs[i] = profs[i].Record
	}
	fc := fuzzy.DefaultConfig()
	var tf score.Counter
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		j := i % (len(recs) - 20)
		fc.Best(&profs[j], recs[j+1:j+21], &tf, nil) // 20 candidates per enrolment
	}
}
