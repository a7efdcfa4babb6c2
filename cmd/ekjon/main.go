// Command ekjon screens social-protection enrolments and payments: it reads
// events from Kafka, decides each against a Redis index, records the
// decision in PostgreSQL and publishes it. See the README.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
)

const usage = `ekjon — one person, one benefit.

Usage:
  ekjon demo      [flags]   run everything in one process on embedded defaults
  ekjon run       [flags]   the production worker and API (see ekjon run --help)
  ekjon check     [flags]   the start-up checks of ekjon run alone, each with ok/WARN/FAIL and a remedy
  ekjon migrate   [flags]   apply the record's schema migrations
  ekjon reindex   [flags]   rebuild the Redis matching index from the record
  ekjon replay    [flags]   write dead letters back to the input topics after a fix
  ekjon backfill  [flags] FILE...  load an existing registry, find the duplicates inside it, report them
  ekjon user      add|token|disable  add a reviewer (the first must be an admin), make or
                            revoke an API token, or disable a user
  ekjon gen       [flags]   synthetic Bangladeshi events with ground truth
  ekjon eval      [flags]   precision and recall of the matcher on labelled data
  ekjon weights   [flags]   the matcher's m and u updated from reviewers' rulings, as policy match_weights
  ekjon bench     [flags]   ekjon against a PostgreSQL-only baseline, as the index grows
  ekjon broker    [flags]   a Kafka-protocol broker with ekjon's topics, for development and tests
  ekjon settings            print every setting with its variable and default
  ekjon policy    check FILE|default  check a policy file (programmes, eligibility, rules),
                            or print the embedded one
  ekjon places    check FILE  check a places file (upazilas and unions by BBS code)

Run 'ekjon COMMAND --help' for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errUsage) && !errors.Is(err, errPolicy) && !errors.Is(err, errPlaces) {
			fmt.Fprintln(os.Stderr, "ekjon:", err)
		}
		os.Exit(2)
	}
}

var errUsage = errors.New("usage")

// run dispatches a command line; main stays thin so tests can drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "demo":
		return cmdDemo(ctx, rest, getenv, stdout, stderr)
	case "run":
		return cmdRun(ctx, rest, getenv, stderr)
	case "check":
		return cmdCheck(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return cmdMigrate(ctx, rest, getenv, stdout, stderr)
	case "replay":
		return cmdReplay(ctx, rest, getenv, stdout, stderr)
	case "backfill":
		return cmdBackfill(ctx, rest, getenv, stdout, stderr)
	case "reindex":
		return cmdReindex(ctx, rest, getenv, stdout, stderr)
	case "user":
		return cmdUser(ctx, rest, getenv, stdout, stderr)
	case "gen":
		return cmdGen(ctx, rest, stdout, stderr)
	case "eval":
		return cmdEval(ctx, rest, stdout, stderr)
	case "weights":
		return cmdWeights(ctx, rest, getenv, stdout, stderr)
	case "bench":
		return cmdBench(ctx, rest, getenv, stdout, stderr)
	case "broker":
		return cmdBroker(ctx, rest, getenv, stdout, stderr)
	case "policy":
		return cmdPolicy(ctx, rest, stdout, stderr)
	case "places":
		return cmdPlaces(ctx, rest, stdout, stderr)
	case "settings":
		app.WriteSettings(stdout)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "ekjon: unknown command %q\n\n%s", cmd, usage)
	return errUsage
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
