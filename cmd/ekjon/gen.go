package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/ekjon/ekjon/benchmarks/registry"
	"github.com/ekjon/ekjon/benchmarks/synth"
	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
)

// bindSynth registers a flag for every setting of the synthetic population,
// defaulting to synth.DefaultConfig, so gen and eval describe one world the
// same way.
func bindSynth(fs *flag.FlagSet, c *synth.Config, cycles *string) {
	fs.Int64Var(&c.Seed, "seed", c.Seed, "random seed: the same seed and rates give the same bytes")
	fs.IntVar(&c.Persons, "persons", c.Persons, "humans in the population")
	fs.StringVar(&c.RunID, "run-id", c.RunID, "prefix of every event_id, so reruns do not collide")
	*cycles = strings.Join(c.Cycles, ",")
	fs.StringVar(cycles, "cycles", *cycles, "payment cycles, comma-separated YYYY-MM; the first fixes the timeline")
	rates := []struct {
		p    *float64
		name string
		help string
	}{
		{&c.DupNIDRate, "dup-nid-rate", "persons enrolled twice in one programme under one NID"},
		{&c.MultiProgrammeRate, "multi-programme-rate", "persons enrolled under one NID in a programme their first excludes"},
		{&c.FuzzyDupRate, "fuzzy-dup-rate", "persons enrolled again under a name variant, another or no NID"},
		{&c.SecondProgrammeRate, "second-programme-rate", "persons also enrolled in a compatible programme (clean)"},
		{&c.BenignSharedPhoneRate, "benign-shared-phone-rate", "persons giving a neighbour's or chairman's phone"},
		{&c.FraudSharedPhoneRate, "fraud-shared-phone-rate", "persons behind one fraudster's wallet"},
		{&c.DeathRate, "death-rate", "persons who die before the first cycle"},
		{&c.ExitRate, "exit-rate", "persons who exit before the first cycle"},
		{&c.DeceasedPaidRate, "deceased-paid-rate", "persons dead or exited and still paid"},
		{&c.SuspensionRate, "suspension-rate", "persons suspended then reinstated"},
		{&c.WalletChangeRate, "wallet-change-rate", "persons with a genuine wallet change"},
		{&c.WalletTakeoverRate, "wallet-takeover-rate", "persons whose wallet is taken over before a payment"},
		{&c.DoublePaymentRate, "double-payment-rate", "payments made twice in a cycle"},
		{&c.WalletMismatchRate, "wallet-mismatch-rate", "payments to a wallet other than the enrolled one"},
		{&c.UnknownPayeeRate, "unknown-payee-rate", "ghosts paid per person and cycle"},
		{&c.MalformedRate, "malformed-rate", "events followed by a malformed copy"},
	}
	for _, r := range rates {
		fs.Float64Var(r.p, r.name, *r.p, "fraction of "+r.help)
	}
	fs.IntVar(&c.SharedContactK, "shared-contact-k", c.SharedContactK, "K of SHARED_CONTACT the truth expects")
	fs.IntVar(&c.RecentWalletChangeDays, "recent-wallet-change-days", c.RecentWalletChangeDays, "N of RECENT_WALLET_CHANGE the truth expects")
}

// genStream picks the stream gen writes: only enrolments, about n events of
// the mixed feed, or (n = 0) every enrolment, status and configured cycle's
// payments in that order.
func genStream(g *synth.Generator, enrolmentsOnly bool, n int) iter.Seq[synth.Record] {
	switch {
	case enrolmentsOnly:
		return g.Enrolments()
	case n > 0:
		return g.Mixed(n)
	}
	return func(yield func(synth.Record) bool) {
		seqs := []iter.Seq[synth.Record]{g.Enrolments(), g.Statuses()}
		for _, c := range g.Config().Cycles {
			seqs = append(seqs, g.Payments(c))
		}
		for _, s := range seqs {
			for r := range s {
				if !yield(r) {
					return
				}
			}
		}
	}
}

// genCounts tallies a stream as it is written, for the summary.
type genCounts struct {
	events    int
	byType    map[string]int
	byPattern map[synth.Pattern]int
}

func (c *genCounts) wrap(seq iter.Seq[synth.Record]) iter.Seq[synth.Record] {
	c.byType, c.byPattern = map[string]int{}, map[synth.Pattern]int{}
	return func(yield func(synth.Record) bool) {
		for r := range seq {
			c.events++
			c.byType[string(r.Type)]++
			c.byPattern[r.Truth.Pattern]++
			if !yield(r) {
				return
			}
		}
	}
}

func cmdGen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := synth.DefaultConfig()
	fs := flag.NewFlagSet("ekjon gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cycles string
	bindSynth(fs, &cfg, &cycles)
	out := fs.String("out", "events.jsonl", "events file, one JSON event a line ('-' for stdout)")
	truthPath := fs.String("truth", "truth.jsonl", "truth file, one line per event line ('' to skip)")
	events := fs.Int("events", 0, "write about this many events of the mixed feed (enrolments, statuses, then payment cycles until reached); 0 writes every enrolment, status and configured cycle")
	enrolOnly := fs.Bool("enrolments-only", false, "write enrolments only (what eval reads)")
	style := fs.String("style", "synth", "synth: the mixed feed of benchmarks/synth; registry: enrolments as registries write them (benchmarks/registry: date and name variations, moves, hard negatives), with --persons, --seed and --reenrol-rate")
	reenrol := fs.Float64("reenrol-rate", registry.DefaultConfig().ReenrolRate, "registry style: fraction of persons enrolled again under a variation")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: ekjon gen [flags]\n\nWrites a seeded synthetic population's events as JSON lines and, line for line,\nthe truth of each (cluster id, injected pattern, expected rules): the labelled\nformat ekjon eval reads (docs/evaluation.md). Rates are fractions; defaults\nfollow DESIGN §1.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ekjon gen: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	cfg.Cycles = app.SplitList(cycles)
	if *style == "registry" {
		seq, err := registryStream(cfg, *reenrol)
		if err != nil {
			return fmt.Errorf("gen: %w", err)
		}
		return writeRegistry(ctx, seq, *out, *truthPath, cfg, stdout, stderr)
	}
	if *style != "synth" {
		return fmt.Errorf("gen: --style %q: want synth or registry", *style)
	}
	if *events < 0 {
		return errors.New("gen: --events must not be negative")
	}
	g, err := synth.New(cfg)
	if err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	var counts genCounts
	if err := writeLabelled(ctx, counts.wrap(genStream(g, *enrolOnly, *events)), *out, *truthPath, stdout); err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	summary := stdout
	if *out == "-" {
		summary = stderr
	}
	fmt.Fprintf(summary, "wrote %d events to %s", counts.events, *out)
	if *truthPath != "" {
		fmt.Fprintf(summary, " and their truth to %s", *truthPath)
	}
	fmt.Fprintf(summary, " (persons %d, seed %d)\n", cfg.Persons, cfg.Seed)
	for _, t := range []string{"enrolment", "status", "distribution"} {
		if n := counts.byType[t]; n > 0 {
			fmt.Fprintf(summary, "  %-13s %9d\n", t, n)
		}
	}
	for _, p := range []synth.Pattern{synth.PatternClean, synth.PatternDupNID, synth.PatternMultiProgramme,
		synth.PatternFuzzyDup, synth.PatternSharedPhone, synth.PatternDeceasedPaid, synth.PatternDoublePayment,
		synth.PatternWalletChange, synth.PatternWalletMismatch, synth.PatternUnknownPayee, synth.PatternMalformed} {
		if n := counts.byPattern[p]; n > 0 {
			fmt.Fprintf(summary, "  %-16s %9d\n", p, n)
		}
	}
	return nil
}

// registryStream returns the enrolments of the registry-style population
// with the seed, size and run id of the synth flags.
func registryStream(sc synth.Config, reenrol float64) (iter.Seq[synth.Record], error) {
	rc := registry.DefaultConfig()
	rc.Seed, rc.Persons, rc.ReenrolRate = sc.Seed, sc.Persons, reenrol
	if sc.RunID != synth.DefaultConfig().RunID {
		rc.RunID = sc.RunID
	}
	g, err := registry.New(rc)
	if err != nil {
		return nil, err
	}
	return g.Enrolments(), nil
}

// writeRegistry writes a registry-style population and its summary by
// kind.
func writeRegistry(ctx context.Context, seq iter.Seq[synth.Record], out, truth string, cfg synth.Config, stdout, stderr io.Writer) error {
	var counts genCounts
	if err := writeLabelled(ctx, counts.wrap(seq), out, truth, stdout); err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	summary := stdout
	if out == "-" {
		summary = stderr
	}
	fmt.Fprintf(summary, "wrote %d enrolments to %s (registry style, persons %d, seed %d)\n", counts.events, out, cfg.Persons, cfg.Seed)
	for _, k := range slices.Sorted(maps.Keys(counts.byPattern)) {
		fmt.Fprintf(summary, "  %-20s %9d\n", k, counts.byPattern[k])
	}
	return nil
}

// writeLabelled writes seq in the labelled format of benchmarks/eval: the
// events to the file named events ("-" for stdout) and, line for line, their
// truth to the file named truth ("" to skip it). When ctx ends it stops
// between events and reports the interruption.
func writeLabelled(ctx context.Context, seq iter.Seq[synth.Record], events, truth string, stdout io.Writer) error {
	var files []*os.File
	defer func() {
		for _, f := range files {
			_ = f.Close()
		}
	}()
	create := func(path string) (io.Writer, error) {
		f, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
		return f, nil
	}
	w, tw := stdout, io.Writer(nil)
	var err error
	if events != "-" {
		if w, err = create(events); err != nil {
			return err
		}
	}
	if truth != "" {
		if tw, err = create(truth); err != nil {
			return err
		}
	}
	if err := synth.WriteJSONL(w, tw, stopOn(ctx, seq)); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted: %w", err)
	}
	open := files
	files = nil
	for _, f := range open {
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

// stopOn ends seq early when ctx is cancelled, so an interrupted gen stops
// between events rather than writing half a line.
func stopOn[T any](ctx context.Context, seq iter.Seq[T]) iter.Seq[T] {
	return func(yield func(T) bool) {
		for v := range seq {
			if ctx.Err() != nil || !yield(v) {
				return
			}
		}
	}
}
