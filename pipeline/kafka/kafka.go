// Package kafka connects the pipeline to Kafka with segmentio/kafka-go: a
// consumer-group Source that commits only what the pipeline made durable,
// and a Publisher for decisions, alerts and dead letters.
package kafka

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/pipeline"
)

// Topics names the topics ekjon reads and writes.
type Topics struct {
	Enrolments, Distributions, Status string
	Decisions, Alerts, DeadLetter     string
}

// DefaultTopics returns the documented topic names.
func DefaultTopics() Topics {
	return Topics{
		Enrolments: "ekjon.enrolments", Distributions: "ekjon.distributions", Status: "ekjon.status",
		Decisions: "ekjon.decisions", Alerts: "ekjon.alerts", DeadLetter: "ekjon.deadletter",
	}
}

// Inputs lists the input topics.
func (t Topics) Inputs() []string { return []string{t.Enrolments, t.Distributions, t.Status} }

// Outputs lists the output topics.
func (t Topics) Outputs() []string { return []string{t.Decisions, t.Alerts, t.DeadLetter} }

// SourceConfig configures a consumer-group Source. Every size and wait is
// explicit: kafka-go's defaults suit neither throughput nor latency here.
type SourceConfig struct {
	Brokers []string
	GroupID string
	Topics  []string
	// BatchSize is the most messages handed to the pipeline at once.
	BatchSize int
	// BatchWait is how long to gather a batch after its first message.
	BatchWait time.Duration
	// MaxBytes is the most bytes one fetch may return; it must exceed the
	// largest message, or that message blocks its partition.
	MaxBytes int
	// MaxWait bounds a fetch that waits for data. kafka-go asks the broker
	// to answer a second before it, so it must be well above a second or a
	// busy broker's late answers become i/o timeouts and reconnects.
	MaxWait        time.Duration
	QueueCapacity  int
	SessionTimeout time.Duration
	// StartOffset applies when the group has no committed offset.
	StartOffset int64
}

// DefaultSourceConfig returns the documented defaults.
func DefaultSourceConfig() SourceConfig {
	return SourceConfig{
		GroupID:        "ekjon",
		BatchSize:      2000,
		BatchWait:      5 * time.Millisecond,
		MaxBytes:       16 << 20,
		MaxWait:        2 * time.Second,
		QueueCapacity:  4000,
		SessionTimeout: 30 * time.Second,
		StartOffset:    kafkago.FirstOffset,
	}
}

// Source reads the input topics as a member of a consumer group. It commits
// explicitly (never ReadMessage) so that an offset moves only past events
// whose decisions are durable. It is used by one Worker at a time.
type Source struct {
	r   *kafkago.Reader
	cfg SourceConfig
}

// NewSource joins the consumer group.
func NewSource(cfg SourceConfig, log *slog.Logger) *Source {
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers:        cfg.Brokers,
		GroupID:        cfg.GroupID,
		GroupTopics:    cfg.Topics,
		MinBytes:       1,
		MaxBytes:       cfg.MaxBytes,
		MaxWait:        cfg.MaxWait,
		QueueCapacity:  cfg.QueueCapacity,
		CommitInterval: 0, // synchronous commits, after the record is durable
		SessionTimeout: cfg.SessionTimeout,
		StartOffset:    cfg.StartOffset,
		ErrorLogger: kafkago.LoggerFunc(func(msg string, args ...any) {
			text := fmt.Sprintf(msg, args...)
			if strings.Contains(text, "Rebalance In Progress") || strings.Contains(text, "context canceled") ||
				strings.Contains(text, "operation was canceled") {
				// Members joining or leaving the group, or the reader
				// closing: routine.
				log.Info("kafka reader: " + text)
				return
			}
			log.Warn("kafka reader: " + text)
		}),
	})
	return &Source{r: r, cfg: cfg}
}

// Fetch waits for one message, then gathers up to BatchSize for at most
// BatchWait.
func (s *Source) Fetch(ctx context.Context) ([]pipeline.Message, error) {
	m, err := s.r.FetchMessage(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]pipeline.Message, 0, s.cfg.BatchSize)
	out = append(out, toMessage(m))
	wait, cancel := context.WithTimeout(ctx, s.cfg.BatchWait)
	defer cancel()
	for len(out) < s.cfg.BatchSize {
		m, err := s.r.FetchMessage(wait)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				break
			}
			return out, nil // keep what we have; the error will recur on the next fetch
		}
		out = append(out, toMessage(m))
	}
	return out, nil
}

func toMessage(m kafkago.Message) pipeline.Message {
	return pipeline.Message{
		Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, HighWaterMark: m.HighWaterMark,
		Key: m.Key, Value: m.Value, Time: m.Time,
		Commit: kafkago.Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset},
	}
}

// Commit commits the offsets of msgs.
func (s *Source) Commit(ctx context.Context, msgs []pipeline.Message) error {
	last := make(map[[2]any]kafkago.Message)
	for _, m := range msgs {
		km := m.Commit.(kafkago.Message)
		k := [2]any{km.Topic, km.Partition}
		if cur, ok := last[k]; !ok || km.Offset > cur.Offset {
			last[k] = km
		}
	}
	batch := make([]kafkago.Message, 0, len(last))
	for _, m := range last {
		batch = append(batch, m)
	}
	return s.r.CommitMessages(ctx, batch...)
}

// Close leaves the group.
func (s *Source) Close() error { return s.r.Close() }

// Publisher writes decisions, alerts and dead letters. Decisions and alerts
// carry ids and codes only: no NID, phone or wallet leaves in clear. It is
// safe for concurrent use.
type Publisher struct {
	w      *kafkago.Writer
	topics Topics
}

// PublisherConfig configures a Publisher.
type PublisherConfig struct {
	Brokers      []string
	Topics       Topics
	BatchSize    int
	BatchTimeout time.Duration
	BatchBytes   int64
}

// DefaultPublisherConfig returns the documented defaults.
func DefaultPublisherConfig() PublisherConfig {
	return PublisherConfig{Topics: DefaultTopics(), BatchSize: 2000, BatchTimeout: 2 * time.Millisecond, BatchBytes: 32 << 20}
}

// NewPublisher returns a publisher that waits for every in-sync replica to
// acknowledge a write.
func NewPublisher(cfg PublisherConfig) *Publisher {
	return &Publisher{topics: cfg.Topics, w: &kafkago.Writer{
		Addr:         kafkago.TCP(cfg.Brokers...),
		Balancer:     &kafkago.Hash{},
		RequiredAcks: kafkago.RequireAll,
		BatchSize:    cfg.BatchSize,
		BatchTimeout: cfg.BatchTimeout,
		BatchBytes:   cfg.BatchBytes,
		MaxAttempts:  3,
		WriteTimeout: 10 * time.Second,
	}}
}

// Publish writes each outcome's decision (keyed by person, so one person's
// decisions stay in order), its alerts, and, for a rejected event, the
// original bytes to the dead-letter topic with the reason in headers. A
// failure is classified (see classify): KindTransient is worth another
// attempt; KindInvalid means a message the topic will never take.
func (p *Publisher) Publish(ctx context.Context, outs []domain.Outcome) error {
	msgs := make([]kafkago.Message, 0, len(outs)+len(outs)/8)
	for i := range outs {
		o := &outs[i]
		d, err := json.Marshal(&o.Decision)
		if err != nil {
			return domain.Wrap(domain.KindInternal, "publish: encode decision", err)
		}
		key := o.Decision.PersonID
		if key == "" {
			key = o.Decision.EventID
		}
		msgs = append(msgs, kafkago.Message{Topic: p.topics.Decisions, Key: []byte(key), Value: d})
		for j := range o.Alerts {
			a, err := json.Marshal(&o.Alerts[j])
			if err != nil {
				return domain.Wrap(domain.KindInternal, "publish: encode alert", err)
			}
			msgs = append(msgs, kafkago.Message{Topic: p.topics.Alerts, Key: []byte(key), Value: a})
		}
		if o.Dead {
			msgs = append(msgs, kafkago.Message{
				Topic: p.topics.DeadLetter, Key: []byte(o.Decision.EventID), Value: o.Raw,
				Headers: []kafkago.Header{
					{Key: "ekjon-reason", Value: []byte(o.Decision.Reason)},
					{Key: "ekjon-rule", Value: []byte(firstRule(o.Decision.Rules))},
					{Key: "ekjon-topic", Value: []byte(o.Origin.Topic)},
					{Key: "ekjon-partition", Value: []byte(strconv.Itoa(o.Origin.Partition))},
					{Key: "ekjon-offset", Value: []byte(strconv.FormatInt(o.Origin.Offset, 10))},
				},
			})
		}
	}
	return classify("publish", p.w.WriteMessages(ctx, msgs...))
}

func firstRule(r []string) string {
	if len(r) == 0 {
		return ""
	}
	return r[0]
}

// Close flushes and closes the writer.
func (p *Publisher) Close() error { return p.w.Close() }
