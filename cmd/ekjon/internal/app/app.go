// Package app is the ekjon process that `ekjon run` starts: workers in the
// consumer group, the Redis index, the PostgreSQL record and the HTTP
// server, wired from one Config, and the settings table that fills that
// Config from flags, environment and file. Only cmd/ekjon imports it; the
// demo, gen, eval and bench commands wrap it with their tools (an embedded
// broker and Redis, the synthetic population), which this package must
// never import: TestProductionDeps checks that none of them is linked.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/api"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/pipeline"
	"github.com/ekjon/ekjon/pipeline/kafka"
	"github.com/ekjon/ekjon/sinks/postgres"
)

// App is one ekjon process: workers in the consumer group, the index, the
// record and the HTTP server, wired together. Tests run it on :0 ports.
// Its exported fields are for the commands and tests that wrap it; they
// must not be replaced once New returns.
type App struct {
	cfg      Config
	log      *slog.Logger
	Registry *prometheus.Registry
	Store    *postgres.Store
	Redis    redis.UniversalClient
	Index    *redisindex.Index
	pub      *kafka.Publisher
	sources  []*kafka.Source
	workers  []*pipeline.Worker
	server   *api.Server
	// HTTPAddr is the address the HTTP server is bound to.
	HTTPAddr string
	// background are long-lived parts run beside the workers, such as the
	// review service's outbox relay.
	background []func(context.Context) error
	policy     domain.Policy
	pseudo     *domain.Pseudonymizer
	metrics    *pipeline.Metrics
	// decider decides the stream's events, and the scans, with the
	// distributor anomalies.
	decider pipeline.Decider
	// notifyOutbox wakes the outbox relay.
	notifyOutbox func()
	// Cards serves aid cards and distributors' scans (api.CardService).
	Cards api.CardService
}

// New connects to PostgreSQL (migrating it), Redis (rebuilding the index
// from the record if it is not ready) and Kafka, and binds the HTTP server.
// observe, if not nil, sees every batch's outcomes. On error, whatever was
// opened is closed again.
func New(ctx context.Context, cfg Config, log *slog.Logger, observe func([]domain.Outcome)) (a *App, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	policy, _ := cfg.Policy()
	if err := cfg.Rules.UsePlaces(); err != nil {
		return nil, err
	}
	a = &App{cfg: cfg, log: log, Registry: prometheus.NewRegistry()}
	// "return nil, err" sets a to nil before deferred calls run: close
	// what was built through a copy.
	built := a
	defer func() {
		if err != nil {
			built.Close()
		}
	}()
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	if a.Store, err = postgres.Open(ctx, cfg.Postgres.URL, int32(cfg.Postgres.MaxConns)); err != nil {
		return nil, err
	}
	if applied, err := a.Store.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	} else if len(applied) > 0 {
		log.Info("migrated the record", "applied", applied)
	}
	// The record's monthly partitions are created ahead, on start and
	// daily, so that a write in a new month finds its partition.
	if n, err := a.Store.EnsurePartitions(ctx); err != nil {
		return nil, err
	} else if n > 0 {
		log.Info("created the record's monthly partitions", "count", n)
	}
	a.background = append(a.background, func(ctx context.Context) error {
		return a.Store.KeepPartitions(ctx, 24*time.Hour, func(err error) {
			log.Warn("creating the record's monthly partitions; trying again tomorrow", "err", err)
		})
	})

	if a.Redis, err = OpenRedis(cfg); err != nil {
		return nil, err
	}
	pseudo := domain.NewPseudonymizer([]byte(cfg.HMACSecret))
	a.policy, a.pseudo = policy, pseudo
	icfg := cfg.IndexConfig(policy)
	icfg.Judgements, icfg.Registerer = a.Store.Judgement, a.Registry
	a.Index = redisindex.New(a.Redis, pseudo, icfg)
	if low := a.Index.CheckConfig(ctx); low != nil {
		log.Warn("Redis keeps the index's buckets in a larger encoding; see deploy/redis.conf", "settings", low)
	}
	if err := a.EnsureIndex(ctx); err != nil {
		return nil, err
	}

	a.pub = kafka.NewPublisher(cfg.PublisherConfig())

	m := pipeline.NewMetrics(a.Registry)
	a.metrics = m
	pcfg := pipeline.DefaultConfig()
	pcfg.Policy, pcfg.MaxEventBytes = policy, cfg.Pipeline.MaxEventBytes
	pcfg.Digest = func(content []byte) string { return pseudo.Hash("content", string(content)) }
	decider := &pipeline.Anomalies{Decider: a.Index, Counter: a.Index, Homes: a.Store, Scopes: a.Store,
		Config: pipeline.AnomalyConfig{Policy: policy, VelocityPerMinute: cfg.Rules.DistributorVelocity,
			InvalidCardsPerHour: cfg.Rules.InvalidCards, SamePlace: fuzzy.SameUpazila}}
	a.decider = decider
	// Alerts go to the outbox with the record (AlertsOutboxed) and reach
	// the alerts topic once, through the relay, however often their event
	// is delivered; the batches publish their decisions and dead letters.
	wake := func() {
		if a.notifyOutbox != nil { // set by mountReview, before any worker runs
			a.notifyOutbox()
		}
	}
	proc := pipeline.NewProcessor(pcfg, decider, a.Store.AlertsOutboxed(), withoutAlerts{a.pub, wake}, log, m)
	proc.Observe = observe
	for i := 0; i < cfg.Pipeline.Consumers; i++ {
		src := kafka.NewSource(cfg.SourceConfig(), log)
		a.sources = append(a.sources, src)
		w := pipeline.NewWorker(src, proc, log.With("consumer", i), m)
		w.DrainTimeout, w.Parallel = cfg.Pipeline.DrainTimeout, cfg.Pipeline.Parallel
		a.workers = append(a.workers, w)
	}

	a.server = api.NewServer(log, a.Registry,
		api.Check{Name: "postgres", Fn: a.Store.Ping},
		api.Check{Name: "redis", Fn: func(ctx context.Context) error {
			if ok, err := a.Index.Ready(ctx); err != nil || !ok {
				return errors.Join(err, redisindex.ErrNotReady)
			}
			return nil
		}},
	)
	if cfg.HTTP.Pprof {
		a.server.MountProfiler()
	}
	if err := a.mountReview(ctx); err != nil {
		return nil, fmt.Errorf("review api: %w", err)
	}
	if a.HTTPAddr, err = a.server.Listen(cfg.HTTP.Addr); err != nil {
		return nil, fmt.Errorf("http: %w", err)
	}
	return a, nil
}

// OpenRedis returns a client of the index's Redis, a cluster client when
// cfg.RedisCluster is set. It does not connect until first used.
func OpenRedis(cfg Config) (redis.UniversalClient, error) {
	if cfg.Redis.Cluster {
		opt, err := redis.ParseClusterURL(cfg.Redis.URL)
		if err != nil {
			return nil, fmt.Errorf("redis-url: %w", err)
		}
		return redis.NewClusterClient(opt), nil
	}
	opt, err := redis.ParseURL(cfg.Redis.URL)
	if err != nil {
		return nil, fmt.Errorf("redis-url: %w", err)
	}
	return redis.NewClient(opt), nil
}

// EnsureIndex makes sure the index can be decided against before anything
// is: an index that lost its data (or never had any), that a Redis restart
// or failover may have set back, or that answers to another generation
// than the record's (see redisindex.Index.Verify) is rebuilt from the
// record. When another process holds the rebuild lock, it waits for that
// rebuild.
func (a *App) EnsureIndex(ctx context.Context) error {
	for {
		reason, err := a.Index.Verify(ctx, a.Store.Generation)
		if err != nil {
			return err
		}
		if reason == "" {
			return nil
		}
		start := time.Now()
		n, rebuilt, err := a.Index.Rebuild(ctx, a.Store.BeginRebuild, a.Store.IndexFacts)
		if err != nil {
			return fmt.Errorf("rebuild index: %w", err)
		}
		if rebuilt {
			a.log.Info("rebuilt the matching index from the record", "reason", reason, "facts", n,
				"took", time.Since(start).Round(time.Millisecond))
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// guardIndex checks the index every second while the workers run (see
// checkIndex).
func (a *App) guardIndex(ctx context.Context) error {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		a.noteIndexReady(ctx)
		if err := a.checkIndex(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("index rebuild failed; will retry", "err", err)
		}
	}
}

// checkIndex rebuilds the index from the record when it can no longer be
// decided against: lost (a Redis restart without persistence), marked
// incomplete by a worker, set back by a Redis restart from an older
// snapshot or a failover to a replica that missed the last writes, or
// answering to another generation than the record's. While Redis or the
// record does not answer, it does nothing: the workers wait for them too.
// It returns an error only when a rebuild failed.
func (a *App) checkIndex(ctx context.Context) error {
	reason, err := a.Index.Verify(ctx, a.Store.Generation)
	if err != nil || reason == "" {
		return nil
	}
	a.log.Warn("the matching index cannot be decided against; rebuilding it from the record", "reason", reason)
	return a.EnsureIndex(ctx)
}

// Run runs the workers, the index guard and the HTTP server until ctx ends
// or one of them fails; the first to stop stops the others.
func (a *App) Run(ctx context.Context) error {
	fns := []func(context.Context) error{a.server.Run, a.guardIndex}
	fns = append(fns, a.background...)
	fns = append(fns, a.reconcile)
	for _, w := range a.workers {
		fns = append(fns, w.Run)
	}
	return runGroup(ctx, fns...)
}

// runGroup runs fns together; when the first returns, the rest are asked to
// stop, and the first error is returned.
func runGroup(ctx context.Context, fns ...func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for _, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := fn(ctx)
			once.Do(func() { first = err })
			cancel()
		}()
	}
	wg.Wait()
	return first
}

// Close releases every connection. It is safe on a partly built App.
func (a *App) Close() {
	for _, s := range a.sources {
		if err := s.Close(); err != nil {
			a.log.Warn("leaving the consumer group", "err", err)
		}
	}
	if a.pub != nil {
		_ = a.pub.Close()
	}
	if a.Redis != nil {
		_ = a.Redis.Close()
	}
	if a.Store != nil {
		a.Store.Close()
	}
}
