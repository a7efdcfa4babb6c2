package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
)

// errChecksFailed makes `ekjon check` exit non-zero once it has printed
// the failures.
var errChecksFailed = errors.New("start-up checks failed")

// cmdCheck runs the start-up checks of `ekjon run` alone, with the same
// settings, and prints each with ok, WARN or FAIL and what to change. It
// fails when any check failed.
func cmdCheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig("check", args, getenv, stderr)
	if err != nil {
		return err
	}
	results := app.Checks(ctx, cfg, app.ForCheck)
	tw := tabwriter.NewWriter(stdout, 0, 2, 2, ' ', 0)
	failures := 0
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Status, r.Name, r.Message())
		if r.Status == app.CheckFail {
			failures++
		}
	}
	tw.Flush()
	if failures > 0 {
		return fmt.Errorf("%w: %d of %d", errChecksFailed, failures, len(results))
	}
	return nil
}
