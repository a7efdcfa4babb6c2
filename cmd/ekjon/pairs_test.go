package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/ekjon/ekjon/benchmarks"
	"github.com/ekjon/ekjon/benchmarks/eval"
	"github.com/ekjon/ekjon/benchmarks/registry"
	"github.com/ekjon/ekjon/benchmarks/synth"
)

// TestPairsAgreeWithEval decides a registry-style stream with the real
// pipeline (one partition, one consumer, one event a batch, so that it
// decides in the stream's order as eval does) and checks that the
// pair-level count the bench reads from the record equals the one eval
// computes in memory on the same events: the two tables agree because
// they count the same thing, not by construction of the test.
func TestPairsAgreeWithEval(t *testing.T) {
	if testing.Short() {
		t.Skip("decides a few hundred enrolments end to end")
	}
	cfg := registry.DefaultConfig()
	cfg.Persons, cfg.Seed, cfg.ReenrolRate, cfg.RunID = 300, 7, 0.3, "pairs"
	g, err := registry.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var recs []synth.Record
	var events, truth bytes.Buffer
	for r := range g.Enrolments() {
		recs = append(recs, r)
	}
	if err := synth.WriteJSONL(&events, &truth, func(yield func(synth.Record) bool) {
		for _, r := range recs {
			if !yield(r) {
				return
			}
		}
	}); err != nil {
		t.Fatal(err)
	}

	h := newHarness(t, 1)
	h.cfg.Pipeline.BatchSize = 1
	h.start(nil)
	values := make([]string, len(recs))
	ids := make([]string, len(recs))
	for i, r := range recs {
		values[i], ids[i] = string(r.Value), r.EventID
	}
	h.produce(h.cfg.Kafka.Topics.Enrolments, values...)
	// One event a batch is slow on a busy machine: wait in steps, each
	// with the harness's own deadline.
	for k := 1; k <= 4; k++ {
		h.decisions(ids[:len(ids)*k/4]...)
	}
	ds, err := benchmarks.ReadDecided(context.Background(), h.db, recs, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := eval.CountPairs(ds)

	ecfg := eval.DefaultConfig()
	if ecfg.Policy, err = h.cfg.Policy(); err != nil {
		t.Fatal(err)
	}
	ecfg.Fuzzy, ecfg.Secret = h.cfg.Fuzzy.Config(ecfg.Policy), []byte(h.cfg.HMACSecret)
	rep, err := eval.Run(context.Background(), &events, &truth, ecfg)
	if err != nil {
		t.Fatal(err)
	}
	want := rep.Pairs
	if want.Due < 50 || want.Holds == 0 {
		t.Fatalf("too few pairs to compare: %+v", want)
	}
	// The record keeps no candidates: compare everything else.
	want.Candidates, want.CandidatesKnown, want.MeanCandidates, want.P99Candidates, want.Enrolment = 0, false, 0, 0, 0
	for i := range want.ByKind {
		want.ByKind[i].Candidates = 0
	}
	if got.String() != want.String() {
		t.Errorf("the pipeline's record and eval disagree:\npipeline:\n%s\neval:\n%s", got, want)
	}
}
