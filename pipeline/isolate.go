package pipeline

import (
	"context"

	"github.com/ekjon/ekjon/domain"
)

// isolate sets aside the one event of b that a stage refused for good (f),
// so that the stream goes on without losing it:
//
//   - refused before its decision was durable (lookup, decide, record): the
//     claims it made in the index are undone, and it is recorded and
//     published as REJECTED with the reason, its bytes dead-lettered;
//   - refused after (remember, publish): its decision stands. What the index
//     lacks is rebuilt from the record; what could not be published is
//     published without its alerts and dead letter, or, failing that, left
//     to the record, where the decision is.
//
// The rejection's own record and publication are retried whatever fails,
// since a record that refuses a bare rejection is down, not refusing an
// event. Every event set aside is counted and logged.
func (p *Processor) isolate(ctx context.Context, b *batch, f *stageFailure) error {
	o := &b.outs[0]
	p.m.isolated.WithLabelValues(f.stage).Inc()
	p.log.Error("an event was refused for good and set aside; the stream goes on",
		"stage", f.stage, "event", o.Decision.EventID, "kind", domain.KindOf(f.err).String(), "err", domain.Redact(f.err.Error()))
	switch f.stage {
	case "remember":
		// The decision is durable and this worker's; the index misses what
		// follows from it, so the index is rebuilt from the record.
		if err := p.stage(ctx, true, step{"invalidate", p.decider.Invalidate}); err != nil {
			return err
		}
		if err := p.stage(ctx, false, step{"publish", b.publish}); err == nil {
			b.finish()
			return nil
		} else if _, ok := err.(*stageFailure); !ok {
			return err
		}
		return p.publishBare(ctx, b)
	case "publish":
		return p.publishBare(ctx, b)
	}
	if len(b.pending) == 1 {
		if err := p.stage(ctx, true, step{"release", func(ctx context.Context) error { return p.decider.Release(ctx, b.pending) }}); err != nil {
			return err
		}
	}
	rej := &batch{p: p, msgs: b.msgs, now: b.now, done: b.done, outs: []domain.Outcome{p.refused(o, f)}}
	for _, s := range []step{{"record", rej.record}, {"publish", rej.publish}} {
		if err := p.stage(ctx, true, s); err != nil {
			return err
		}
	}
	rej.finish()
	return nil
}

// refused is the REJECTED outcome of the event of o, which stage f refused
// for good: its own id and fields, the reason, and its bytes for the dead
// letter. The reason names the stage and the kind of failure, not the
// driver's message, which may quote the event's values.
func (p *Processor) refused(o *domain.Outcome, f *stageFailure) domain.Outcome {
	r := domain.Outcome{
		Origin: o.Origin,
		Raw:    o.Raw,
		Event:  o.Event,
		Dead:   true,
		Decision: domain.Decision{
			EventID:       o.Decision.EventID,
			EventType:     o.Decision.EventType,
			Source:        o.Decision.Source,
			Programme:     o.Decision.Programme,
			Action:        domain.ActionRejected,
			Rules:         []string{domain.RuleInvalidEvent},
			Reason:        "the " + f.stage + " stage refused this event for good (" + domain.KindOf(f.err).String() + " error); it was set aside so the stream could go on",
			DecidedAt:     o.Decision.DecidedAt,
			ConfigVersion: o.Decision.ConfigVersion,
			Digest:        o.Decision.Digest,
		},
	}
	return r
}

// publishBare publishes the decision of b's one event without its alerts
// and dead letter, which may be what the topic refused; if even that is
// refused for good, the decision stays in the record alone.
func (p *Processor) publishBare(ctx context.Context, b *batch) error {
	o := &b.outs[0]
	o.Alerts, o.Dead = nil, false
	err := p.stage(ctx, false, step{"publish", b.publish})
	if f, ok := err.(*stageFailure); ok {
		p.m.isolated.WithLabelValues("publish").Inc()
		p.log.Error("a decision could not be published; it is in the record only",
			"event", o.Decision.EventID, "kind", domain.KindOf(f.err).String(), "err", domain.Redact(f.err.Error()))
		err = nil
	}
	if err != nil {
		return err
	}
	b.finish()
	return nil
}
