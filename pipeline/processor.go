package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
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
}

// DefaultConfig returns the defaults documented in the README.
func DefaultConfig() Config {
	return Config{
		Policy:        domain.DefaultPolicy(),
		MaxEventBytes: 1 << 20,
		RetryMin:      20 * time.Millisecond,
		RetryMax:      5 * time.Second,
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
	now := p.now().UTC().Truncate(time.Microsecond)

	t := time.Now()
	outs := make([]domain.Outcome, len(msgs))
	for i := range msgs {
		p.m.consumed.WithLabelValues(msgs[i].Topic).Inc()
		outs[i] = p.decode(&msgs[i], now)
	}
	p.m.stage.WithLabelValues("decode").Observe(time.Since(t).Seconds())

	t = time.Now()
	ids := make([]string, len(outs))
	for i := range outs {
		ids[i] = outs[i].Decision.EventID
	}
	var known map[string]domain.Decision
	if err := p.retry(ctx, "lookup", func(ctx context.Context) (err error) {
		known, err = p.rec.Decisions(ctx, ids)
		return err
	}); err != nil {
		return err
	}
	p.m.stage.WithLabelValues("lookup").Observe(time.Since(t).Seconds())

	// An event seen before keeps its decision; so does a second copy of an
	// event within this batch, which copies the first once it is decided.
	first := make(map[string]int, len(outs))
	var pending []*domain.Outcome
	var knownIDs []string
	for i := range outs {
		o := &outs[i]
		id := o.Decision.EventID
		if d, ok := known[id]; ok {
			// Published again, with its alerts and dead letter: the
			// worker that decided it may have stopped before publishing.
			o.Decision, o.Redelivered, o.Alerts = d, true, nil
			o.Dead = o.Dead && d.Action == domain.ActionRejected
			knownIDs = append(knownIDs, id)
			p.m.redelivered.Inc()
			continue
		}
		if _, dup := first[id]; dup {
			o.Redelivered = true
			continue
		}
		first[id] = i
		if o.Event != nil && o.Decision.Action == "" {
			pending = append(pending, o)
		}
	}

	if len(knownIDs) > 0 {
		var alerts map[string][]domain.Alert
		if err := p.retry(ctx, "lookup", func(ctx context.Context) (err error) {
			alerts, err = p.rec.Alerts(ctx, knownIDs)
			return err
		}); err != nil {
			return err
		}
		for i := range outs {
			if o := &outs[i]; o.Redelivered && known[o.Decision.EventID].EventID != "" {
				o.Alerts = alerts[o.Decision.EventID]
			}
		}
	}

	// Decide and record retry together: deciding again is harmless (an
	// event finds its own claims), and a record that refuses a decision as
	// a conflict means the index lost something, so the index is marked for
	// rebuilding and the batch decided again against the rebuilt one.
	var durable time.Time
	err := p.retry(ctx, "decide", func(ctx context.Context) error {
		t := time.Now()
		if len(pending) > 0 {
			for _, o := range pending {
				resetDecision(o)
			}
			if err := p.decider.Decide(ctx, pending); err != nil {
				return err
			}
		}
		for i := range outs {
			if j, ok := first[outs[i].Decision.EventID]; ok && j != i && outs[i].Redelivered {
				outs[i].Decision, outs[i].IndexKey = outs[j].Decision, outs[j].IndexKey
			}
		}
		p.m.stage.WithLabelValues("decide").Observe(time.Since(t).Seconds())
		t = time.Now()
		err := p.rec.Write(ctx, outs)
		if domain.KindOf(err) == domain.KindConflict {
			p.log.Error("the record refused a decision the index allowed; marking the index for rebuild", "err", err)
			if ierr := p.decider.Invalidate(ctx); ierr != nil {
				p.log.Error("could not mark the index for rebuild", "err", ierr)
			}
			return err
		}
		if err != nil {
			return err
		}
		durable = time.Now()
		p.m.stage.WithLabelValues("record").Observe(durable.Sub(t).Seconds())
		return nil
	})
	if err != nil {
		return err
	}
	for i := range msgs {
		if !msgs[i].Time.IsZero() && !outs[i].Redelivered {
			p.m.latency.Observe(durable.Sub(msgs[i].Time).Seconds())
		}
	}

	if len(pending) > 0 {
		if err := p.retry(ctx, "remember", func(ctx context.Context) error { return p.decider.Remember(ctx, pending) }); err != nil {
			return err
		}
	}

	t = time.Now()
	if err := p.retry(ctx, "publish", func(ctx context.Context) error { return p.pub.Publish(ctx, outs) }); err != nil {
		return err
	}
	p.m.stage.WithLabelValues("publish").Observe(time.Since(t).Seconds())

	for i := range outs {
		o := &outs[i]
		if o.Redelivered {
			continue
		}
		rule := "none"
		if len(o.Decision.Rules) > 0 {
			rule = o.Decision.Rules[0]
		}
		p.m.decisions.WithLabelValues(string(o.Decision.Action), rule).Inc()
		if o.Dead {
			p.m.deadLetters.WithLabelValues(rule).Inc()
		}
	}
	if p.Observe != nil {
		p.Observe(outs)
	}
	return nil
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

// retry runs fn until it succeeds or ctx ends, backing off exponentially
// with jitter between attempts.
func (p *Processor) retry(ctx context.Context, stage string, fn func(context.Context) error) error {
	wait := p.cfg.RetryMin
	for attempt := 0; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		p.m.failed.WithLabelValues(stage, domain.KindOf(err).String()).Inc()
		p.m.retries.WithLabelValues(stage).Inc()
		if attempt == 0 || attempt%10 == 0 {
			p.log.Warn("stage failed; retrying", "stage", stage, "attempt", attempt+1, "kind", domain.KindOf(err).String(), "err", err)
		}
		sleep := wait/2 + rand.N(wait/2+1)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(sleep):
		}
		wait = min(wait*2, p.cfg.RetryMax)
	}
}
