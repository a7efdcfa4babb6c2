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
	"github.com/ekjon/ekjon/domain"
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
	em := fs.Bool("em", false, "also estimate the levels' m and u by expectation-maximisation on the unlabelled candidate pairs of a held-out registry-style population (--em-seed, --persons), print them beside the current ones and evaluate the data again with them; the configured weights stay the default")
	emSeed := fs.Int64("em-seed", 0, "seed of the held-out population EM estimates on (0: --seed + 1)")
	policyFile := fs.String("policy-file", "", "policy file whose match_weights replace the built-in m and u (as ekjon weights writes them), to measure them before adopting them")
	cpuProf := fs.String("cpuprofile", "", "write a CPU profile of the whole run (generation and evaluation) to this file (go tool pprof)")
	memProf := fs.String("memprofile", "", "write a heap profile to this file once the data is evaluated, while the evaluation still holds what it kept of every enrolment")
	m := &ecfg.Fuzzy.Model
	fs.Float64Var(&m.Hold, "hold", m.Hold, "FUZZY_PERSON threshold in bits")
	fs.Float64Var(&m.Review, "review", m.Review, "POSSIBLE_PERSON threshold in bits")
	fs.IntVar(&ecfg.Fuzzy.BlockCap, "block-cap", ecfg.Fuzzy.BlockCap, "persons a block holds before it is generic")
	fs.IntVar(&ecfg.Fuzzy.MaxCandidates, "max-candidates", ecfg.Fuzzy.MaxCandidates, "records scored per enrolment")
	fs.IntVar(&ecfg.Workers, "workers", ecfg.Workers, "goroutines that decode and score enrolments (0: one per CPU); the report does not depend on it")
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
	if *policyFile != "" {
		p, err := domain.LoadPolicyFile(*policyFile)
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		model, err := app.MatchModel(p)
		if err != nil {
			return fmt.Errorf("eval: %s: %w", *policyFile, err)
		}
		model.Hold, model.Review = m.Hold, m.Review
		ecfg.Fuzzy.Model, ecfg.Policy = model, p
	}
	stopProfile, err := cpuProfile(*cpuProf)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	defer stopProfile()
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
	if *memProf != "" {
		if err := writeAllocs(*memProf); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
	}
	fmt.Fprintf(stdout, "data: %s\n", data)
	if _, err := rep.WriteTo(stdout); err != nil {
		return err
	}
	if *em {
		if err := evalEM(ctx, *events, *truth, scfg, *emSeed, ecfg, stdout); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
	}
	fmt.Fprintf(stdout, "\nevaluated in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

// evalEM estimates m and u by EM on a held-out registry-style population
// (never the data evaluated), prints them beside the configured ones and
// evaluates the data again with the estimated model, beside the current
// one, at every hold threshold of the sweep.
func evalEM(ctx context.Context, events, truth string, scfg synth.Config, seed int64, ecfg eval.Config, stdout io.Writer) error {
	if seed == 0 {
		seed = scfg.Seed + 1
	}
	held := scfg
	held.Seed = seed
	seq, err := registryStream(held, registry.DefaultConfig().ReenrolRate)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "ekjon-em-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "events.jsonl")
	if err := writeLabelled(ctx, seq, path, "", nil); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	est, err := eval.EstimateEM(ctx, f, ecfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nweights estimated on a held-out registry-style population (%d persons, seed %d), not on the data above:\n", held.Persons, seed)
	if _, err := est.WriteTo(stdout); err != nil {
		return err
	}
	cur, err := evalFiles(ctx, events, truth, ecfg)
	if err != nil {
		return err
	}
	ecfg.Fuzzy.Model = est.Model()
	if err := ecfg.Fuzzy.Model.Validate(); err != nil {
		return fmt.Errorf("estimated model: %w", err)
	}
	got, err := evalFiles(ctx, events, truth, ecfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nthe data above with the current and the estimated weights (review %.1f; hold as in the row):\n", ecfg.Fuzzy.Model.Review)
	fmt.Fprintf(stdout, "%6s | %9s %9s %9s %9s | %9s %9s %9s %9s\n", "hold", "found", "held", "hold prec", "alert prec", "found", "held", "hold prec", "alert prec")
	fmt.Fprintf(stdout, "%6s | %-39s | %-39s\n", "", "current", "estimated")
	for i := range cur.Sweep {
		a, b := cur.Sweep[i].Pairs, got.Sweep[i].Pairs
		fmt.Fprintf(stdout, "%6.1f | %9.4f %9.4f %9.4f %9.4f | %9.4f %9.4f %9.4f %9.4f\n", cur.Sweep[i].Hold,
			a.Recall(), a.HoldRecall(), a.HoldPrecision(), a.AlertPrecision(), b.Recall(), b.HoldRecall(), b.HoldPrecision(), b.AlertPrecision())
	}
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
