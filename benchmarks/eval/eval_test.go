package eval_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ekjon/ekjon/benchmarks/eval"
	"github.com/ekjon/ekjon/domain"
)

// mustRead returns a file of testdata.
func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestRunLabelledFiles evaluates the hand-written labelled data set of
// testdata: a man enrolled, enrolled again under his NID (in the same
// programme, then in an excluded one), then in Bangla under another NID; a
// neighbour giving his phone; a widow without a label, then enrolled again
// without NID under a label the report does not know; a broken line and a
// status event.
func TestRunLabelledFiles(t *testing.T) {
	r, err := eval.Run(context.Background(), bytes.NewReader(mustRead(t, "events.jsonl")),
		bytes.NewReader(mustRead(t, "truth.jsonl")), eval.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	counts := []struct {
		name      string
		got, want int
	}{
		{"enrolments", r.Enrolments, 8},
		{"others", r.Others, 1},
		{"rejected", r.Rejected, 1},
		{"blocked", r.Blocked, 2},
		{"pairs due (the Bangla record and the widow without NID)", r.Due, 2},
		{"fuzzy duplicates", r.FuzzyDups, 1},
		{"fuzzy duplicates held", r.FuzzyDupHeld, 1},
		{"wrong holds", r.Holds.Predicted - r.Holds.Correct, 0},
		{"dup_nid blocked", r.Confusion[eval.LabelDupNID][eval.GotDupNID], 1},
		{"multi_programme blocked", r.Confusion[eval.LabelMultiProgramme][eval.GotMulti], 1},
		{"malformed rejected", r.Confusion[eval.LabelMalformed][eval.GotRejected], 1},
		{"neighbour not matched", r.Confusion[eval.LabelSharedPhone][eval.GotNone], 1},
		{"first enrolment not matched", r.Confusion[eval.LabelClean][eval.GotNone], 1},
		{"unlabelled enrolment not matched", r.Confusion[""][eval.GotNone], 1},
		{"widow without NID held, under an unknown label", r.Confusion["bangla_script"][eval.GotFuzzySame], 1},
	}
	for _, c := range counts {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.name, c.got, c.want)
		}
	}
	out := r.String()
	for _, want := range []string{"\nfuzzy_dup ", "\n(no label) ", "\nbangla_script    -  "} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "\nmalformed ") > strings.Index(out, "\n(no label) ") {
		t.Errorf("labels the report does not know come before the known ones:\n%s", out)
	}
}

// TestRunRejectsMisalignedFiles checks that events and truth must pair by
// line and that a truth line names its event and its person.
func TestRunRejectsMisalignedFiles(t *testing.T) {
	ev, tr := mustRead(t, "events.jsonl"), string(mustRead(t, "truth.jsonl"))
	lines := strings.SplitAfter(tr, "\n")
	cases := []struct {
		name  string
		truth string
	}{
		{"truth shifted", strings.Join(lines[1:], "")},
		{"truth shorter", strings.Join(lines[:len(lines)-2], "")},
		{"truth longer", tr + lines[0]},
		{"truth not JSON", "nonsense\n"},
		{"no person", strings.Replace(tr, `"person_id":"H1",`, "", 1)},
		{"no event id", strings.Replace(tr, `"event_id":"e1",`, "", 1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := eval.Run(context.Background(), bytes.NewReader(ev), strings.NewReader(tc.truth), eval.DefaultConfig()); err == nil {
				t.Error("misaligned files accepted")
			}
		})
	}
}

func TestReadTruthErrorsAreInvalid(t *testing.T) {
	for _, in := range []string{"{\n", `{"event_id":"e1"}` + "\n"} {
		var got error
		for _, err := range eval.ReadTruth(strings.NewReader(in)) {
			got = err
		}
		if domain.KindOf(got) != domain.KindInvalid || !strings.Contains(got.Error(), "line 1") {
			t.Errorf("%q: %v (kind %v)", in, got, domain.KindOf(got))
		}
	}
}

func TestRunStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := eval.Run(ctx, bytes.NewReader(mustRead(t, "events.jsonl")), bytes.NewReader(mustRead(t, "truth.jsonl")), eval.DefaultConfig())
	if err != context.Canceled {
		t.Errorf("cancelled run: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []func(*eval.Config){
		func(c *eval.Config) { c.Fuzzy.Model.Hold = c.Fuzzy.Model.Review - 1 },
		func(c *eval.Config) { c.Fuzzy.BlockCap = 0 },
		func(c *eval.Config) { c.Secret = nil },
	}
	for i, f := range bad {
		c := eval.DefaultConfig()
		f(&c)
		if _, err := eval.New(c); err == nil {
			t.Errorf("case %d: invalid config accepted", i)
		}
	}
}
