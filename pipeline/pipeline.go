// Package pipeline turns a batch of Kafka messages into durable, published
// decisions: decode → validate → normalise → decide → record → publish, and
// only then lets the source commit. The stages are small interfaces so that
// the transports (pipeline/kafka), the index (matchers/redisindex) and the
// record (sinks/postgres) plug in from cmd/.
package pipeline

import (
	"context"
	"time"

	"github.com/ekjon/ekjon/domain"
)

// Message is one record read from the event stream.
type Message struct {
	Topic         string
	Partition     int
	Offset        int64
	HighWaterMark int64
	Key, Value    []byte
	Time          time.Time
	// Commit is the transport's handle for committing this message.
	Commit any
}

// Source yields batches of messages and commits them once their decisions
// are durable. Fetch blocks until at least one message is available or ctx
// ends, then gathers more for at most the source's batch wait.
type Source interface {
	Fetch(ctx context.Context) ([]Message, error)
	Commit(ctx context.Context, msgs []Message) error
}

// Decider decides validated events against the matching index (see
// matchers/redisindex).
type Decider interface {
	// Decide decides outs, making the claims their decisions rest on. It
	// returns the index generation it decided against, for the record to
	// check (see Recorder.Write); 0 means the index keeps none. Deciding
	// an event again finds its own claims and gives the same decision.
	Decide(ctx context.Context, outs []*domain.Outcome) (generation int64, err error)
	// Remember writes the index entries that follow from decisions once
	// they are durable. It is given only the decisions this worker
	// recorded, once each.
	Remember(ctx context.Context, outs []*domain.Outcome) error
	// Release undoes the claims Decide made for outs, whose decisions the
	// record refused for good: they are recorded as REJECTED instead.
	Release(ctx context.Context, outs []*domain.Outcome) error
	// Invalidate marks the index incomplete, to be rebuilt from the record.
	Invalidate(ctx context.Context) error
}

// Recorder is the system of record (see sinks/postgres).
type Recorder interface {
	// Decisions returns the durable decisions among ids.
	Decisions(ctx context.Context, ids []string) (map[string]domain.Decision, error)
	// Alerts returns the durable alerts raised by the events ids.
	Alerts(ctx context.Context, ids []string) (map[string][]domain.Alert, error)
	// Write makes outcomes durable, idempotently on event_id, skipping
	// those marked Redelivered; it does not change outs. It returns, by
	// event id, the decisions it found already recorded for events it was
	// to record: another worker decided them first, and theirs stand, and
	// nothing else of this attempt at them is written. generation is what
	// Decide returned: when the index has been rebuilt since, Write
	// records nothing and fails with a KindTransient error, so that the
	// batch is decided again.
	Write(ctx context.Context, outs []domain.Outcome, generation int64) (map[string]domain.Decision, error)
}

// Publisher announces decisions, alerts and dead letters.
type Publisher interface {
	Publish(ctx context.Context, outs []domain.Outcome) error
}
