package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
	"github.com/ekjon/ekjon/pipeline/kafka"
	"github.com/ekjon/ekjon/sinks/postgres"
	"github.com/ekjon/ekjon/sinks/postgres/pgtest"
)

// harness is a private ekjon world for one test: an in-process Kafka
// broker, a PostgreSQL schema and a Redis key prefix on the real servers.
type harness struct {
	t       testing.TB
	cluster *kfake.Cluster
	cfg     app.Config
	db      *pgxpool.Pool
	writer  *kafka.Writer
}

func newHarness(t testing.TB, partitions int) *harness {
	t.Helper()
	cfg := app.DefaultConfig()
	cluster, broker, err := startBroker(0, partitions, cfg.Kafka.Topics)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	_, prefix := redistest.MustClient(t)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	cfg.Kafka.Brokers = []string{broker}
	cfg.Postgres.URL = pgtest.MustSchema(t)
	cfg.Redis.URL, cfg.Redis.Cluster = redistest.Shared(), redistest.Cluster()
	cfg.Redis.Prefix = prefix
	cfg.HMACSecret = "harness-secret-0123456789"
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Kafka.Group = "ekjon-test-" + hex.EncodeToString(b)
	cfg.Pipeline.Consumers = 1
	cfg.Pipeline.BatchSize = 200
	cfg.Pipeline.DrainTimeout = 5 * time.Second
	// The tests send a payment file's worth of payments by one agent in
	// one instant; a test of DISTRIBUTOR_VELOCITY turns it on.
	cfg.Rules.DistributorVelocity = 0
	h := &harness{t: t, cluster: cluster, cfg: cfg}
	h.writer = kafka.NewWriter(&kafkago.Writer{
		Addr: kafkago.TCP(broker), Balancer: &kafkago.Hash{}, RequiredAcks: kafkago.RequireAll,
		BatchTimeout: time.Millisecond, BatchBytes: kafka.BatchBytes(cfg.Kafka.MaxMessageBytes),
	})
	t.Cleanup(func() { h.writer.Close() })
	return h
}

// start runs an App with the harness's config (edited by edit, if given)
// until the test ends, and returns it once it is serving.
func (h *harness) start(edit func(*app.Config)) *app.App {
	h.t.Helper()
	cfg := h.cfg
	if edit != nil {
		edit(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		cancel()
		h.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	h.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			h.t.Errorf("app: %v", err)
		}
		a.Close()
	})
	if h.db == nil {
		h.db = a.Store.Pool()
	}
	return a
}

// produce writes events to a topic, each keyed by its NID as the docs ask.
func (h *harness) produce(topic string, values ...string) {
	h.t.Helper()
	msgs := make([]kafkago.Message, len(values))
	for i, v := range values {
		var probe struct {
			NID    string `json:"nid"`
			Person struct {
				NID string `json:"nid"`
			} `json:"person"`
		}
		_ = json.Unmarshal([]byte(v), &probe)
		key := probe.NID + probe.Person.NID
		msgs[i] = kafkago.Message{Topic: topic, Key: []byte(key), Value: []byte(v)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.writer.WriteMessages(ctx, msgs...); err != nil {
		h.t.Fatal(err)
	}
}

// decisions waits until every id has a durable decision and returns them.
func (h *harness) decisions(ids ...string) map[string]domain.Decision {
	h.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	st := storeOn(h.db)
	for {
		got, err := st.Decisions(context.Background(), ids)
		if err != nil {
			h.t.Fatal(err)
		}
		if len(got) == len(ids) {
			return got
		}
		if time.Now().After(deadline) {
			var missing []string
			for _, id := range ids {
				if _, ok := got[id]; !ok {
					missing = append(missing, id)
				}
			}
			h.t.Fatalf("no decision after 60s for %d events, e.g. %v", len(missing), missing[:min(5, len(missing))])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readTopic reads every message of a topic written so far, from all
// partitions, waiting up to a few seconds for at least want of them.
func (h *harness) readTopic(topic string, want int) []kafkago.Message {
	h.t.Helper()
	return readTopicAt(h.t, h.cfg.Kafka.Brokers[0], topic, want)
}

// readTopicAt reads every message of a topic of the broker at addr written
// so far, from all partitions at once, waiting up to 20 seconds for at
// least want of them.
func readTopicAt(tb testing.TB, addr, topic string, want int) []kafkago.Message {
	tb.Helper()
	conn, err := kafkago.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	parts, err := conn.ReadPartitions(topic)
	conn.Close()
	if err != nil {
		tb.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		read := make([][]kafkago.Message, len(parts))
		errs := make([]error, len(parts))
		var wg sync.WaitGroup
		for i, p := range parts {
			wg.Go(func() { read[i], errs[i] = readPartitionAt(addr, topic, p.ID) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			tb.Fatal(err)
		}
		out := slices.Concat(read...)
		if len(out) >= want || time.Now().After(deadline) {
			return out
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// readPartitionAt reads every message of a partition written so far.
func readPartitionAt(addr, topic string, partition int) ([]kafkago.Message, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := kafkago.DialLeader(ctx, "tcp", addr, topic, partition)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	last, err := conn.ReadLastOffset()
	if err != nil || last == 0 {
		return nil, err
	}
	// A short wait: the reader is closed as soon as it has read up to
	// last, and closing waits for the fetch it has under way.
	r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: []string{addr}, Topic: topic, Partition: partition,
		MaxBytes: 16 << 20, MaxWait: 250 * time.Millisecond})
	defer r.Close()
	out := make([]kafkago.Message, 0, last)
	for int64(len(out)) < last {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			return out, fmt.Errorf("reading %s/%d: got %d of %d: %w", topic, partition, len(out), last, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// publishedDecisions decodes the decisions topic, keyed by event id; an
// event published twice (a redelivery) must carry the same decision.
func (h *harness) publishedDecisions(want int) map[string]domain.Decision {
	h.t.Helper()
	out := map[string]domain.Decision{}
	for _, m := range h.readTopic(h.cfg.Kafka.Topics.Decisions, want) {
		var d domain.Decision
		if err := json.Unmarshal(m.Value, &d); err != nil {
			h.t.Fatalf("decision on the topic is not JSON: %v", err)
		}
		if prev, ok := out[d.EventID]; ok && (prev.Action != d.Action || !prev.DecidedAt.Equal(d.DecidedAt)) {
			h.t.Errorf("event %s published with two different decisions: %+v and %+v", d.EventID, prev, d)
		}
		out[d.EventID] = d
	}
	return out
}

func verdictOf(d domain.Decision) string { return fmt.Sprintf("%s %v", d.Action, d.Rules) }

func storeOn(p *pgxpool.Pool) *postgres.Store { return postgres.NewStore(p) }
