package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ekjon/ekjon/backfill"
	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/pipeline"
	"github.com/ekjon/ekjon/sinks/postgres"
	"github.com/ekjon/ekjon/sinks/postgres/pglocal"
)

const backfillUsage = `Usage: ekjon backfill [flags] FILE...

Takes an existing registry through the rules the stream decides by and
reports the duplicates already inside it. Each FILE is JSON lines of v1
enrolment events, or CSV whose header names the v1 enrolment fields
(record_id, programme, beneficiary_ref, nid, birth_reg_no, name_bn, ...);
--map names other headers. Records are decided in an order that depends on
their content only, so the duplicates found do not depend on how the file
is sorted. A run stopped at any point and started again with the same
command resumes and ends with the result of an uninterrupted run.

With --embedded it needs nothing but a PostgreSQL server (or its binaries):
it uses the demo's defaults, an embedded Redis and a database ekjon_backfill
on 127.0.0.1:5432. Otherwise it is configured like ekjon run (the Kafka
settings are not used).

`

type backfillFlags struct {
	embedded                  bool
	mapFile                   string
	clusters, report, rejects string
	source, asOf              string
	batch                     int
	progress                  string
	truth                     string
	cpuProf                   string
	perRecord                 bool
}

func cmdBackfill(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := app.DefaultConfig()
	fs := flag.NewFlagSet("ekjon backfill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := app.BindFlags(fs, &cfg, getenv); err != nil {
		return err
	}
	var o backfillFlags
	fs.BoolVar(&o.embedded, "embedded", false, "use the demo's defaults: an embedded Redis, a local PostgreSQL database ekjon_backfill, the demo's public secret")
	fs.StringVar(&o.mapFile, "map", "", "file of 'their header = v1 field' lines naming a CSV's other headers (Bangla headers too)")
	fs.StringVar(&o.clusters, "clusters", "", "write record_id,person_id,action,rule,score,matched_record_id for every record to this CSV")
	fs.StringVar(&o.report, "report", "", "write the report to this HTML file (one self-contained file)")
	fs.StringVar(&o.rejects, "rejects", "backfill-rejects.csv", "write the records that could not be taken, with file, line and reason, to this CSV")
	fs.StringVar(&o.source, "source", "backfill", "source system of CSV rows without a source column")
	fs.StringVar(&o.asOf, "as-of", "", "when CSV rows without occurred_at occurred, RFC 3339 (default: the file's modification day)")
	fs.IntVar(&o.batch, "records-per-batch", 2000, "records decided in one round trip to Redis and PostgreSQL")
	fs.StringVar(&o.truth, "truth", "", "with --clusters, score the pairs found against this truth file of ekjon gen (precision and recall)")
	fs.StringVar(&o.cpuProf, "cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	fs.BoolVar(&o.perRecord, "per-record", false, "decide against the index on Redis, a round trip a batch, as the stream does, instead of a copy of it in memory written back at the end")
	fs.StringVar(&o.progress, "progress", "auto", "progress line on stderr: auto (on a terminal), always or never")
	fs.Usage = func() {
		fmt.Fprint(stderr, backfillUsage)
		fs.PrintDefaults()
	}
	// Flags may come before or after the files.
	var files []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(files) == 0 {
		fs.Usage()
		return errUsage
	}
	if o.asOf != "" {
		if _, err := time.Parse(time.RFC3339, o.asOf); err != nil {
			return fmt.Errorf("as-of: %w", err)
		}
	}
	opts := backfill.Options{Source: o.source, AsOf: o.asOf}
	if o.mapFile != "" {
		f, err := os.Open(o.mapFile)
		if err != nil {
			return err
		}
		opts.Map, err = backfill.ParseMap(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", o.mapFile, err)
		}
	}
	log := newLogger(stderr, cfg.LogLevel)

	if o.embedded {
		cfg.HMACSecret = demoSecret
		cfg.Redis.Prefix = "ekjbackfill:"
		if u := getenv("EKJON_REDIS_URL"); u != "" {
			cfg.Redis.URL = u
		} else {
			mr, err := startRedis()
			if err != nil {
				return err
			}
			defer mr.Close()
			cfg.Redis.URL = "redis://" + mr.Addr()
		}
		dbURL, release, err := backfillDatabase(ctx, getenv, stdout)
		if err != nil {
			return err
		}
		defer release()
		cfg.Postgres.URL = dbURL
	}
	if cfg.HMACSecret == "" {
		return errors.New("hmac-secret: required (EKJON_HMAC_SECRET), the same one the workers use; or --embedded to try it on the demo's defaults")
	}
	policy, err := cfg.Policy()
	if err != nil {
		return err
	}
	if err := cfg.Rules.UsePlaces(); err != nil {
		return err
	}
	store, err := postgres.Open(ctx, cfg.Postgres.URL, int32(max(cfg.Postgres.MaxConns, 4)))
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	rdb, err := app.OpenRedis(cfg)
	if err != nil {
		return err
	}
	defer rdb.Close()
	pseudo := domain.NewPseudonymizer([]byte(cfg.HMACSecret))
	icfg := cfg.IndexConfig(policy)
	icfg.Judgements = store.Judgement
	ix := redisindex.New(rdb, pseudo, icfg)

	pcfg := pipeline.DefaultConfig()
	pcfg.Policy, pcfg.MaxEventBytes = policy, cfg.Pipeline.MaxEventBytes
	pcfg.Digest = func(content []byte) string { return pseudo.Hash("content", string(content)) }
	bcfg := backfill.Config{Files: files, Options: opts, Pipeline: pcfg, BatchSize: o.batch,
		Clusters: o.clusters, Report: o.report, Rejects: o.rejects}
	switch o.progress {
	case "always":
		bcfg.Progress = stderr
	case "auto":
		if f, ok := stderr.(*os.File); ok && backfill.IsTerminal(f) {
			bcfg.Progress = stderr
		}
	case "never":
	default:
		return fmt.Errorf("progress: %q is not auto, always or never", o.progress)
	}
	stopProfile, err := cpuProfile(o.cpuProf)
	if err != nil {
		return err
	}
	defer stopProfile()
	deps := backfill.Deps{
		Decider: ix, Recorder: store, Checkpoints: store, Log: log,
		// The index is made ready, or rebuilt, once the backfill knows
		// whether it resumes: a resumption rebuilds it in the order its
		// records were decided, and only once.
		Ready: func(ctx context.Context) error { return ensureIndex(ctx, ix, store.IndexFacts, store, log) },
		Rebuild: func(ctx context.Context, rank func(string) (int, bool)) error {
			if err := ix.Invalidate(ctx); err != nil {
				return err
			}
			return ensureIndex(ctx, ix, redisindex.InBatchOrder(store.IndexFacts, rank), store, log)
		},
	}
	if !o.perRecord {
		deps.Scratch = func(ctx context.Context) (pipeline.Decider, func(context.Context) error, func(), error) {
			six, sc, err := ix.Take(ctx)
			if err != nil {
				return nil, nil, nil, err
			}
			return six, func(ctx context.Context) error {
				n, b := sc.Size()
				log.Info("writing the index from memory to Redis", "fields", n, "MB", b>>20)
				defer sc.Close()
				return sc.Flush(ctx, store.Generation)
			}, sc.Close, nil
		}
	}
	res, err := backfill.Run(ctx, bcfg, deps)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("backfill stopped; run the same command again to go on: %w", err)
		}
		return err
	}
	if err := store.Analyze(ctx); err != nil {
		return err
	}
	printBackfill(stdout, res, bcfg)
	if o.truth != "" {
		if o.clusters == "" {
			return errors.New("truth: needs --clusters")
		}
		return pairQuality(stdout, o.clusters, o.truth)
	}
	return nil
}

// printBackfill prints a run's totals.
func printBackfill(w io.Writer, res *backfill.Result, cfg backfill.Config) {
	s := res.Summary
	fmt.Fprintf(w, "backfill: %d records in %s", s.Records, res.Took.Round(time.Millisecond))
	if res.Resumed > 0 {
		fmt.Fprintf(w, " (%d found done by an earlier run)", res.Resumed)
	}
	fmt.Fprintf(w, "\n  persons %d, records blocked or held as another's person %d, possible matches %d, rejected %d\n",
		s.Persons, s.Duplicates, s.Possible, s.Rejected)
	var acts []string
	for a, n := range s.ByAction {
		acts = append(acts, fmt.Sprintf("%s %d", a, n))
	}
	sort.Strings(acts)
	fmt.Fprintf(w, "  decisions: %s\n", strings.Join(acts, ", "))
	var kinds []string
	for k, n := range s.ByKind {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(kinds)
	if len(kinds) > 0 {
		fmt.Fprintf(w, "  duplicates: %s\n", strings.Join(kinds, ", "))
	}
	for _, f := range []struct{ what, path string }{{"clusters", cfg.Clusters}, {"report", cfg.Report}, {"rejects", cfg.Rejects}} {
		if f.path != "" {
			fmt.Fprintf(w, "  %s: %s\n", f.what, f.path)
		}
	}
}

// ensureIndex rebuilds the index from the record's facts unless it can be
// decided against, as ekjon run does before its workers start.
func ensureIndex(ctx context.Context, ix *redisindex.Index, facts redisindex.Facts, store *postgres.Store, log *slog.Logger) error {
	for {
		reason, err := ix.Verify(ctx, store.Generation)
		if err != nil {
			return err
		}
		if reason == "" {
			return nil
		}
		start := time.Now()
		n, rebuilt, err := ix.Rebuild(ctx, store.BeginRebuild, facts)
		if err != nil {
			return fmt.Errorf("rebuild index: %w", err)
		}
		if rebuilt {
			log.Info("rebuilt the matching index from the record", "reason", reason, "facts", n, "took", time.Since(start).Round(time.Millisecond))
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// backfillDatabase returns the database an embedded backfill records
// into: EKJON_DATABASE_URL as given, else ekjon_backfill on the local
// server (created if missing, never dropped: a second run of the same
// command resumes or finds the work done), else a private server that
// lives as long as the command.
func backfillDatabase(ctx context.Context, getenv func(string) string, stdout io.Writer) (string, func(), error) {
	if u := getenv("EKJON_DATABASE_URL"); u != "" {
		return u, func() {}, nil
	}
	port := getenv("PGPORT")
	if port == "" {
		port = "5432"
	}
	users := []string{"postgres"}
	if u := getenv("USER"); u != "" && u != "postgres" {
		users = append(users, u)
	}
	for _, user := range users {
		admin := fmt.Sprintf("postgres://%s@127.0.0.1:%s/postgres?sslmode=disable&connect_timeout=3", url.PathEscape(user), port)
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		conn, err := pgx.Connect(cctx, admin)
		cancel()
		if err != nil {
			continue
		}
		var exists bool
		err = conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'ekjon_backfill')").Scan(&exists)
		if err == nil && !exists {
			_, err = conn.Exec(ctx, "CREATE DATABASE ekjon_backfill")
		}
		conn.Close(context.WithoutCancel(ctx))
		if err != nil {
			return "", nil, fmt.Errorf("preparing the backfill database: %w", err)
		}
		u, _ := url.Parse(admin)
		u.Path = "/ekjon_backfill"
		return u.String(), func() {}, nil
	}
	srv, err := pglocal.Start(ctx, pglocal.Config{})
	if err != nil {
		return "", nil, errors.New(noPostgres)
	}
	fmt.Fprintf(stdout, "ekjon backfill: no PostgreSQL answers on 127.0.0.1:%s; using a private one in %s (removed on exit)\n", port, srv.Dir())
	return srv.URL(), func() { _ = srv.Stop() }, nil
}
