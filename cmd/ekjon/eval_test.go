package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestEval runs each mode of the command on small data and checks that it
// prints its report.
func TestEval(t *testing.T) {
	dir := t.TempDir()
	ev, tr := filepath.Join(dir, "e.jsonl"), filepath.Join(dir, "t.jsonl")
	var out, errb bytes.Buffer
	if err := cmdGen(context.Background(), []string{"--persons", "1500", "--seed", "2", "--out", ev, "--truth", tr}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"files", []string{"--events", ev, "--truth", tr}, []string{"precision of HOLD:", "recall of fuzzy duplicates:", "threshold sweep", "other events skipped"}},
		{"generated", []string{"--persons", "1500", "--seed", "2", "--hold", "20", "--review", "12"}, []string{"thresholds: review 12.0, hold 20.0 bits", "confusion"}},
		{"pairs", []string{"--pairs", filepath.Join("..", "..", "matchers", "names", "testdata", "pairs.tsv")}, []string{"key agreement:", "false collisions:"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if err := cmdEval(context.Background(), tc.args, &out, &errb); err != nil {
				t.Fatalf("eval: %v (%s)", err, errb.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

func TestEvalRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--events", "x.jsonl"},
		{"--hold", "10", "--review", "20", "--persons", "10"},
		{"--pairs", "no-such-file.tsv"},
		{"stray"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			if err := cmdEval(context.Background(), args, &out, &errb); err == nil {
				t.Errorf("eval %v succeeded", args)
			}
		})
	}
}
