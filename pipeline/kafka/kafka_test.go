package kafka

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/pipeline"
)

// within is how long a test waits for Kafka on a machine that may be busy
// with other tests; it is a deadline, not an expectation.
const within = time.Minute

// stockBroker starts an in-process broker with Kafka's stock limits
// (message.max.bytes 1048588) and ekjon's topics, one partition each.
func stockBroker(t *testing.T) []string {
	t.Helper()
	topics := DefaultTopics()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, append(topics.Inputs(), topics.Outputs()...)...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

// readAll reads every message of partition 0 of topic, waiting for want.
func readAll(t *testing.T, brokers []string, topic string, want int) []kafkago.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: brokers, Topic: topic, MaxBytes: 4 << 20, MaxWait: time.Second})
	defer r.Close()
	var out []kafkago.Message
	for len(out) < want {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("reading %s: %d of %d messages: %v", topic, len(out), want, err)
		}
		out = append(out, m)
	}
	return out
}

func header(m kafkago.Message, key string) (string, bool) {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value), true
		}
	}
	return "", false
}

// TestPublishFitsTheStockLimit publishes a batch of rejections whose
// original bytes are each near 1 MiB through a broker with Kafka's stock
// message limit: every decision and every dead letter reaches its topic,
// and a dead letter too large to fit is cut to fit, with headers that say
// so and let an operator match it to the original.
func TestPublishFitsTheStockLimit(t *testing.T) {
	brokers := stockBroker(t)
	cfg := DefaultPublisherConfig()
	cfg.Brokers = brokers
	pub := NewPublisher(cfg)
	defer pub.Close()

	rng := rand.New(rand.NewPCG(1, 2))
	var outs []domain.Outcome
	for i := 0; i < 6; i++ {
		raw := make([]byte, 1<<20-64+i*16) // the last is over 1 MiB
		for j := range raw {
			raw[j] = byte('a' + rng.IntN(26))
		}
		outs = append(outs, rejected(fmt.Sprintf("big-%d", i), raw, i))
	}
	small := rejected("small", []byte(`{"event_id":"small",`), 6)
	outs = append(outs, small)

	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	if err := pub.Publish(ctx, outs); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if got := readAll(t, brokers, cfg.Topics.Decisions, len(outs)); len(got) != len(outs) {
		t.Fatalf("%d decisions", len(got))
	}
	dead := readAll(t, brokers, cfg.Topics.DeadLetter, len(outs))
	for i, m := range dead {
		raw := outs[i].Raw
		if string(m.Key) != outs[i].Decision.EventID {
			t.Fatalf("dead letter %d is %s, want %s", i, m.Key, outs[i].Decision.EventID)
		}
		if reason, _ := header(m, "ekjon-reason"); reason != outs[i].Decision.Reason {
			t.Errorf("%s: reason header %q", m.Key, reason)
		}
		truncated, _ := header(m, "ekjon-truncated")
		if len(raw) < 1000 {
			if truncated != "" || !bytes.Equal(m.Value, raw) {
				t.Errorf("%s: a small dead letter was changed (truncated %q)", m.Key, truncated)
			}
			continue
		}
		size, _ := header(m, "ekjon-original-bytes")
		sum, _ := header(m, "ekjon-original-sha256")
		want := sha256.Sum256(raw)
		switch {
		case truncated != "true":
			t.Errorf("%s: not marked truncated", m.Key)
		case size != strconv.Itoa(len(raw)):
			t.Errorf("%s: original size %q, want %d", m.Key, size, len(raw))
		case sum != hex.EncodeToString(want[:]):
			t.Errorf("%s: original digest %q", m.Key, sum)
		case !bytes.HasPrefix(raw, m.Value) || len(m.Value) < len(raw)-64<<10:
			t.Errorf("%s: value is not the original's first bytes, or much shorter (%d of %d)", m.Key, len(m.Value), len(raw))
		}
	}
}

// rejected is the outcome of an event rejected as undecodable.
func rejected(id string, raw []byte, offset int) domain.Outcome {
	return domain.Outcome{
		Origin: domain.Origin{Topic: "ekjon.enrolments", Offset: int64(offset)},
		Raw:    raw,
		Dead:   true,
		Decision: domain.Decision{EventID: id, Action: domain.ActionRejected, Rules: []string{domain.RuleInvalidEvent},
			Reason: "decode event: not JSON: invalid character 'a' looking for beginning of value (at byte 1)"},
	}
}

// sourceFor joins a fresh group on the enrolments topic with cfg's sizes.
func sourceFor(t *testing.T, brokers []string, edit func(*SourceConfig)) *Source {
	t.Helper()
	cfg := DefaultSourceConfig()
	cfg.Brokers, cfg.GroupID, cfg.Topics = brokers, fmt.Sprintf("test-%d", rand.Uint64()), []string{DefaultTopics().Enrolments}
	cfg.BatchWait = time.Second
	edit(&cfg)
	s := NewSource(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() { s.Close() })
	return s
}

func produce(t *testing.T, brokers []string, values ...[]byte) {
	t.Helper()
	w := NewWriter(&kafkago.Writer{Addr: kafkago.TCP(brokers...), RequiredAcks: kafkago.RequireAll, BatchTimeout: time.Millisecond,
		BatchBytes: BatchBytes(DefaultMaxMessageBytes)})
	defer w.Close()
	msgs := make([]kafkago.Message, len(values))
	for i, v := range values {
		msgs[i] = kafkago.Message{Topic: DefaultTopics().Enrolments, Value: v}
	}
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
}

// TestFetchStopsAtTheByteBound: a batch stops growing before it would
// hold more than MaxBatchBytes; the message that would not fit begins the
// next batch, so none is lost or reordered.
func TestFetchStopsAtTheByteBound(t *testing.T) {
	brokers := stockBroker(t)
	const n, size, bound = 40, 10 << 10, 64 << 10
	var values [][]byte
	for i := 0; i < n; i++ {
		v := bytes.Repeat([]byte{'x'}, size)
		copy(v, strconv.Itoa(i)+":")
		values = append(values, v)
	}
	produce(t, brokers, values...)
	src := sourceFor(t, brokers, func(c *SourceConfig) { c.MaxBatchBytes = bound })

	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	var got []pipeline.Message
	batches, most := 0, 0
	for len(got) < n {
		msgs, err := src.Fetch(ctx)
		if err != nil {
			t.Fatalf("fetch after %d messages: %v", len(got), err)
		}
		total := 0
		for _, m := range msgs {
			total += len(m.Key) + len(m.Value)
		}
		if total > bound {
			t.Fatalf("batch %d holds %d messages, %d bytes; the bound is %d", batches, len(msgs), total, bound)
		}
		batches, most = batches+1, max(most, len(msgs))
		got = append(got, msgs...)
	}
	for i, m := range got {
		if !bytes.HasPrefix(m.Value, []byte(strconv.Itoa(i)+":")) || m.Offset != int64(i) {
			t.Fatalf("message %d is offset %d, %.8q", i, m.Offset, m.Value)
		}
	}
	if most < 2 {
		t.Errorf("no batch held more than one message")
	}
}

// TestFetchTakesTheLargestMessage: however small the batch bound, the
// reader fetches a message as large as the topic allows, between smaller
// ones. (A broker since Kafka 0.10.1 returns such a message even to a fetch
// that asks for less; TestReaderSizes checks that no fetch does.)
func TestFetchTakesTheLargestMessage(t *testing.T) {
	brokers := stockBroker(t)
	big := bytes.Repeat([]byte{'y'}, 1<<20-512)
	produce(t, brokers, []byte("small"), big, []byte("after"))
	src := sourceFor(t, brokers, func(c *SourceConfig) {
		c.MaxBatchBytes, c.MaxMessageBytes = 64<<10, 1<<20
	})
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	var got [][]byte
	for len(got) < 3 {
		msgs, err := src.Fetch(ctx)
		if err != nil {
			t.Fatalf("fetch after %d messages: %v", len(got), err)
		}
		for _, m := range msgs {
			got = append(got, m.Value)
		}
	}
	if !bytes.Equal(got[1], big) || string(got[2]) != "after" {
		t.Fatalf("got messages of %d, %d and %d bytes", len(got[0]), len(got[1]), len(got[2]))
	}
}

// TestReaderSizes: the reader's queue holds at most a batch's bytes of the
// largest messages, and one fetch takes at least the largest message.
func TestReaderSizes(t *testing.T) {
	for _, tc := range []struct{ batch, message, queue int }{
		{16 << 20, 1 << 20, 16},
		{64 << 10, 1 << 20, 1},
		{16 << 20, 64 << 10, 256},
	} {
		cfg := DefaultSourceConfig()
		cfg.MaxBatchBytes, cfg.MaxMessageBytes = tc.batch, tc.message
		queue, fetch := cfg.readerSizes()
		if queue != tc.queue || queue*tc.message > max(tc.batch, tc.message) {
			t.Errorf("batch %d, message %d: queue %d, want %d", tc.batch, tc.message, queue, tc.queue)
		}
		if fetch < tc.message || fetch < tc.batch {
			t.Errorf("batch %d, message %d: fetch %d bytes", tc.batch, tc.message, fetch)
		}
	}
}

// TestHighWaterMarks: the source reads a partition's high-water mark, and
// so is a pipeline.HighWaterMarker.
func TestHighWaterMarks(t *testing.T) {
	brokers := stockBroker(t)
	produce(t, brokers, []byte("a"), []byte("b"), []byte("c"))
	var src pipeline.HighWaterMarker = sourceFor(t, brokers, func(*SourceConfig) {})
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	p := pipeline.Partition{Topic: DefaultTopics().Enrolments, Partition: 0}
	marks, err := src.HighWaterMarks(ctx, []pipeline.Partition{p})
	if err != nil || marks[p] != 3 {
		t.Fatalf("high-water marks %v (%v), want 3 for %v", marks, err, p)
	}
}

// TestFetchEndsOnceCaughtUp: a batch takes a partition's backlog whole,
// however far it reaches, and ends once it holds the partition's last
// message, without waiting out BatchWait (an hour here) for more.
func TestFetchEndsOnceCaughtUp(t *testing.T) {
	brokers := stockBroker(t)
	const n = 50
	var values [][]byte
	for i := 0; i < n; i++ {
		values = append(values, []byte(strconv.Itoa(i)))
	}
	produce(t, brokers, values...)
	src := sourceFor(t, brokers, func(c *SourceConfig) { c.BatchWait = time.Hour })

	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	msgs, err := src.Fetch(ctx)
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the batch was gathered until the test's deadline, not until it caught up")
	}
	if len(msgs) != n {
		t.Fatalf("the batch holds %d messages, want the backlog's %d", len(msgs), n)
	}
	for i, m := range msgs {
		if m.Offset != int64(i) || string(m.Value) != strconv.Itoa(i) {
			t.Fatalf("message %d is offset %d, %q", i, m.Offset, m.Value)
		}
	}

	// One more event: a batch of its own, once it is the last.
	produce(t, brokers, []byte("late"))
	msgs, err = src.Fetch(ctx)
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the batch was gathered until the test's deadline, not until it caught up")
	}
	if len(msgs) != 1 || string(msgs[0].Value) != "late" {
		t.Fatalf("second batch %d messages, want the late one alone", len(msgs))
	}
}
