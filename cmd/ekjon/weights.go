package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/score"
	"github.com/ekjon/ekjon/sinks/postgres"
)

// cmdWeights estimates the matcher's m and u from reviewers' rulings (same
// person, or not) on the record, prints them beside the policy's and
// writes the levels they change as a policy file's match_weights, for an
// operator to adopt under a new policy version.
func cmdWeights(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := app.DefaultConfig()
	fs := flag.NewFlagSet("ekjon weights", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := app.BindFlags(fs, &cfg, getenv); err != nil {
		return err
	}
	prior := fs.Float64("prior", 30, "how many rulings the policy's own m and u are worth: the larger, the less a few rulings move them")
	out := fs.String("out", "", "write the match_weights section (YAML) to this file instead of standard output")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: ekjon weights [--prior N] [--out FILE] [ekjon run's flags]\n\n"+
			"Reads every pair reviewers ruled the same person or not, compares their records\n"+
			"at each comparison level of the matcher and updates each level's m from the pairs\n"+
			"ruled one person, with the policy's m as a prior worth --prior pairs; u is kept,\n"+
			"since pairs that reached a reviewer agree far more than random pairs do. Prints\n"+
			"the levels and the rulings' scores under both, then a match_weights section to\n"+
			"add to a policy file (with a new version).\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	cfg.NoteExplicit(fs)
	if !(*prior > 0) {
		return errors.New("weights: --prior must be above 0")
	}
	if cfg.HMACSecret == "" {
		return errors.New("hmac-secret: required (EKJON_HMAC_SECRET), the same one the workers use, to compare phones and NIDs")
	}
	policy, err := cfg.Policy()
	if err != nil {
		return err
	}
	base := cfg.Fuzzy.Config(policy).Model
	store, err := postgres.Open(ctx, cfg.Postgres.URL, 2)
	if err != nil {
		return err
	}
	defer store.Close()

	pseudo := domain.NewPseudonymizer([]byte(cfg.HMACSecret))
	var rulings []score.Ruled
	err = store.Rulings(ctx, func(r postgres.Ruling) error {
		a := fuzzy.ProfileOf(&r.A, r.AID, pseudo).Record
		b := fuzzy.ProfileOf(&r.B, r.BID, pseudo).Record
		rulings = append(rulings, score.Ruled{A: &a, B: &b, Same: r.Same})
		return nil
	})
	if err != nil {
		return err
	}
	same := 0
	for _, r := range rulings {
		if r.Same {
			same++
		}
	}
	fmt.Fprintf(stdout, "rulings: %d (%d the same person, %d not); prior worth %g rulings per field; policy %s\n\n",
		len(rulings), same, len(rulings)-same, *prior, policy.Version)
	if len(rulings) == 0 {
		return errors.New("weights: no rulings on record to learn from")
	}
	updated, ups := score.UpdateFromRulings(base, rulings, *prior)

	tw := tabwriter.NewWriter(stdout, 0, 2, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "field\tlevel\tsame\tnot same\tm now\tm new\tu\tbits now\tbits new\t")
	for _, u := range ups {
		if u.FieldSame+u.FieldNotSame == 0 {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%d/%d\t%.4f\t%.4f\t%.4f\t%+.2f\t%+.2f\t\n", u.Field, u.Level,
			u.Same, u.FieldSame, u.NotSame, u.FieldNotSame, u.Current.M, u.Updated.M, u.Current.U,
			u.Current.Weight(), u.Updated.Weight())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nthe rulings scored (the same pairs the update learnt from, so an upper bound):\n")
	for _, m := range []struct {
		name string
		m    score.Model
	}{{"now", base}, {"new", updated}} {
		var sameHold, sameReview, otherHold, otherReview int
		for _, r := range rulings {
			q := m.m.Query(r.A, nil)
			total := q.Score(r.B).Total
			switch {
			case r.Same && total >= m.m.Hold:
				sameHold++
			case r.Same && total >= m.m.Review:
				sameReview++
			case !r.Same && total >= m.m.Hold:
				otherHold++
			case !r.Same && total >= m.m.Review:
				otherReview++
			}
		}
		fmt.Fprintf(stdout, "  %s: same person held %d, alerted %d, of %d; two persons held %d, alerted %d, of %d\n",
			m.name, sameHold, sameReview, same, otherHold, otherReview, len(rulings)-same)
	}

	var section bytes.Buffer
	fmt.Fprintf(&section, "# m and u updated from %d reviewers' rulings (ekjon weights, prior %g); add to the policy file\n"+
		"# with a new version, check it with ekjon policy check, and measure it with ekjon eval --policy-file.\nmatch_weights:\n",
		len(rulings), *prior)
	for _, u := range ups {
		if u.Updated == u.Current {
			continue
		}
		fmt.Fprintf(&section, "  - {field: %s, level: %s, m: %.6g, u: %.6g}\n", u.Field, u.Level, u.Updated.M, u.Updated.U)
	}
	if *out == "" {
		fmt.Fprintln(stdout)
		_, err := stdout.Write(section.Bytes())
		return err
	}
	if err := os.WriteFile(*out, section.Bytes(), 0o644); err != nil {
		return fmt.Errorf("weights: %w", err)
	}
	fmt.Fprintf(stdout, "\nmatch_weights written to %s\n", *out)
	return nil
}
