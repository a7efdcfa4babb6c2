package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/sinks/postgres"
)

// parseConfig reads the settings of a command from flags and environment.
func parseConfig(name string, args []string, getenv func(string) string, stderr io.Writer, more ...func(*flag.FlagSet)) (app.Config, error) {
	cfg := app.DefaultConfig()
	fs := flag.NewFlagSet("ekjon "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := app.BindFlags(fs, &cfg, getenv); err != nil {
		return cfg, err
	}
	for _, bind := range more {
		bind(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: ekjon %s [flags]\n\nEvery flag can also be set by the EKJON_* variable in brackets, or in a file\nof EKJON_NAME=value lines named by EKJON_CONFIG.\n\n", name)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, errUsage
		}
		return cfg, errUsage
	}
	cfg.NoteExplicit(fs)
	return cfg, nil
}

func cmdRun(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := parseConfig("run", args, getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	if err := app.Preflight(ctx, cfg, log); err != nil {
		return err
	}
	a, err := app.New(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	log.Info("ekjon running", "http", a.HTTPAddr, "brokers", cfg.Kafka.Brokers, "group", cfg.Kafka.Group, "consumers", cfg.Pipeline.Consumers)
	return a.Run(ctx)
}

func cmdMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var link bool
	cfg, err := parseConfig("migrate", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&link, "link-history", false, "also give a record kept before persons were clusters (migration 0012) the edges of its FUZZY_PERSON decisions and reviewers' rulings; safe to run again")
	})
	if err != nil {
		return err
	}
	store, err := postgres.Open(ctx, cfg.Postgres.URL, 2)
	if err != nil {
		return err
	}
	defer store.Close()
	applied, err := store.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "migrations applied: %d %v\n", len(applied), applied)
	if link {
		start := time.Now()
		n, err := store.LinkHistory(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "history linked: %d edges in %s\n", n, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

func cmdReindex(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig("reindex", args, getenv, stderr)
	if err != nil {
		return err
	}
	if cfg.HMACSecret == "" {
		return errors.New("hmac-secret: required (EKJON_HMAC_SECRET), the same one the workers use")
	}
	policy, err := cfg.Policy()
	if err != nil {
		return err
	}
	store, err := postgres.Open(ctx, cfg.Postgres.URL, 2)
	if err != nil {
		return err
	}
	defer store.Close()
	rdb, err := app.OpenRedis(cfg)
	if err != nil {
		return err
	}
	defer rdb.Close()
	ix := redisindex.New(rdb, domain.NewPseudonymizer([]byte(cfg.HMACSecret)), cfg.IndexConfig(policy))
	start := time.Now()
	n, rebuilt, err := ix.Rebuild(ctx, store.BeginRebuild, store.IndexFacts)
	if err != nil {
		return err
	}
	if !rebuilt {
		return errors.New("another process is rebuilding the index; try again when it is done")
	}
	fmt.Fprintf(stdout, "index rebuilt: %d facts in %s\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}
