package fuzzyeval_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ekjon/ekjon/benchmarks/synth"
	"github.com/ekjon/ekjon/matchers/fuzzy/fuzzyeval"
)

func gen(t *testing.T, persons int, fuzzyRate float64) *synth.Generator {
	t.Helper()
	c := synth.DefaultConfig()
	c.Persons, c.Seed, c.FuzzyDupRate = persons, 3, fuzzyRate
	g, err := synth.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestRunMatchesRunRecords checks that evaluating files and evaluating the
// generator directly agree, and that the counts add up.
func TestRunMatchesRunRecords(t *testing.T) {
	g := gen(t, 3000, 0.05)
	var ev, tr bytes.Buffer
	if err := synth.WriteJSONL(&ev, &tr, g.Enrolments()); err != nil {
		t.Fatal(err)
	}
	cfg := fuzzyeval.DefaultConfig()
	fromFiles, err := fuzzyeval.Run(&ev, &tr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	direct, err := fuzzyeval.RunRecords(g.Enrolments(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := fromFiles.String(), direct.String(); a != b {
		t.Errorf("files and records disagree:\n%s\n---\n%s", a, b)
	}
	r := direct
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
	if r.Blocked != r.Confusion[synth.PatternDupNID]["DUP_NID"]+r.Confusion[synth.PatternMultiProgramme]["MULTI_PROGRAMME"] {
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

// TestRunRejectsMisalignedFiles checks that events and truth must pair by
// line.
func TestRunRejectsMisalignedFiles(t *testing.T) {
	g := gen(t, 50, 0.015)
	var ev, tr bytes.Buffer
	if err := synth.WriteJSONL(&ev, &tr, g.Enrolments()); err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(tr.String(), "\n")
	cases := []struct {
		name  string
		truth string
	}{
		{"truth shifted", strings.Join(lines[1:], "")},
		{"truth longer", tr.String() + lines[0]},
		{"truth not JSON", "nonsense\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := fuzzyeval.Run(bytes.NewReader(ev.Bytes()), strings.NewReader(tc.truth), fuzzyeval.DefaultConfig()); err == nil {
				t.Error("misaligned files accepted")
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []func(*fuzzyeval.Config){
		func(c *fuzzyeval.Config) { c.Fuzzy.Model.Hold = c.Fuzzy.Model.Review - 1 },
		func(c *fuzzyeval.Config) { c.Fuzzy.BlockCap = 0 },
		func(c *fuzzyeval.Config) { c.Secret = nil },
	}
	for i, f := range bad {
		c := fuzzyeval.DefaultConfig()
		f(&c)
		if _, err := fuzzyeval.New(c); err == nil {
			t.Errorf("case %d: invalid config accepted", i)
		}
	}
}
