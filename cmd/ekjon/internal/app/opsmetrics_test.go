package app

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
	"github.com/ekjon/ekjon/sinks/postgres"
	"github.com/ekjon/ekjon/sinks/postgres/pgtest"
)

// gauge reads a gauge's value from reg; false when it is not there.
func gauge(t *testing.T, reg *prometheus.Registry, name string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue(), true
		}
	}
	return 0, false
}

func TestIndexReadyGauge(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.MustClient(t)
	a := &App{Registry: prometheus.NewRegistry(),
		Index: redisindex.New(rdb, domain.NewPseudonymizer([]byte(checkSecret0)), redisindex.Config{Prefix: prefix})}
	steps := []struct {
		name string
		do   func()
		want float64
	}{
		{"an index never built", func() {}, 0},
		{"marked ready", func() {
			if err := a.Index.MarkReady(ctx, 1); err != nil {
				t.Fatal(err)
			}
		}, 1},
		{"the guard's next tick", func() {}, 1},
		{"Redis does not answer", func() {
			a.Index = redisindex.New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1}),
				domain.NewPseudonymizer([]byte(checkSecret0)), redisindex.Config{Prefix: prefix})
		}, 0},
	}
	for _, s := range steps {
		s.do()
		a.noteIndexReady(ctx)
		if v, ok := gauge(t, a.Registry, "ekjon_index_ready"); !ok || v != s.want {
			t.Errorf("%s: ekjon_index_ready %v (registered: %v), want %v", s.name, v, ok, s.want)
		}
	}
}

func TestReviewQueueGauges(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store, err := postgres.Open(ctx, pgtest.MustSchema(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// Two alerts wait, raised 3 and 1 hours ago; one raised 9 hours ago
	// is closed and does not count.
	now := time.Now()
	for i, a := range []struct {
		ago    time.Duration
		status string
	}{{3 * time.Hour, "open"}, {time.Hour, "escalated"}, {9 * time.Hour, "closed"}} {
		id := "e" + string(rune('0'+i))
		if _, err := store.Pool().Exec(ctx, `WITH k AS (INSERT INTO decision_keys (event_id) VALUES ($1::text) RETURNING recorded_at)
			INSERT INTO decisions (event_id, action, decided_at, config_version, recorded_at) SELECT $1::text, 'HOLD', $2, 'v', recorded_at FROM k`, id, now.Add(-a.ago)); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Pool().Exec(ctx, `INSERT INTO alerts (alert_id, event_id, rule, action, status, created_at, updated_at)
			VALUES ($1, $1, 'FUZZY_PERSON', 'HOLD', $2, $3, $3)`, id, a.status, now.Add(-a.ago)); err != nil {
			t.Fatal(err)
		}
	}
	a := &App{Registry: prometheus.NewRegistry(), Store: store, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	done := make(chan error, 1)
	go func() { done <- a.watchReviewQueue(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, _ := gauge(t, a.Registry, "ekjon_review_open_alerts")
		age, _ := gauge(t, a.Registry, "ekjon_review_oldest_open_alert_age_seconds")
		if n == 2 && age >= 3*3600 && age < 4*3600 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("open alerts %v, oldest waited %vs; want 2 and about three hours", n, age)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("the queue watcher stopped with %v", err)
	}
}
