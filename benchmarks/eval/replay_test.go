package eval_test

import (
	"bufio"
	"bytes"
	"context"
	"iter"
	"reflect"
	"testing"

	"github.com/ekjon/ekjon/benchmarks/eval"
	"github.com/ekjon/ekjon/benchmarks/registry"
	"github.com/ekjon/ekjon/benchmarks/synth"
	"github.com/ekjon/ekjon/matchers/fuzzy"
)

// registryData writes a small registry-style population as an events file
// and its truth file.
func registryData(tb testing.TB, persons int) (events, truth []byte) {
	tb.Helper()
	rc := registry.DefaultConfig()
	rc.Persons = persons
	g, err := registry.New(rc)
	if err != nil {
		tb.Fatal(err)
	}
	return writeData(tb, g.Enrolments())
}

// synthData writes a small population of the project's own generator.
func synthData(tb testing.TB, persons int) (events, truth []byte) {
	tb.Helper()
	sc := synth.DefaultConfig()
	sc.Persons = persons
	g, err := synth.New(sc)
	if err != nil {
		tb.Fatal(err)
	}
	return writeData(tb, g.Enrolments())
}

// writeData writes enrolments as an events file and its truth file.
func writeData(tb testing.TB, enrolments iter.Seq[synth.Record]) (events, truth []byte) {
	tb.Helper()
	var ev, tr bytes.Buffer
	if err := synth.WriteJSONL(&ev, &tr, enrolments); err != nil {
		tb.Fatal(err)
	}
	return ev.Bytes(), tr.Bytes()
}

// oneByOne evaluates the data through Add, one line at a time.
func oneByOne(tb testing.TB, events, truth []byte, cfg eval.Config) eval.Report {
	tb.Helper()
	ev, err := eval.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(events))
	sc.Buffer(nil, 1<<22)
	for t, err := range eval.ReadTruth(bytes.NewReader(truth)) {
		if err != nil {
			tb.Fatal(err)
		}
		if !sc.Scan() {
			tb.Fatal("events end before the truth")
		}
		ev.Add(sc.Bytes(), t)
	}
	return ev.Report()
}

// TestRunIsAddInOrder checks that Run, which decides lines in batches and
// decodes and scores them on several goroutines, reports exactly what
// deciding the lines one by one in order reports, whatever the number of
// workers; with a small block cap, so that blocks fill and candidates are
// cut, as at a national scale.
func TestRunIsAddInOrder(t *testing.T) {
	events, truth := registryData(t, 1000)
	for _, c := range []struct {
		name          string
		cap, maxCands int
	}{{"default caps", 0, 0}, {"small caps", 8, 12}} {
		t.Run(c.name, func(t *testing.T) {
			cfg := eval.DefaultConfig()
			if c.cap > 0 {
				cfg.Fuzzy.BlockCap, cfg.Fuzzy.MaxCandidates = c.cap, c.maxCands
			}
			want := oneByOne(t, events, truth, cfg)
			if want.Pairs.Due == 0 || want.Pairs.Holds == 0 {
				t.Fatalf("the data has no pair to find or nothing was held: %+v", want.Pairs)
			}
			for _, workers := range []int{1, 4} {
				cfg.Workers = workers
				got, err := eval.Run(context.Background(), bytes.NewReader(events), bytes.NewReader(truth), cfg)
				if err != nil {
					t.Fatal(err)
				}
				if got.String() != want.String() {
					t.Errorf("%d workers: the report differs from one by one:\n%s\nwant:\n%s", workers, got, want)
				}
				if !reflect.DeepEqual(got.Decided, want.Decided) {
					t.Errorf("%d workers: the decided enrolments differ from one by one", workers)
				}
			}
		})
	}
}

// TestBlockStatsCountFullBlocks replays a population with a block cap of
// 2 and checks the counts per kind against what the cap allows: a full
// block holds exactly the cap, so no kind has more full blocks than
// blocks, persons are turned away only where a block is full, and the
// candidates of an enrolment are cut only to MaxCandidates.
func TestBlockStatsCountFullBlocks(t *testing.T) {
	events, truth := registryData(t, 1000)
	cfg := eval.DefaultConfig()
	cfg.Fuzzy.BlockCap, cfg.Fuzzy.MaxCandidates = 2, 3
	r, err := eval.Run(context.Background(), bytes.NewReader(events), bytes.NewReader(truth), cfg)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[byte]eval.BlockStats{}
	full, refused := 0, 0
	for _, b := range r.Blocks {
		kinds[b.Kind] = b
		if b.Full > b.Blocks || (b.Refused > 0 && b.Full == 0) {
			t.Errorf("kind %q: %+v", b.Kind, b)
		}
		full += b.Full
		refused += b.Refused
	}
	for _, k := range []byte{fuzzy.BlockName, fuzzy.BlockFather, fuzzy.BlockContact} {
		if kinds[k].Blocks == 0 {
			t.Errorf("no block of kind %q counted: %+v", k, r.Blocks)
		}
	}
	if full == 0 || refused == 0 || r.CappedCandidates == 0 {
		t.Errorf("with a cap of 2, %d blocks full, %d persons turned away, %d enrolments cut", full, refused, r.CappedCandidates)
	}
	if r.Pairs.P99Candidates > cfg.Fuzzy.MaxCandidates {
		t.Errorf("p99 candidates %d above the most scored, %d", r.Pairs.P99Candidates, cfg.Fuzzy.MaxCandidates)
	}
	// The default cap is reached by nobody in so small a population.
	d, err := eval.Run(context.Background(), bytes.NewReader(events), bytes.NewReader(truth), eval.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range d.Blocks {
		if b.Full > 0 || b.Refused > 0 {
			t.Errorf("kind %q full at the default cap in 1000 persons: %+v", b.Kind, b)
		}
	}
}

func TestConfigRejectsNegativeWorkers(t *testing.T) {
	c := eval.DefaultConfig()
	c.Workers = -1
	if _, err := eval.New(c); err == nil {
		t.Error("negative workers accepted")
	}
}

// TestExamplesAreTheBestScored checks that the examples kept as the
// enrolments come are the first of the full list, highest scores first:
// keeping three gives the first three of keeping them all. The hold
// threshold is raised so that many duplicates are missed with a score.
func TestExamplesAreTheBestScored(t *testing.T) {
	events, truth := synthData(t, 2000)
	cfg := eval.DefaultConfig()
	cfg.Fuzzy.Model.Hold += 10
	cfg.Examples = 1 << 20
	all, err := eval.Run(context.Background(), bytes.NewReader(events), bytes.NewReader(truth), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Missed) < 4 {
		t.Fatalf("%d missed and %d wrong holds: too few to compare", len(all.Missed), len(all.WrongHolds))
	}
	for i := 1; i < len(all.Missed); i++ {
		if a, b := all.Missed[i-1], all.Missed[i]; a.Score < b.Score || (a.Score == b.Score && a.EventID > b.EventID) {
			t.Fatalf("missed out of order at %d: %+v before %+v", i, a, b)
		}
	}
	cfg.Examples = 3
	few, err := eval.Run(context.Background(), bytes.NewReader(events), bytes.NewReader(truth), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(few.Missed, all.Missed[:3]) {
		t.Errorf("three missed: %+v, want %+v", few.Missed, all.Missed[:3])
	}
	if n := min(3, len(all.WrongHolds)); !reflect.DeepEqual(few.WrongHolds, all.WrongHolds[:n]) {
		t.Errorf("wrong holds: %+v, want %+v", few.WrongHolds, all.WrongHolds[:n])
	}
}
