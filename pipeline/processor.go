package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ekjon/ekjon/domain"
)

// Config configures a Processor.
type Config struct {
	Policy domain.Policy
	// MaxEventBytes rejects larger events outright.
	MaxEventBytes int
	// RetryMin and RetryMax bound the backoff between attempts of a stage
	// that failed; a stage is retried until it succeeds or the context ends,
	// so a failing dependency pauses the consumer instead of dropping events.
	RetryMin, RetryMax time.Duration
	// ShouldRetry says whether a stage's failure is worth another attempt;
	// nil means Transient. For now the failures it calls permanent are
	// retried as well, since a batch cannot yet be set aside.
	ShouldRetry func(error) bool
}

// DefaultConfig returns the defaults documented in the README.
func DefaultConfig() Config {
	return Config{
		Policy:        domain.DefaultPolicy(),
		MaxEventBytes: 1 << 20,
		RetryMin:      20 * time.Millisecond,
		RetryMax:      5 * time.Second,
		ShouldRetry:   Transient,
	}
}

// Processor runs one batch through the stages. It keeps no state between
// batches, so any number of processors may run on any number of machines.
// It is safe for concurrent use.
type Processor struct {
	cfg     Config
	decider Decider
	rec     Recorder
	pub     Publisher
	log     *slog.Logger
	m       *Metrics
	// Observe, if set, is called with every batch's outcomes once they are
	// published; the demo counts them.
	Observe func([]domain.Outcome)
	now     func() time.Time
}

// NewProcessor returns a Processor over the given stages.
func NewProcessor(cfg Config, d Decider, r Recorder, p Publisher, log *slog.Logger, m *Metrics) *Processor {
	if cfg.ShouldRetry == nil {
		cfg.ShouldRetry = Transient
	}
	return &Processor{cfg: cfg, decider: d, rec: r, pub: p, log: log, m: m, now: time.Now}
}

// Process decides a batch and makes it durable and published. It returns
// nil only when every message has a durable, published decision, and an
// error only when ctx ended first: failures of Redis, PostgreSQL or Kafka are
// retried with backoff. Messages must be in the order they were read.
func (p *Processor) Process(ctx context.Context, msgs []Message) error {
	if len(msgs) == 0 {
		return nil
	}
	p.m.batchSize.Observe(float64(len(msgs)))
	// Microseconds: what PostgreSQL keeps, so a decision read back from the
	// record equals the one first published.
	b := &batch{p: p, msgs: msgs, now: p.now().UTC().Truncate(time.Microsecond)}
	for _, s := range [][]step{
		{{"decode", b.decode}},
		{{"lookup", b.lookup}},
		// Decide and record retry together: deciding again is harmless (an
		// event finds its own claims), and a record that refuses a decision
		// as a conflict means the index lost something, so the index is
		// marked for rebuilding and the batch decided again against the
		// rebuilt one.
		{{"decide", b.decide}, {"record", b.record}},
		{{"remember", b.remember}},
		{{"publish", b.publish}},
	} {
		if err := p.stage(ctx, s...); err != nil {
			return err
		}
	}
	b.count()
	if p.Observe != nil {
		p.Observe(b.outs)
	}
	return nil
}

// batch is what the stages of one Process call learn about its messages.
// Each method is one step, and a step that fails leaves the batch ready
// for the step to run again.
type batch struct {
	p    *Processor
	msgs []Message
	now  time.Time
	// outs are the outcomes, one for each message, in the same order.
	outs []domain.Outcome
	// first is where each event id not on record first occurs in outs.
	first map[string]int
	// pending are the outcomes of valid events to decide.
	pending []*domain.Outcome
}

// decode turns every message into an outcome.
func (b *batch) decode(context.Context) error {
	b.outs = make([]domain.Outcome, len(b.msgs))
	for i := range b.msgs {
		b.p.m.consumed.WithLabelValues(b.msgs[i].Topic).Inc()
		b.outs[i] = b.p.decode(&b.msgs[i], b.now)
	}
	return nil
}

// lookup reads the decisions already on record, and their alerts, and
// gives them to the events they belong to; it leaves the other valid
// events pending.
func (b *batch) lookup(ctx context.Context) error {
	ids := make([]string, len(b.outs))
	for i := range b.outs {
		ids[i] = b.outs[i].Decision.EventID
	}
	known, err := b.p.rec.Decisions(ctx, ids)
	if err != nil {
		return err
	}
	var knownIDs []string
	for _, id := range ids {
		if _, ok := known[id]; ok {
			knownIDs = append(knownIDs, id)
		}
	}
	var alerts map[string][]domain.Alert
	if len(knownIDs) > 0 {
		if alerts, err = b.p.rec.Alerts(ctx, knownIDs); err != nil {
			return err
		}
	}

	// An event seen before keeps its decision; so does a second copy of an
	// event within this batch, which copies the first once it is decided.
	b.first = make(map[string]int, len(b.outs))
	for i := range b.outs {
		o := &b.outs[i]
		id := o.Decision.EventID
		if d, ok := known[id]; ok {
			// Published again, with its alerts and dead letter: the
			// worker that decided it may have stopped before publishing.
			o.Decision, o.Redelivered, o.Alerts = d, true, alerts[id]
			o.Dead = o.Dead && d.Action == domain.ActionRejected
			b.p.m.redelivered.Inc()
			continue
		}
		if _, dup := b.first[id]; dup {
			o.Redelivered = true
			continue
		}
		b.first[id] = i
		if o.Event != nil && o.Decision.Action == "" {
			b.pending = append(b.pending, o)
		}
	}
	return nil
}

// decide decides the pending events afresh, and gives each second copy
// its first copy's decision.
func (b *batch) decide(ctx context.Context) error {
	if len(b.pending) > 0 {
		for _, o := range b.pending {
			resetDecision(o)
		}
		if err := b.p.decider.Decide(ctx, b.pending); err != nil {
			return err
		}
	}
	for i := range b.outs {
		if j, ok := b.first[b.outs[i].Decision.EventID]; ok && j != i && b.outs[i].Redelivered {
			b.outs[i].Decision, b.outs[i].IndexKey = b.outs[j].Decision, b.outs[j].IndexKey
		}
	}
	return nil
}

// record makes the batch durable, and observes each new decision's
// latency from the event's broker time. An event another worker recorded
// first takes the decision on record, which is the one to publish, in every
// copy of it in the batch; the alerts that only this worker raised go.
func (b *batch) record(ctx context.Context) error {
	recorded, err := b.p.rec.Write(ctx, b.outs)
	if domain.KindOf(err) == domain.KindConflict {
		b.p.log.Error("the record refused a decision the index allowed; marking the index for rebuild", "err", err)
		if ierr := b.p.decider.Invalidate(ctx); ierr != nil {
			b.p.log.Error("could not mark the index for rebuild", "err", ierr)
		}
	}
	if err != nil {
		return err
	}
	durable := time.Now()
	for i := range b.outs {
		o := &b.outs[i]
		if d, ok := recorded[o.Decision.EventID]; ok {
			o.Decision, o.Alerts, o.Redelivered = d, nil, true
		}
	}
	for i := range b.msgs {
		if !b.msgs[i].Time.IsZero() && !b.outs[i].Redelivered {
			b.p.m.latency.Observe(durable.Sub(b.msgs[i].Time).Seconds())
		}
	}
	return nil
}

// remember writes the index entries that follow from the new decisions.
func (b *batch) remember(ctx context.Context) error {
	if len(b.pending) == 0 {
		return nil
	}
	return b.p.decider.Remember(ctx, b.pending)
}

// publish announces the batch's decisions, alerts and dead letters.
func (b *batch) publish(ctx context.Context) error {
	return b.p.pub.Publish(ctx, b.outs)
}

// count counts the decisions made, and the dead letters, of a published
// batch.
func (b *batch) count() {
	for i := range b.outs {
		o := &b.outs[i]
		if o.Redelivered {
			continue
		}
		rule := "none"
		if len(o.Decision.Rules) > 0 {
			rule = o.Decision.Rules[0]
		}
		b.p.m.decisions.WithLabelValues(string(o.Decision.Action), rule).Inc()
		if o.Dead {
			b.p.m.deadLetters.WithLabelValues(rule).Inc()
		}
	}
}

// decode turns a message into an outcome: a valid event waiting for its
// decision, or a REJECTED decision bound for the dead-letter topic.
func (p *Processor) decode(m *Message, now time.Time) domain.Outcome {
	o := domain.Outcome{
		Origin: domain.Origin{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Time: m.Time},
		Raw:    m.Value,
		Decision: domain.Decision{
			DecidedAt:     now,
			ConfigVersion: p.cfg.Policy.Version,
			Rules:         []string{},
		},
	}
	e, err := domain.DecodeEvent(m.Value, p.cfg.MaxEventBytes)
	if err == nil {
		err = domain.Validate(e, p.cfg.Policy)
	}
	if err == nil {
		o.Event = e
		o.Decision.EventID, o.Decision.EventType, o.Decision.Source, o.Decision.Programme = e.EventID, e.Type, e.Source, e.Programme
		return o
	}
	// A rejected event is still named, by its own id when it has a usable
	// one, else by where it was read, so a redelivery finds its decision.
	id := domain.PeekEventID(m.Value)
	if id == "" {
		id = fmt.Sprintf("kafka:%s:%d:%d", m.Topic, m.Partition, m.Offset)
	}
	rule := domain.RuleInvalidEvent
	if domain.IsIDError(err) {
		rule = domain.RuleInvalidID
	}
	o.Decision.EventID = id
	o.Decision.Action = domain.ActionRejected
	o.Decision.Rules = []string{rule}
	o.Decision.Reason = err.Error()
	if e != nil {
		o.Decision.EventType, o.Decision.Source, o.Decision.Programme = e.Type, clipField(e.Source), clipField(e.Programme)
	}
	o.Dead = true
	return o
}

// resetDecision clears what an earlier attempt at deciding left on o, so
// that a retried attempt does not add its rules and alerts a second time.
// What decoding set (the event's id, type, source, programme, the time and
// the config version) stays.
func resetDecision(o *domain.Outcome) {
	d := &o.Decision
	d.Action, d.Rules, d.Reason = "", []string{}, ""
	d.Score, d.Explanation, d.PersonID, d.MatchedPerson = 0, nil, "", ""
	o.Alerts, o.IndexRefs, o.IndexKey, o.WalletKey = nil, nil, "", ""
}

// clipField keeps an unvalidated field short enough to record.
func clipField(s string) string {
	if len(s) > 64 {
		return ""
	}
	return s
}
