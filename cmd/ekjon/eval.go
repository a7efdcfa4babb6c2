package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ekjon/ekjon/benchmarks/synth"
	"github.com/ekjon/ekjon/matchers/fuzzy/fuzzyeval"
	"github.com/ekjon/ekjon/matchers/names"
)

func cmdEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	ecfg := fuzzyeval.DefaultConfig()
	scfg := synth.DefaultConfig()
	scfg.Persons = 100_000
	fs := flag.NewFlagSet("ekjon eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cycles string
	bindSynth(fs, &scfg, &cycles)
	events := fs.String("events", "", "events file written by ekjon gen (with --truth); empty generates the data from --persons, --seed and the rate flags")
	truth := fs.String("truth", "", "truth file matching --events line for line")
	pairs := fs.String("pairs", "", "pair mode: a file of bangla<TAB>english name lines, one person each; prints key agreement and false collisions")
	m := &ecfg.Fuzzy.Model
	fs.Float64Var(&m.Hold, "hold", m.Hold, "FUZZY_PERSON threshold in bits")
	fs.Float64Var(&m.Review, "review", m.Review, "POSSIBLE_PERSON threshold in bits")
	fs.IntVar(&ecfg.Fuzzy.BlockCap, "block-cap", ecfg.Fuzzy.BlockCap, "persons a block holds before it is generic")
	fs.IntVar(&ecfg.Fuzzy.MaxCandidates, "max-candidates", ecfg.Fuzzy.MaxCandidates, "records scored per enrolment")
	fs.IntVar(&ecfg.Examples, "examples", ecfg.Examples, "wrong holds and missed duplicates to list")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: ekjon eval [--events F --truth T | --persons N --seed S] [--hold X --review Y]\n"+
			"       ekjon eval --pairs FILE\n\n"+
			"Replays enrolments through the exact NID rules and the fuzzy matcher in memory\n"+
			"and prints pairwise precision, recall and F1 per action, a confusion table and\n"+
			"a sweep over the hold threshold. Without --events it generates the data itself.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ekjon eval: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if *pairs != "" {
		f, err := os.Open(*pairs)
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		defer f.Close()
		rep, err := names.EvalPairs(f)
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		_, err = rep.WriteTo(stdout)
		return err
	}
	if (*events == "") != (*truth == "") {
		return errors.New("eval: --events and --truth go together")
	}
	start := time.Now()
	var rep fuzzyeval.Report
	if *events != "" {
		ef, err := os.Open(*events)
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		defer ef.Close()
		tf, err := os.Open(*truth)
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		defer tf.Close()
		if rep, err = fuzzyeval.Run(ef, tf, ecfg); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		fmt.Fprintf(stdout, "data: %s, %s\n", *events, *truth)
	} else {
		scfg.Cycles = parseCycles(cycles)
		g, err := synth.New(scfg)
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		if rep, err = fuzzyeval.RunRecords(stopOn(ctx, g.Enrolments()), ecfg); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("eval: interrupted: %w", err)
		}
		fmt.Fprintf(stdout, "data: generated enrolments of %d persons, seed %d, default rates unless set\n", scfg.Persons, scfg.Seed)
	}
	if _, err := rep.WriteTo(stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nevaluated in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}
