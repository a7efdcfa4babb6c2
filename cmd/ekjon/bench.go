package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/ekjon/ekjon/benchmarks"
	"github.com/ekjon/ekjon/benchmarks/baseline"
	"github.com/ekjon/ekjon/benchmarks/eval"
	"github.com/ekjon/ekjon/benchmarks/synth"
	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/pipeline"
	"github.com/ekjon/ekjon/pipeline/kafka"
	"github.com/ekjon/ekjon/sinks/postgres"
)

type benchOptions struct {
	persons    []int
	events     int
	seed       int64
	consumers  int
	batchSize  int
	partitions int
	pgAdmin    string
	database   string
	redisURL   string
	prefix     string
	report     string
	chart      string
	cpuProf    string
	paydayProf string
	memProf    string
	skipBase   bool
	fixedRate  float64
	baseUpTo   int
	logLevel   string
	payday     bool
	paydayOnly bool
	drive      int
	brokerBin  string
	// scans, when above 0, runs the scan benchmark alone after the load.
	scans            int
	scanRate         float64
	scanDistributors int
	scanPasses       int
	dbMaxConns       int
	scanGroupSize    int
	scanGroups       int
}

func cmdBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o := benchOptions{}
	fs := flag.NewFlagSet("ekjon bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	persons := fs.String("persons", "1000000", "registry sizes to run, comma-separated (e.g. 100000,1000000,5000000)")
	fs.IntVar(&o.events, "events", 20_000, "events per run (two runs per size: at max, then at half the max)")
	fs.Int64Var(&o.seed, "seed", 1, "seed of the synthetic population")
	fs.IntVar(&o.consumers, "consumers", app.DefaultConfig().Pipeline.Consumers, "consumer-group members, for ekjon and the baseline alike")
	fs.IntVar(&o.batchSize, "batch-size", app.DefaultConfig().Pipeline.BatchSize, "most events a consumer decides in one batch, for both systems")
	fs.IntVar(&o.partitions, "partitions", 6, "partitions per topic on the embedded brokers")
	fs.StringVar(&o.pgAdmin, "pg", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL server (any database): the bench creates the --database databases afresh")
	fs.StringVar(&o.database, "database", "ekjon_bench", "name of ekjon's database; the baseline's is this with _baseline")
	fs.StringVar(&o.redisURL, "redis-url", "redis://127.0.0.1:6379/13", "Redis of ekjon's index; keys under --redis-prefix are deleted before and after")
	fs.StringVar(&o.prefix, "redis-prefix", "ekjbench:", "prefix of the benchmark's index keys")
	fs.StringVar(&o.report, "report", "", "append the run's tables to this markdown file (e.g. benchmarks/README.md)")
	fs.StringVar(&o.chart, "chart", "", "write the scale chart to this PNG file")
	fs.StringVar(&o.cpuProf, "cpuprofile", "", "write a CPU profile of ekjon's max run (at the last size) to this file")
	fs.StringVar(&o.paydayProf, "payday-cpuprofile", "", "write a CPU profile of ekjon in each payday phase to this path with the phase's name before the extension (e.g. /tmp/p.pprof gives /tmp/p-enrolment-drive.pprof)")
	fs.StringVar(&o.memProf, "memprofile", "", "write an allocation profile after ekjon's max run (at the last size) to this file")
	fs.BoolVar(&o.skipBase, "skip-baseline", false, "run ekjon only")
	fs.Float64Var(&o.fixedRate, "fixed-rate", 0, "offered rate of run 2 in events/s, the same for every system and size (0: half the max run's rate; the report's half-max rows are then at this rate): compares latencies at one load on a busy machine")
	fs.IntVar(&o.baseUpTo, "baseline-up-to", 0, "run the baseline only at sizes up to this many persons (0: at every size); it takes hours at millions")
	fs.StringVar(&o.logLevel, "log-level", "warn", "debug, info, warn or error")
	fs.BoolVar(&o.payday, "payday", true, "after the runs, decide a payment cycle of the whole registry and an enrolment drive, each on its own, with the broker in a process of its own")
	fs.BoolVar(&o.paydayOnly, "payday-only", false, "after the bulk load, run the payday alone, without the two runs, the baseline and the accuracy")
	fs.StringVar(&o.brokerBin, "broker-bin", "", "the ekjon binary whose broker command the payday runs (default: this one)")
	fs.IntVar(&o.drive, "drive", 0, "new persons of the payday's enrolment drive (0: the larger of --events and a tenth of the registry)")
	fs.IntVar(&o.scans, "scans", 0, "run only the scan benchmark after the bulk load (which then issues cards): this many scans through the scan API and as many card_qr distributions through Kafka, side by side")
	fs.Float64Var(&o.scanRate, "scan-rate", 500, "offered rate of the scan benchmark, scans a second, for both paths")
	fs.IntVar(&o.dbMaxConns, "db-max-conns", app.DefaultConfig().Postgres.MaxConns, "PostgreSQL connections of ekjon's process, as ekjon run --db-max-conns")
	fs.IntVar(&o.scanGroupSize, "scan-group-size", app.DefaultConfig().Pipeline.ScanGroupSize, "most scans decided together, as ekjon run --scan-group-size")
	fs.IntVar(&o.scanGroups, "scan-groups", app.DefaultConfig().Pipeline.ScanGroups, "groups of scans under way at once, as ekjon run --scan-groups")
	fs.IntVar(&o.scanPasses, "scan-passes", 2, "times the scan benchmark measures both paths, one after the other, on the same registry (each for cycles of its own)")
	fs.IntVar(&o.scanDistributors, "scan-distributors", 0, "distributors of the scan benchmark (0: enough that none exceeds the DISTRIBUTOR_VELOCITY limit)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if o.scans > 0 {
		if o.scanRate <= 0 {
			return errors.New("scan-rate: above 0")
		}
		o.payday, o.paydayOnly, o.skipBase = false, false, true
	}
	for _, s := range app.SplitList(*persons) {
		n, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
		if err != nil || n < 1 || n > synth.MaxPersons/2 {
			return fmt.Errorf("persons: %q is not a size from 1 to %d", s, synth.MaxPersons/2)
		}
		o.persons = append(o.persons, n)
	}
	if !regexp.MustCompile(`^[a-z_][a-z0-9_]{0,40}$`).MatchString(o.database) {
		return fmt.Errorf("database: %q is not a plain lower-case name", o.database)
	}
	if o.batchSize < 1 || o.consumers < 1 {
		return errors.New("batch-size and consumers: at least 1")
	}
	if o.paydayOnly {
		o.payday, o.skipBase = true, true
	}
	if o.events < 100 {
		return errors.New("events: at least 100")
	}
	log := newLogger(stderr, o.logLevel)
	rep := &benchmarks.Report{Machine: benchmarks.Machine(), Date: time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		Commit: gitCommit(), Command: "ekjon bench " + strings.Join(args, " "), Events: o.events}
	rep.Notes = benchNotes
	if o.scans > 0 {
		rep.Notes, rep.Events = []string{scanNote}, 0
	}
	if o.payday {
		rep.Notes = append(rep.Notes[:len(rep.Notes):len(rep.Notes)], paydayNote)
	}
	// Each size is written as soon as it is measured, so that a long
	// curve that fails at its largest size keeps what it measured.
	tables := stdout
	var file *os.File
	if o.report != "" {
		f, err := os.OpenFile(o.report, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		file, tables = f, io.MultiWriter(stdout, f)
	}
	rep.WriteHeader(tables)
	for i, p := range o.persons {
		last := i == len(o.persons)-1
		res, err := benchSize(ctx, o, p, last, log, stdout)
		if err != nil {
			return fmt.Errorf("bench at %d persons: %w", p, err)
		}
		rep.Sizes = append(rep.Sizes, res)
		if !o.paydayOnly && res.Scans == nil {
			res.WriteMarkdown(tables)
		}
		if res.Scans != nil {
			res.Scans.WriteMarkdown(tables)
		}
		if res.Payday != nil {
			res.Payday.WriteMarkdown(tables)
		}
		if o.chart != "" {
			if err := writeChart(o.chart, rep); err != nil {
				return err
			}
		}
	}
	rep.WriteNotes(tables)
	if file != nil {
		return file.Close()
	}
	return nil
}

func writeChart(path string, rep *benchmarks.Report) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := benchmarks.WriteChart(f, rep.Panels()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var benchNotes = []string{
	"Both systems read the same events from an in-process Kafka broker (one broker each, same topics and partitions), in consumer groups of the same size, and publish their decisions back to it.",
	"Latency runs from the event's Kafka timestamp to the moment its batch's decisions are durable (ekjon: once the batch is also published, so an upper bound; baseline: at commit). In the max run all events are produced before the consumers start, so its latency is mostly time spent queued.",
	"CPU is this process (workers and broker) plus the Redis server plus every postgres process, over the max run.",
	"Redis bytes per person: used_memory after the bulk load minus before, over P, with the index's bucket bits sized for P (`redisindex.BucketBitsFor`) and Redis's hash-max-listpack-entries and hash-max-listpack-value at 1024 (set by the bench, as in deploy/redis.conf). PostgreSQL bytes per person: database size after the load minus before, over P.",
	"Accuracy is over both runs' events: recorded rule codes against the generator's expected rules (POSSIBLE_PERSON is a reviewer alert, shown per rule but not scored overall).",
}

// benchDB drops and creates a database, returning a pool on it.
func benchDB(ctx context.Context, admin, name string) (*pgxpool.Pool, string, error) {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return nil, "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, q := range []string{"DROP DATABASE IF EXISTS " + name + " WITH (FORCE)", "CREATE DATABASE " + name} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return nil, "", err
		}
	}
	cfg := conn.Config()
	url := fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
	pool, err := pgxpool.New(ctx, url)
	return pool, url, err
}

// clearPrefix deletes the benchmark's keys, and only those.
func clearPrefix(ctx context.Context, rdb *redis.Client, prefix string) error {
	iter := rdb.Scan(ctx, 0, prefix+"*", 5000).Iterator()
	pipe := rdb.Pipeline()
	for iter.Next(ctx) {
		pipe.Unlink(ctx, iter.Val())
		if pipe.Len() >= 5000 {
			if _, err := pipe.Exec(ctx); err != nil {
				return err
			}
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	_, err := pipe.Exec(ctx)
	return err
}

func benchSize(ctx context.Context, o benchOptions, persons int, last bool, log *slog.Logger, out io.Writer) (benchmarks.SizeResult, error) {
	res := benchmarks.SizeResult{Persons: persons}
	res.Ekjon.System, res.Baseline.System = "ekjon", "baseline"
	runBase := !o.skipBase && (o.baseUpTo == 0 || persons <= o.baseUpTo)
	res.Ekjon.Ran, res.Baseline.Ran = true, runBase
	fmt.Fprintf(out, "== P = %d persons, %d events per run\n", persons, o.events)

	cfg := app.DefaultConfig()
	cfg.HMACSecret, cfg.Pipeline.Consumers, cfg.LogLevel, cfg.Pipeline.BatchSize = demoSecret, o.consumers, o.logLevel, o.batchSize
	cfg.Kafka.Group, cfg.Redis.URL, cfg.Redis.Prefix, cfg.HTTP.Addr = "bench-ekjon", o.redisURL, o.prefix, "127.0.0.1:0"
	cfg.Postgres.MaxConns = o.dbMaxConns
	cfg.Pipeline.ScanGroupSize, cfg.Pipeline.ScanGroups = o.scanGroupSize, o.scanGroups
	// The index is sized for the registry, as a deployment would size it.
	cfg.Redis.IndexBucketBits = redisindex.BucketBitsFor(persons)
	policy, err := cfg.Policy()
	if err != nil {
		return res, err
	}
	pseudo := domain.NewPseudonymizer([]byte(cfg.HMACSecret))

	// Fresh stores.
	epool, eurl, err := benchDB(ctx, o.pgAdmin, o.database)
	if err != nil {
		return res, fmt.Errorf("ekjon database: %w", err)
	}
	defer epool.Close()
	cfg.Postgres.URL = eurl
	if _, err := postgres.Migrate(ctx, epool); err != nil {
		return res, err
	}
	bpool, _, err := benchDB(ctx, o.pgAdmin, o.database+"_baseline")
	if err != nil {
		return res, fmt.Errorf("baseline database: %w", err)
	}
	defer bpool.Close()
	if err := baseline.Create(ctx, bpool); err != nil {
		return res, err
	}
	ropt, err := redis.ParseURL(o.redisURL)
	if err != nil {
		return res, err
	}
	rdb := redis.NewClient(ropt)
	defer rdb.Close()
	if err := clearPrefix(ctx, rdb, o.prefix); err != nil {
		return res, fmt.Errorf("clear redis: %w", err)
	}
	defer clearPrefix(context.WithoutCancel(ctx), rdb, o.prefix)
	// The listpack settings of deploy/redis.conf, which the index's
	// buckets need to stay compact.
	for name, v := range redisindex.ListpackSettings() {
		if err := rdb.ConfigSet(ctx, name, strconv.Itoa(v)).Err(); err != nil {
			return res, fmt.Errorf("redis: %w", err)
		}
	}
	ix := redisindex.New(rdb, pseudo, cfg.IndexConfig(policy))
	fmt.Fprintf(out, "index bucket bits %d\n", cfg.Redis.IndexBucketBits)

	// Workload.
	t := time.Now()
	w, err := benchmarks.NewWorkload(o.seed, persons, o.events)
	if err != nil {
		return res, err
	}
	// The scan benchmark scans the registry only.
	var runs [2][]synth.Record
	if o.scans == 0 {
		runs = [2][]synth.Record{w.Run(0), w.Run(1)}
		fmt.Fprintf(out, "  generated runs of %d and %d events in %s\n", len(runs[0]), len(runs[1]), time.Since(t).Round(time.Millisecond))
	}

	// Bulk preload.
	redisBefore, _ := benchmarks.RedisMemory(ctx, rdb)
	eSizeBefore, _ := benchmarks.DatabaseSize(ctx, epool)
	bSizeBefore, _ := benchmarks.DatabaseSize(ctx, bpool)
	t = time.Now()
	fates, statuses := benchmarks.Fates(w.PreloadStatuses(), policy)
	el := benchmarks.NewEkjonLoader(ix, epool, policy.Version, fates)
	el.IssueCards = o.scans > 0
	bl := baseline.NewLoader(bpool, pseudo)
	var blTime time.Duration
	n := 0
	add := func(d benchmarks.Decoded) error {
		n++
		if err := el.Add(ctx, d); err != nil {
			return err
		}
		if !runBase {
			return nil
		}
		bt := time.Now()
		defer func() { blTime += time.Since(bt) }()
		if d.Event == nil {
			bl.AddDecision(d.Record.EventID, domain.ActionRejected, d.Record.Truth.Rules, "")
			return nil
		}
		if d.Event.Type == domain.TypeStatus {
			bl.AddDecision(d.Event.EventID, domain.ActionAdmit, nil, "")
			return nil
		}
		tr := d.Record.Truth
		f := fates[d.Event.Person.NID]
		if d.Event.Person.NID == "" {
			f = nil
		}
		state := map[domain.Action]string{domain.ActionAdmit: "active", domain.ActionHold: "held"}[tr.Action]
		wallet := d.Event.Person.Wallet
		var bp baseline.Person
		if f != nil {
			bp = baseline.Person{Deceased: f.DeadEvent != "", WalletAt: f.WalletAt}
			if state != "" {
				state = f.State(d.Event.Programme, state)
				if f.Wallet != "" {
					wallet = f.Wallet
				}
			}
		}
		return bl.AddEnrolment(d.Event, tr.Action, tr.Rules, state, wallet, bp)
	}
	for r := range w.PreloadEnrolments() {
		if err := add(benchmarks.Decode(r, policy)); err != nil {
			return res, err
		}
		if el.Pending() >= 20_000 {
			if err := el.Flush(ctx); err != nil {
				return res, err
			}
			if runBase {
				bt := time.Now()
				if err := bl.Flush(ctx); err != nil {
					return res, err
				}
				blTime += time.Since(bt)
			}
		}
	}
	for _, d := range statuses {
		if err := add(d); err != nil {
			return res, err
		}
	}
	// The preloaded index is a generation of its own, as a rebuilt one
	// is: the fresh record has begun none.
	if err := el.Close(ctx, postgres.NewStore(epool).BeginRebuild); err != nil {
		return res, err
	}
	if runBase {
		bt := time.Now()
		if err := bl.Close(ctx); err != nil {
			return res, err
		}
		blTime += time.Since(bt)
	}
	total := time.Since(t)
	res.Ekjon.LoadSeconds = (el.Redis + el.Postgres).Seconds()
	res.Baseline.LoadSeconds = blTime.Seconds()
	redisAfter, _ := benchmarks.RedisMemory(ctx, rdb)
	eSize, _ := benchmarks.DatabaseSize(ctx, epool)
	bSize, _ := benchmarks.DatabaseSize(ctx, bpool)
	res.Ekjon.RedisPerPerson = float64(redisAfter-redisBefore) / float64(persons)
	res.Ekjon.PGPerPerson = float64(eSize-eSizeBefore) / float64(persons)
	res.Baseline.PGPerPerson = float64(bSize-bSizeBefore) / float64(persons)
	fmt.Fprintf(out, "  preloaded %d registry events in %s (ekjon: redis %s, postgres %s; baseline %s; the rest is generating and decoding)\n",
		n, total.Round(time.Millisecond), el.Redis.Round(time.Millisecond), el.Postgres.Round(time.Millisecond), blTime.Round(time.Millisecond))
	fmt.Fprintf(out, "  redis %.0f B/person, ekjon postgres %.0f B/person, baseline postgres %.0f B/person\n",
		res.Ekjon.RedisPerPerson, res.Ekjon.PGPerPerson, res.Baseline.PGPerPerson)
	// A registry in service has its planner statistics, which autovacuum
	// keeps; a bulk load leaves none until autovacuum analyzes the tables,
	// which on a server with autovacuum off is never. Without them the
	// planner reads whole tables for look-ups of a few keys (the persons'
	// homes of a batch of distributions took 0.6 s at a million).
	at := time.Now()
	if err := postgres.NewStore(epool).Analyze(ctx); err != nil {
		return res, fmt.Errorf("analyze: %w", err)
	}
	fmt.Fprintf(out, "  analyzed ekjon's tables in %s\n", time.Since(at).Round(time.Millisecond))

	if o.scans > 0 {
		holders := el.Holders()
		res.Scans, err = benchScans(ctx, o, cfg, holders, el.Cards(), epool, rdb, log, out)
		if err != nil {
			return res, fmt.Errorf("scans: %w", err)
		}
		res.Scans.Persons = persons
		return res, nil
	}
	if o.paydayOnly {
		res.Payday, err = benchPayday(ctx, o, cfg, w, epool, rdb, log, out)
		if err != nil {
			return res, fmt.Errorf("payday: %w", err)
		}
		return res, nil
	}

	// ekjon, end to end.
	if err := benchEkjon(ctx, o, cfg, runs, &res.Ekjon, last, rdb, log, out); err != nil {
		return res, fmt.Errorf("ekjon: %w", err)
	}
	if runBase {
		if err := benchBaseline(ctx, o, cfg, policy, pseudo, bpool, runs, &res.Baseline, rdb, log, out); err != nil {
			return res, fmt.Errorf("baseline: %w", err)
		}
	}

	// Accuracy.
	truth := benchmarks.Truths(runs[0], runs[1])
	ids := make([]string, 0, len(truth))
	for id := range truth {
		ids = append(ids, id)
	}
	for _, s := range []struct {
		r     *benchmarks.SystemResult
		pool  *pgxpool.Pool
		table string
	}{{&res.Ekjon, epool, "decisions"}, {&res.Baseline, bpool, "bl_decisions"}} {
		if !s.r.Ran {
			continue
		}
		rules, actions, err := benchmarks.ReadDecisions(ctx, s.pool, s.table, ids)
		if err != nil {
			return res, err
		}
		s.r.Accuracy = benchmarks.Score(truth, rules, actions)
		if s.r == &res.Ekjon {
			recs := slices.Collect(w.PreloadEnrolments())
			loaded := len(recs)
			recs = append(append(recs, runs[0]...), runs[1]...)
			ds, err := benchmarks.ReadDecided(ctx, s.pool, recs, loaded)
			if err != nil {
				return res, err
			}
			p := eval.CountPairs(ds)
			s.r.Pairs = &p
			fmt.Fprintf(out, "  ekjon    pair-level: %d re-enrolments, recall %.4f (held %.4f), FUZZY_PERSON precision %.4f, POSSIBLE_PERSON precision %.4f\n",
				p.Due, p.Recall(), p.HoldRecall(), p.HoldPrecision(), p.AlertPrecision())
		}
		fmt.Fprintf(out, "  %-8s precision %.4f recall %.4f F1 %.4f (%d events, %d without decision)\n", s.r.System,
			s.r.Accuracy.Overall.Precision(), s.r.Accuracy.Overall.Recall(), s.r.Accuracy.Overall.F1(), s.r.Accuracy.Events, s.r.Accuracy.Missing)
	}
	if o.payday {
		if res.Payday, err = benchPayday(ctx, o, cfg, w, epool, rdb, log, out); err != nil {
			return res, fmt.Errorf("payday: %w", err)
		}
	}
	return res, nil
}

// tracker counts decisions and their latencies as a system makes them.
type tracker struct {
	decided atomic.Int64
	firstAt atomic.Int64 // unix nanos of the first decision of the phase
	firstN  atomic.Int64
	lastAt  atomic.Int64
	mu      sync.Mutex
	lat     *benchmarks.Latencies
	byKind  map[domain.EventType]*benchmarks.Latencies // "" for events rejected undecoded
	points  []progress                                 // the run's decisions as they became durable
	changed chan struct{}
}

// progress is how many events of a run were decided by a moment.
type progress struct {
	at      time.Time
	decided int64
}

func newTracker() *tracker {
	return &tracker{lat: &benchmarks.Latencies{}, changed: make(chan struct{}, 1)}
}

func (t *tracker) reset() {
	t.mu.Lock()
	t.lat = &benchmarks.Latencies{}
	t.byKind = nil
	t.points = nil
	t.mu.Unlock()
	t.decided.Store(0)
	t.firstAt.Store(0)
	t.firstN.Store(0)
}

func (t *tracker) observe(outs []domain.Outcome, at time.Time) {
	var n int64
	lat := make([]float64, 0, len(outs))
	kinds := make([]domain.EventType, 0, len(outs))
	for i := range outs {
		if outs[i].Redelivered {
			continue
		}
		n++
		if !outs[i].Origin.Time.IsZero() {
			lat = append(lat, at.Sub(outs[i].Origin.Time).Seconds())
			kinds = append(kinds, outs[i].Decision.EventType)
		}
	}
	t.mu.Lock()
	t.lat.Add(lat...)
	if t.byKind == nil {
		t.byKind = map[domain.EventType]*benchmarks.Latencies{}
	}
	for i, k := range kinds {
		if t.byKind[k] == nil {
			t.byKind[k] = &benchmarks.Latencies{}
		}
		t.byKind[k].Add(lat[i])
	}
	if t.firstAt.CompareAndSwap(0, at.UnixNano()) {
		t.firstN.Store(n)
	}
	t.lastAt.Store(at.UnixNano())
	t.points = append(t.points, progress{at, t.decided.Add(n)})
	t.mu.Unlock()
	select {
	case t.changed <- struct{}{}:
	default:
	}
}

func (t *tracker) wait(ctx context.Context, n int64, appDone <-chan error) error {
	for t.decided.Load() < n {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-appDone:
			return fmt.Errorf("stopped before deciding every event: %v", err)
		case <-t.changed:
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

// rate is the sustained rate from the first decision to the last.
// rate is the sustained rate of a run: events decided per second between
// the moments a tenth and nine tenths of the run were decided, which
// leaves out the consumers' start, when their first batches finish
// together, and the tail, when some have run out of work. A run too short
// for that is measured from its first decision to its last.
func (t *tracker) rate() float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := len(t.points); n > 0 {
		total := t.points[n-1].decided
		var a, b *progress
		for i := range t.points {
			p := &t.points[i]
			if a == nil && p.decided*10 >= total {
				a = p
			}
			if b == nil && p.decided*10 >= total*9 {
				b = p
			}
		}
		if d := b.at.Sub(a.at); d > 0 && b.decided > a.decided {
			return float64(b.decided-a.decided) / d.Seconds()
		}
	}
	d := time.Duration(t.lastAt.Load() - t.firstAt.Load())
	if d <= 0 {
		return 0
	}
	return float64(t.decided.Load()-t.firstN.Load()) / d.Seconds()
}

// kindQuantiles lists the latency quantiles of each kind of event: an
// enrolment costs several times a payment, and the run's first part is
// enrolments only.
func (t *tracker) kindQuantiles() string {
	t.mu.Lock()
	kinds := make([]domain.EventType, 0, len(t.byKind))
	for k := range t.byKind {
		kinds = append(kinds, k)
	}
	t.mu.Unlock()
	slices.Sort(kinds)
	var b strings.Builder
	for _, k := range kinds {
		t.mu.Lock()
		l := t.byKind[k]
		t.mu.Unlock()
		q := l.Quantiles()
		name := string(k)
		if name == "" {
			name = "unreadable"
		}
		fmt.Fprintf(&b, " %s (%d) p50 %.1f ms p99 %.1f ms;", name, q.N, q.P50, q.P99)
	}
	return b.String()
}

func produce(ctx context.Context, broker string, topics kafka.Topics, recs []synth.Record, rate float64) error {
	wr := kafka.NewWriter(&kafkago.Writer{
		Addr: kafkago.TCP(broker), Balancer: &kafkago.Hash{}, RequiredAcks: kafkago.RequireAll,
		BatchSize: 1000, BatchTimeout: time.Millisecond, BatchBytes: kafka.BatchBytes(kafka.DefaultMaxMessageBytes),
	})
	defer wr.Close()
	topic := map[domain.EventType]string{domain.TypeEnrolment: topics.Enrolments, domain.TypeDistribution: topics.Distributions,
		domain.TypeStatus: topics.Status}
	chunk := 1000
	if rate > 0 {
		chunk = max(1, int(rate/200)) // a chunk every 5 ms
	}
	start := time.Now()
	for i := 0; i < len(recs); i += chunk {
		batch := make([]kafkago.Message, 0, chunk)
		for _, r := range recs[i:min(i+chunk, len(recs))] {
			tp := topic[r.Type]
			if tp == "" {
				tp = topics.Enrolments
			}
			batch = append(batch, kafkago.Message{Topic: tp, Key: r.Key, Value: r.Value, Time: time.Now()})
		}
		if rate > 0 {
			due := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(d):
				}
			}
			for k := range batch {
				batch[k].Time = time.Now()
			}
		}
		if err := wr.WriteMessages(ctx, batch...); err != nil {
			return err
		}
	}
	return nil
}

func benchEkjon(ctx context.Context, o benchOptions, cfg app.Config, runs [2][]synth.Record, r *benchmarks.SystemResult, last bool,
	rdb *redis.Client, log *slog.Logger, out io.Writer) error {
	cluster, broker, err := startBroker(0, o.partitions, cfg.Kafka.Topics)
	if err != nil {
		return err
	}
	defer cluster.Close()
	cfg.Kafka.Brokers = []string{broker}
	if err := produce(ctx, broker, cfg.Kafka.Topics, runs[0], 0); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	tr := newTracker()
	a, err := app.New(ctx, cfg, log, func(outs []domain.Outcome) { tr.observe(outs, time.Now()) })
	if err != nil {
		return err
	}
	defer a.Close()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	appDone := make(chan error, 1)

	stopProfile := func() {}
	if last {
		if stopProfile, err = cpuProfile(o.cpuProf); err != nil {
			return err
		}
	}
	cpu0 := benchmarks.ReadCPU(ctx, rdb)
	go func() { appDone <- a.Run(runCtx) }()
	err = tr.wait(ctx, int64(len(runs[0])), appDone)
	cpu := benchmarks.ReadCPU(ctx, rdb).Sub(cpu0)
	stopProfile()
	if err != nil {
		return err
	}
	if last && o.memProf != "" {
		if err := writeAllocs(o.memProf); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "  ekjon    max run, per batch: %s\n", stageTimes(a.Registry))
	afterMax, _, _ := stageSums(a.Registry)
	r.FixedOffered = o.fixedRate
	if err := finishRuns(ctx, "ekjon   ", broker, cfg.Kafka.Topics, runs, tr, cpu, r, appDone, out); err != nil {
		return err
	}
	fmt.Fprintf(out, "  ekjon    fixed run, per batch: %s\n", stageTimesSince(a.Registry, afterMax))
	stop()
	<-appDone
	return nil
}

// stageTimes summarises the pipeline's stage histograms: batches, mean
// events per batch, and the mean time of each stage per batch.
func stageTimes(g prometheus.Gatherer) string { return stageTimesSince(g, nil) }

// stageSums reads the pipeline's batch-size and stage histograms: sample
// count and sum by name ("batch" for the batch sizes).
func stageSums(g prometheus.Gatherer) (map[string][2]float64, []string, error) {
	mfs, err := g.Gather()
	if err != nil {
		return nil, nil, err
	}
	sums, names := map[string][2]float64{}, []string{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := ""
			switch mf.GetName() {
			case "ekjon_pipeline_batch_size_events":
				name = "batch"
			case "ekjon_pipeline_group_size_events":
				name = "group"
			case "ekjon_pipeline_queued_seconds":
				name = "queued"
			case "ekjon_pipeline_stage_duration_seconds":
				name = m.GetLabel()[0].GetValue()
			default:
				continue
			}
			h := m.GetHistogram()
			sums[name] = [2]float64{float64(h.GetSampleCount()), h.GetSampleSum()}
			names = append(names, name)
		}
	}
	return sums, names, nil
}

// stageTimesSince is stageTimes over the batches since the sums before
// were read (nil: since the start).
func stageTimesSince(g prometheus.Gatherer, before map[string][2]float64) string {
	sums, names, err := stageSums(g)
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, name := range names {
		s := sums[name]
		n, sum := s[0]-before[name][0], s[1]-before[name][1]
		if n <= 0 {
			continue
		}
		switch name {
		case "batch":
			fmt.Fprintf(&b, "%.0f batches of %.0f events;", n, sum/n)
			continue
		case "group":
			fmt.Fprintf(&b, "%.0f groups of %.1f scans;", n, sum/n)
			continue
		case "queued":
			fmt.Fprintf(&b, " queued %.1f ms per event before its batch was fetched;", sum/n*1000)
			continue
		}
		fmt.Fprintf(&b, " %s %.1f ms", name, sum/n*1000)
	}
	return b.String()
}

// finishRuns records the max run just decided, then produces the second
// run at half its rate (or at r.FixedOffered, when set) and records that:
// the same measures for ekjon and the baseline.
func finishRuns(ctx context.Context, name, broker string, topics kafka.Topics, runs [2][]synth.Record, tr *tracker,
	cpu benchmarks.CPU, r *benchmarks.SystemResult, appDone chan error, out io.Writer) error {
	r.MaxEvents, r.MaxRate, r.MaxLatency, r.CPU, r.CPUEvents = len(runs[0]), tr.rate(), tr.lat.Quantiles(), cpu, len(runs[0])
	fmt.Fprintf(out, "  %s max run: %d events at %.0f events/s, latency p50 %.0f ms p99 %.0f ms, CPU %.3f s per 1,000 events\n",
		name, len(runs[0]), r.MaxRate, r.MaxLatency.P50, r.MaxLatency.P99, cpu.Total().Seconds()/float64(len(runs[0]))*1000)

	tr.reset()
	if r.FixedOffered <= 0 {
		r.FixedOffered = r.MaxRate / 2
	}
	start := time.Now()
	if err := produce(ctx, broker, topics, runs[1], r.FixedOffered); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	if err := tr.wait(ctx, int64(len(runs[1])), appDone); err != nil {
		return err
	}
	r.FixedRate = float64(len(runs[1])) / time.Duration(tr.lastAt.Load()-start.UnixNano()).Seconds()
	r.FixedLatency = tr.lat.Quantiles()
	fmt.Fprintf(out, "  %s fixed run: offered %.0f events/s, achieved %.0f, latency p50 %.1f ms p95 %.1f ms p99 %.1f ms\n",
		name, r.FixedOffered, r.FixedRate, r.FixedLatency.P50, r.FixedLatency.P95, r.FixedLatency.P99)
	fmt.Fprintf(out, "  %s fixed run, latency by kind:%s\n", name, tr.kindQuantiles())
	return nil
}

func writeAllocs(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func benchBaseline(ctx context.Context, o benchOptions, cfg app.Config, policy domain.Policy, pseudo *domain.Pseudonymizer,
	pool *pgxpool.Pool, runs [2][]synth.Record, r *benchmarks.SystemResult, rdb *redis.Client, log *slog.Logger, out io.Writer) error {
	cluster, broker, err := startBroker(0, o.partitions, cfg.Kafka.Topics)
	if err != nil {
		return err
	}
	defer cluster.Close()
	if err := produce(ctx, broker, cfg.Kafka.Topics, runs[0], 0); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	pc := cfg.PublisherConfig()
	pc.Brokers = []string{broker}
	pub := kafka.NewPublisher(pc)
	defer pub.Close()
	en, err := baseline.NewEngine(ctx, pool, pseudo, policy, cfg.Fuzzy.Config(policy), pub, log)
	if err != nil {
		return err
	}
	tr := newTracker()
	en.Observe = tr.observe
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	appDone := make(chan error, o.consumers)
	var srcs []*kafka.Source
	cpu0 := benchmarks.ReadCPU(ctx, rdb)
	for range o.consumers {
		sc := cfg.SourceConfig()
		sc.Brokers, sc.GroupID = []string{broker}, "bench-baseline"
		src := kafka.NewSource(sc, log)
		srcs = append(srcs, src)
		go func() { appDone <- en.Run(runCtx, src) }()
	}
	defer func() {
		for _, s := range srcs {
			s.Close()
		}
	}()
	if err := tr.wait(ctx, int64(len(runs[0])), appDone); err != nil {
		return err
	}
	cpu := benchmarks.ReadCPU(ctx, rdb).Sub(cpu0)
	r.FixedOffered = o.fixedRate
	if err := finishRuns(ctx, "baseline", broker, cfg.Kafka.Topics, runs, tr, cpu, r, appDone, out); err != nil {
		return err
	}
	stop()
	return nil
}

func gitCommit() string {
	b, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

var _ = pipeline.Message{}

// cpuProfile starts a CPU profile written to path and returns what stops
// it and closes the file; with path "" it profiles nothing.
func cpuProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
