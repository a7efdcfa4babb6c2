package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ekjon/ekjon/benchmarks/eval"
	"github.com/ekjon/ekjon/benchmarks/synth"
)

func countLines(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
	n := 0
	for sc.Scan() {
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestGen writes each kind of stream and checks that the truth matches the
// events line for line and that the same seed gives the same bytes.
func TestGen(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		wantMin int
		wantMax int
		onlyEnr bool
	}{
		{"enrolments only", []string{"--enrolments-only"}, 300, 400, true},
		{"mixed feed", []string{"--events", "500"}, 500, 500, false},
		{"every stream", nil, 1000, 2000, false},
		{"rates from flags", []string{"--enrolments-only", "--fuzzy-dup-rate", "0.2", "--dup-nid-rate", "0"}, 300, 400, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ev, tr := filepath.Join(dir, "e.jsonl"), filepath.Join(dir, "t.jsonl")
			args := append([]string{"--persons", "300", "--seed", "5", "--out", ev, "--truth", tr}, tc.args...)
			var out, errb bytes.Buffer
			if err := cmdGen(context.Background(), args, &out, &errb); err != nil {
				t.Fatalf("gen: %v (%s)", err, errb.String())
			}
			n := countLines(t, ev)
			if n < tc.wantMin || n > tc.wantMax {
				t.Errorf("%d event lines, want %d..%d", n, tc.wantMin, tc.wantMax)
			}
			if m := countLines(t, tr); m != n {
				t.Errorf("%d truth lines for %d events", m, n)
			}
			if !strings.Contains(out.String(), "wrote ") {
				t.Errorf("summary: %q", out.String())
			}
			f, err := os.Open(tr)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			patterns := map[eval.Label]int{}
			for tt, err := range eval.ReadTruth(f) {
				if err != nil {
					t.Fatal(err)
				}
				patterns[tt.Label]++
			}
			if tc.onlyEnr && (patterns[eval.Label(synth.PatternDoublePayment)] > 0 || patterns[eval.Label(synth.PatternUnknownPayee)] > 0) {
				t.Errorf("payment patterns in an enrolment-only stream: %v", patterns)
			}
			if tc.name == "rates from flags" && (patterns[eval.LabelFuzzyDup] < 30 || patterns[eval.LabelDupNID] > 0) {
				t.Errorf("rates not applied: %v", patterns)
			}
			// Same seed, same bytes.
			ev2 := filepath.Join(dir, "e2.jsonl")
			args2 := append([]string{"--persons", "300", "--seed", "5", "--out", ev2, "--truth", ""}, tc.args...)
			if err := cmdGen(context.Background(), args2, &out, &errb); err != nil {
				t.Fatal(err)
			}
			a, _ := os.ReadFile(ev)
			b, _ := os.ReadFile(ev2)
			if !bytes.Equal(a, b) {
				t.Error("the same seed gave different events")
			}
		})
	}
}

func TestGenRejectsBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--persons", "0"},
		{"--fuzzy-dup-rate", "1.5"},
		{"--cycles", "November"},
		{"--events", "-1"},
		{"--no-such-flag"},
		{"stray"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			a := append([]string{"--out", filepath.Join(dir, "e"), "--truth", ""}, args...)
			if err := cmdGen(context.Background(), a, &out, &errb); err == nil {
				t.Errorf("gen %v succeeded", args)
			}
		})
	}
}
