package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"time"

	"github.com/ekjon/ekjon/benchmarks/eval"
	"github.com/ekjon/ekjon/benchmarks/registry"
	"github.com/ekjon/ekjon/benchmarks/synth"
	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
	"github.com/ekjon/ekjon/matchers/names"
)

func cmdEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	ecfg := eval.DefaultConfig()
	scfg := synth.DefaultConfig()
	scfg.Persons = 100_000
	fs := flag.NewFlagSet("ekjon eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cycles string
	bindSynth(fs, &scfg, &cycles)
	events := fs.String("events", "", "events file of a labelled data set, as ekjon gen writes it (with --truth); empty generates the data from --persons, --seed and the rate flags")
	truth := fs.String("truth", "", "truth file matching --events line for line (the labelled format: docs/evaluation.md)")
	pairs := fs.String("pairs", "", "pair mode: a file of bangla<TAB>english name lines, one person each; prints key agreement and false collisions")
	style := fs.String("style", "synth", "generated data: synth (benchmarks/synth) or registry (benchmarks/registry, with --reenrol-rate)")
	reenrol := fs.Float64("reenrol-rate", registry.DefaultConfig().ReenrolRate, "registry style: fraction of persons enrolled again under a variation")
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
	data := fmt.Sprintf("%s, %s", *events, *truth)
	if *events == "" {
		// Generated data takes the same road as a file: it is written in
		// the labelled format first, so both are evaluated by one reader.
		scfg.Cycles = app.SplitList(cycles)
		var seq iter.Seq[synth.Record]
		switch *style {
		case "synth":
			g, err := synth.New(scfg)
			if err != nil {
				return fmt.Errorf("eval: %w", err)
			}
			seq = g.Enrolments()
		case "registry":
			var err error
			if seq, err = registryStream(scfg, *reenrol); err != nil {
				return fmt.Errorf("eval: %w", err)
			}
		default:
			return fmt.Errorf("eval: --style %q: want synth or registry", *style)
		}
		dir, err := os.MkdirTemp("", "ekjon-eval-")
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		defer os.RemoveAll(dir)
		*events, *truth = filepath.Join(dir, "events.jsonl"), filepath.Join(dir, "truth.jsonl")
		if err := writeLabelled(ctx, seq, *events, *truth, nil); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		data = fmt.Sprintf("generated enrolments of %d persons (%s style), seed %d, default rates unless set", scfg.Persons, *style, scfg.Seed)
	}
	rep, err := evalFiles(ctx, *events, *truth, ecfg)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("eval: interrupted: %w", err)
		}
		return fmt.Errorf("eval: %w", err)
	}
	fmt.Fprintf(stdout, "data: %s\n", data)
	if _, err := rep.WriteTo(stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nevaluated in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

// evalFiles evaluates the labelled data set of an events file and its
// truth file.
func evalFiles(ctx context.Context, events, truth string, cfg eval.Config) (eval.Report, error) {
	ef, err := os.Open(events)
	if err != nil {
		return eval.Report{}, err
	}
	defer ef.Close()
	tf, err := os.Open(truth)
	if err != nil {
		return eval.Report{}, err
	}
	defer tf.Close()
	return eval.Run(ctx, ef, tf, cfg)
}
