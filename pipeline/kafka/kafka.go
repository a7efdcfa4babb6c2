// Package kafka connects the pipeline to Kafka with segmentio/kafka-go: a
// consumer-group Source that commits only what the pipeline made durable,
// and a Publisher for decisions, alerts and dead letters.
package kafka

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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

// DefaultMaxMessageBytes is Kafka's stock message.max.bytes: the largest
// record batch a broker accepts, 1 MiB and the 12 bytes of its log header.
const DefaultMaxMessageBytes = 1048588

// batchOverhead is what a record batch adds to its records (61 bytes of
// header), with room to spare for kafka-go's estimate of a record's size.
const batchOverhead = 128

// BatchBytes returns the most bytes of messages, as kafka-go counts them,
// that a writer may put in one batch for the batch to fit a topic whose
// limit is maxMessageBytes (message.max.bytes or max.message.bytes). It is
// also the most one message may take.
func BatchBytes(maxMessageBytes int) int64 {
	return int64(maxMessageBytes - batchOverhead)
}

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
	// BatchGap ends a batch early once it has caught up: when the last
	// message taken was the last its partition held when fetched, and no
	// other comes within BatchGap. Under load the partitions hold more
	// than a batch takes and batches fill for BatchWait; when the
	// consumer keeps up, a batch goes as soon as the events waiting are
	// in it, rather than BatchWait after the first. 0 always waits
	// BatchWait.
	BatchGap time.Duration
	// MaxBatchBytes is the most bytes of messages (keys, values, headers)
	// a batch holds: it stops growing before it would pass it (a single larger message
	// is a batch of its own). The reader's queue holds at most as much of
	// the largest messages, so a consumer holds about twice MaxBatchBytes.
	MaxBatchBytes int
	// MaxMessageBytes is the largest message the input topics may hold;
	// every fetch asks for at least that much, or such a message would
	// block its partition.
	MaxMessageBytes int
	// MaxWait bounds a fetch that waits for data. kafka-go asks the broker
	// to answer a second before it, so it must be well above a second or a
	// busy broker's late answers become i/o timeouts and reconnects.
	MaxWait        time.Duration
	SessionTimeout time.Duration
	// StartOffset applies when the group has no committed offset.
	StartOffset int64
}

// DefaultSourceConfig returns the documented defaults.
func DefaultSourceConfig() SourceConfig {
	return SourceConfig{
		GroupID:         "ekjon",
		BatchSize:       2000,
		BatchWait:       5 * time.Millisecond,
		BatchGap:        time.Millisecond,
		MaxBatchBytes:   16 << 20,
		MaxMessageBytes: DefaultMaxMessageBytes,
		MaxWait:         2 * time.Second,
		SessionTimeout:  30 * time.Second,
		StartOffset:     kafkago.FirstOffset,
	}
}

// fetchOverhead is what a fetch response adds to the largest message it
// must carry whole.
const fetchOverhead = 64 << 10

// readerSizes returns the reader's queue capacity, in messages, and the
// most bytes one fetch asks for. The queue holds at most MaxBatchBytes of
// the largest messages (and at least one); a fetch asks for a batch's
// worth, and never less than the largest message.
func (c SourceConfig) readerSizes() (queue, fetch int) {
	queue = max(1, c.MaxBatchBytes/max(1, c.MaxMessageBytes))
	fetch = max(c.MaxBatchBytes, c.MaxMessageBytes+fetchOverhead)
	return queue, fetch
}

// Source reads the input topics as a member of a consumer group. It commits
// explicitly (never ReadMessage) so that an offset moves only past events
// whose decisions are durable. It is used by one Worker at a time.
type Source struct {
	r   *kafkago.Reader
	cfg SourceConfig
	// next is a message fetched but left out of the last batch, which it
	// would have taken past MaxBatchBytes; it begins the next batch.
	next *kafkago.Message
	// marks reads high-water marks over connections of its own, which
	// transport holds.
	marks     *kafkago.Client
	transport *kafkago.Transport
}

// NewSource joins the consumer group.
func NewSource(cfg SourceConfig, log *slog.Logger) *Source {
	queue, fetch := cfg.readerSizes()
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers:        cfg.Brokers,
		GroupID:        cfg.GroupID,
		GroupTopics:    cfg.Topics,
		MinBytes:       1,
		MaxBytes:       fetch,
		MaxWait:        cfg.MaxWait,
		QueueCapacity:  queue,
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
	transport := &kafkago.Transport{}
	marks := &kafkago.Client{Addr: kafkago.TCP(cfg.Brokers...), Timeout: 10 * time.Second, Transport: transport}
	return &Source{r: r, cfg: cfg, marks: marks, transport: transport}
}

// Fetch waits for one message, then gathers up to BatchSize, and up to
// MaxBatchBytes of keys and values, for at most BatchWait, or until
// BatchGap passes without a message once it has caught up.
func (s *Source) Fetch(ctx context.Context) ([]pipeline.Message, error) {
	var m kafkago.Message
	if s.next != nil {
		m, s.next = *s.next, nil
	} else {
		var err error
		if m, err = s.r.FetchMessage(ctx); err != nil {
			return nil, err
		}
	}
	out := make([]pipeline.Message, 0, min(s.cfg.BatchSize, 256))
	out = append(out, toMessage(m))
	held := size(m)
	wait, cancel := context.WithTimeout(ctx, s.cfg.BatchWait)
	defer cancel()
	for len(out) < s.cfg.BatchSize && held < s.cfg.MaxBatchBytes {
		next, err := s.fetchNext(wait, caughtUp(m))
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				break
			}
			return out, nil // keep what we have; the error will recur on the next fetch
		}
		m = next
		n := size(m)
		if held+n > s.cfg.MaxBatchBytes {
			s.next = &m
			break
		}
		held += n
		out = append(out, toMessage(m))
	}
	return out, nil
}

// fetchNext fetches the next message of a batch being gathered under ctx;
// once the batch has caught up, only if one comes within BatchGap.
func (s *Source) fetchNext(ctx context.Context, caughtUp bool) (kafkago.Message, error) {
	if !caughtUp || s.cfg.BatchGap <= 0 || s.cfg.BatchGap >= s.cfg.BatchWait {
		return s.r.FetchMessage(ctx)
	}
	gap, cancel := context.WithTimeout(ctx, s.cfg.BatchGap)
	defer cancel()
	return s.r.FetchMessage(gap)
}

// caughtUp reports whether m was the last message its partition held when
// it was fetched.
func caughtUp(m kafkago.Message) bool {
	return m.HighWaterMark > 0 && m.Offset+1 >= m.HighWaterMark
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
func (s *Source) Close() error {
	s.transport.CloseIdleConnections()
	return s.r.Close()
}

// HighWaterMarks reads the high-water marks of parts from the brokers, for
// the worker to keep its lag current while a batch is in flight (see
// pipeline.HighWaterMarker). It returns those it could read, and an error
// only when it could read none.
func (s *Source) HighWaterMarks(ctx context.Context, parts []pipeline.Partition) (map[pipeline.Partition]int64, error) {
	req := &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{}}
	for _, p := range parts {
		req.Topics[p.Topic] = append(req.Topics[p.Topic], kafkago.LastOffsetOf(p.Partition))
	}
	res, err := s.marks.ListOffsets(ctx, req)
	if err != nil {
		return nil, classify("high-water marks", err)
	}
	out := make(map[pipeline.Partition]int64, len(parts))
	var errs []error
	for topic, offsets := range res.Topics {
		for _, o := range offsets {
			if o.Error != nil {
				errs = append(errs, o.Error)
				continue
			}
			out[pipeline.Partition{Topic: topic, Partition: o.Partition}] = o.LastOffset
		}
	}
	if len(out) == 0 && len(errs) > 0 {
		return nil, classify("high-water marks", errors.Join(errs...))
	}
	return out, nil
}

// Publisher writes decisions, alerts and dead letters. Decisions and alerts
// carry ids and codes only: no NID, phone or wallet leaves in clear. Every
// message it writes fits the topics' message limit: decisions and alerts
// are small by construction (ids, codes, a rejection's reason that
// domain.Reject bounds to domain.MaxReasonBytes, an explanation of one
// contribution per field compared), and a dead letter whose original bytes
// would not fit is cut to fit. It is safe for concurrent use.
type Publisher struct {
	w      *Writer
	topics Topics
	// maxBytes is the most one message may take, as kafka-go counts it.
	maxBytes int
}

// PublisherConfig configures a Publisher.
type PublisherConfig struct {
	Brokers      []string
	Topics       Topics
	BatchSize    int
	BatchTimeout time.Duration
	// MaxMessageBytes is the output topics' message limit (message.max.bytes
	// on the broker, max.message.bytes on a topic). It bounds the writer's
	// batches, which the broker counts as one message, and every message.
	MaxMessageBytes int
}

// DefaultPublisherConfig returns the documented defaults.
func DefaultPublisherConfig() PublisherConfig {
	return PublisherConfig{Topics: DefaultTopics(), BatchSize: 2000, BatchTimeout: 2 * time.Millisecond,
		MaxMessageBytes: DefaultMaxMessageBytes}
}

// NewPublisher returns a publisher that waits for every in-sync replica to
// acknowledge a write.
func NewPublisher(cfg PublisherConfig) *Publisher {
	batchBytes := BatchBytes(cfg.MaxMessageBytes)
	return &Publisher{topics: cfg.Topics, maxBytes: int(batchBytes), w: NewWriter(&kafkago.Writer{
		Addr:         kafkago.TCP(cfg.Brokers...),
		Balancer:     &kafkago.Hash{},
		RequiredAcks: kafkago.RequireAll,
		BatchSize:    cfg.BatchSize,
		BatchTimeout: cfg.BatchTimeout,
		BatchBytes:   batchBytes,
		MaxAttempts:  3,
		WriteTimeout: 10 * time.Second,
	})}
}

// Publish writes each outcome's decision (keyed by person, so one person's
// decisions stay in order), its alerts, and, for a rejected event, the
// original bytes to the dead-letter topic with the reason in headers. An
// outcome without a decision (alerts the outbox relays alone) writes its
// alerts only, keyed by person or event. A
// failure is classified (see classify): KindTransient is worth another
// attempt; KindInvalid means a message the topic will never take.
func (p *Publisher) Publish(ctx context.Context, outs []domain.Outcome) error {
	msgs := make([]kafkago.Message, 0, len(outs)+len(outs)/8)
	for i := range outs {
		o := &outs[i]
		key := o.Decision.PersonID
		if key == "" {
			key = o.Decision.EventID
		}
		if o.Decision.EventID != "" {
			d, err := json.Marshal(&o.Decision)
			if err != nil {
				return domain.Wrap(domain.KindInternal, "publish: encode decision", err)
			}
			msgs = append(msgs, kafkago.Message{Topic: p.topics.Decisions, Key: []byte(key), Value: d})
		}
		for j := range o.Alerts {
			a, err := json.Marshal(&o.Alerts[j])
			if err != nil {
				return domain.Wrap(domain.KindInternal, "publish: encode alert", err)
			}
			k := key
			if k == "" {
				if k = o.Alerts[j].PersonID; k == "" {
					k = o.Alerts[j].EventID
				}
			}
			msgs = append(msgs, kafkago.Message{Topic: p.topics.Alerts, Key: []byte(k), Value: a})
		}
		if o.Dead {
			msgs = append(msgs, p.deadLetter(o))
		}
	}
	return classify("publish", p.w.WriteMessages(ctx, msgs...))
}

// deadLetter is the dead-letter message of a rejected event: its original
// bytes, with the reason and where it was read in headers. Original bytes
// that would take the message past the topic's limit are cut to fit, and
// headers say so: ekjon-truncated, the original's size and its SHA-256, by
// which an operator can match it to the event at its source.
func (p *Publisher) deadLetter(o *domain.Outcome) kafkago.Message {
	m := kafkago.Message{
		Topic: p.topics.DeadLetter, Key: []byte(o.Decision.EventID), Value: o.Raw,
		Headers: []kafkago.Header{
			{Key: "ekjon-reason", Value: []byte(clipUTF8(o.Decision.Reason, domain.MaxReasonBytes))},
			{Key: "ekjon-rule", Value: []byte(firstRule(o.Decision.Rules))},
			{Key: "ekjon-topic", Value: []byte(o.Origin.Topic)},
			{Key: "ekjon-partition", Value: []byte(strconv.Itoa(o.Origin.Partition))},
			{Key: "ekjon-offset", Value: []byte(strconv.FormatInt(o.Origin.Offset, 10))},
		},
	}
	if size(m) <= p.maxBytes {
		return m
	}
	sum := sha256.Sum256(o.Raw)
	m.Headers = append(m.Headers,
		kafkago.Header{Key: "ekjon-truncated", Value: []byte("true")},
		kafkago.Header{Key: "ekjon-original-bytes", Value: []byte(strconv.Itoa(len(o.Raw)))},
		kafkago.Header{Key: "ekjon-original-sha256", Value: []byte(hex.EncodeToString(sum[:]))},
	)
	m.Value = o.Raw[:max(0, len(o.Raw)-(size(m)-p.maxBytes))]
	return m
}

// size is at least the bytes m takes: in memory, in a record batch, and as
// kafka-go counts it against a writer's batch bytes (its key, value and
// headers and their length prefixes).
func size(m kafkago.Message) int {
	n := 32 + len(m.Key) + len(m.Value)
	for _, h := range m.Headers {
		n += 10 + len(h.Key) + len(h.Value)
	}
	return n
}

// clipUTF8 cuts s to at most n bytes, at a character's start.
func clipUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func firstRule(r []string) string {
	if len(r) == 0 {
		return ""
	}
	return r[0]
}

// Close flushes and closes the writer.
func (p *Publisher) Close() error { return p.w.Close() }
