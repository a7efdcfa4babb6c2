package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/internal/par"
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
	// nil means Transient. A failure it refuses is the batch's own fault:
	// the batch is split until the event at fault is alone, and that event
	// is set aside as REJECTED (see Process).
	ShouldRetry func(error) bool
	// Digest, if set, fingerprints an event's content with a keyed hash.
	// The fingerprint is recorded with the decision, so that another event
	// sent under an id already decided is rejected (EVENT_ID_REUSED)
	// rather than taken for a redelivery of the first.
	Digest func(content []byte) string
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
// error only when ctx ended first. Failures of Redis, PostgreSQL or Kafka
// that ShouldRetry calls transient are retried with backoff, so an outage
// pauses the consumer. A failure it calls permanent is the fault of an
// event: the batch is split in halves, each processed in turn, until the
// event at fault is alone; it is then set aside (see isolate) and the
// stream goes on. Messages must be in the order they were read.
func (p *Processor) Process(ctx context.Context, msgs []Message) error {
	if len(msgs) == 0 {
		return nil
	}
	p.m.batchSize.Observe(float64(len(msgs)))
	return p.process(ctx, msgs, nil)
}

// ProcessOne is Process for a single message, for a caller that waits for
// its answer (the distributors' scan API): it returns the message's
// outcome once it is durable and published, the same outcome a consumer
// of the stream would have published for it.
func (p *Processor) ProcessOne(ctx context.Context, m Message) (domain.Outcome, error) {
	var out domain.Outcome
	err := p.process(ctx, []Message{m}, func(_ int, outs []domain.Outcome) { out = outs[0] })
	return out, err
}

// process runs msgs through the stages, splitting them on a permanent
// failure. done, if not nil, is shown the outcomes of each part once
// published, with where the part begins in msgs.
func (p *Processor) process(ctx context.Context, msgs []Message, done func(at int, outs []domain.Outcome)) error {
	// Microseconds: what PostgreSQL keeps, so a decision read back from the
	// record equals the one first published.
	b := &batch{p: p, msgs: msgs, now: p.now().UTC().Truncate(time.Microsecond), done: done}
	err := b.run(ctx)
	if err == nil {
		b.finish()
		return nil
	}
	var f *stageFailure
	if !errors.As(err, &f) {
		return err
	}
	if len(msgs) == 1 {
		return p.isolate(ctx, b, f)
	}
	p.log.Warn("a stage failed for good; splitting the batch to find the event at fault",
		"stage", f.stage, "events", len(msgs), "kind", domain.KindOf(f.err).String(), "err", domain.Redact(f.err.Error()))
	mid := len(msgs) / 2
	if err := p.process(ctx, msgs[:mid], done); err != nil {
		return err
	}
	var rest func(int, []domain.Outcome)
	if done != nil {
		rest = func(at int, outs []domain.Outcome) { done(mid+at, outs) }
	}
	return p.process(ctx, msgs[mid:], rest)
}

// run takes the batch through its stages.
func (b *batch) run(ctx context.Context) error {
	for _, s := range [][]step{
		{{"decode", b.decode}},
		// Decide and record retry together, so that a record that
		// refuses a batch decided against an index since rebuilt, or
		// refuses a decision as a conflict because the index lost
		// something, has the batch decided again. Any other failure of
		// the record keeps the decisions and retries the record alone:
		// deciding a batch again over its own claims lets its earlier
		// events see what its later ones did (a payment before its
		// enrolment paid, one before a suspension blocked). The lookup
		// runs again before each new decision: while this worker waited
		// (for a rebuild, a backoff), another may have recorded some of
		// the batch, whose claims would pass for claims left unrecorded.
		{{"lookup", b.relookup}, {"decide", b.decide}, {"record", b.record}},
		{{"remember", b.remember}},
		{{"publish", b.publish}},
	} {
		if err := b.p.stage(ctx, false, s...); err != nil {
			return err
		}
	}
	return nil
}

// finish counts a published batch's decisions and shows them to Observe.
func (b *batch) finish() {
	b.count()
	if b.p.Observe != nil {
		b.p.Observe(b.outs)
	}
	if b.done != nil {
		b.done(0, b.outs)
	}
}

// batch is what the stages of one Process call learn about its messages.
// Each method is one step, and a step that fails leaves the batch ready
// for the step to run again.
type batch struct {
	p    *Processor
	msgs []Message
	now  time.Time
	// done, if set, sees the outcomes once published (ProcessOne, Group),
	// with where msgs begin among the messages the caller gave.
	done func(at int, outs []domain.Outcome)
	// outs are the outcomes, one for each message, in the same order.
	outs []domain.Outcome
	// first is where each event id not on record first occurs in outs.
	first map[string]int
	// pending are the outcomes of valid events to decide.
	pending []*domain.Outcome
	// generation is the index generation pending were decided against.
	generation int64
	// decided says pending hold decisions made against the index as it
	// is: a retry of the record need not decide them again.
	decided bool
	// fresh are the pending outcomes whose decisions this batch recorded.
	fresh []*domain.Outcome
	// conflicts counts the record's refusals of decisions as conflicts.
	conflicts int
}

// decode turns every message into an outcome.
func (b *batch) decode(context.Context) error {
	b.outs = make([]domain.Outcome, len(b.msgs))
	par.ForEach(len(b.msgs), func(i int) {
		b.p.m.consumed.WithLabelValues(b.msgs[i].Topic).Inc()
		b.outs[i] = b.p.decode(&b.msgs[i], b.now)
	})
	return nil
}

// coordinates names a message by where it was read: the id of a decision
// on a message that has no usable event id of its own, or whose id was
// already used by another event.
func coordinates(o *domain.Outcome) string {
	return fmt.Sprintf("kafka:%s:%d:%d", o.Origin.Topic, o.Origin.Partition, o.Origin.Offset)
}

// lookup reads the decisions already on record, and their alerts, and
// gives them to the events they belong to; it leaves the other valid
// events pending. An event under an id already decided for other content
// is rejected as EVENT_ID_REUSED, under its coordinates.
func (b *batch) lookup(ctx context.Context) error {
	b.pending, b.fresh = nil, nil
	known, err := b.p.rec.Decisions(ctx, b.ids())
	if err != nil {
		return err
	}
	reused := false
	first := make(map[string]int, len(b.outs))
	for i := range b.outs {
		o := &b.outs[i]
		id := o.Decision.EventID
		if d, ok := known[id]; ok && !sameContent(d.Digest, o.Decision.Digest) {
			b.p.reuse(o, d.DecidedAt)
			reused = true
			continue
		}
		if j, ok := first[id]; ok && !sameContent(b.outs[j].Decision.Digest, o.Decision.Digest) {
			b.p.reuse(o, time.Time{})
			reused = true
			continue
		}
		if _, ok := first[id]; !ok {
			first[id] = i
		}
	}
	if reused {
		// The rejections are named by their coordinates, which a
		// redelivery of the same message shares.
		again, err := b.p.rec.Decisions(ctx, b.ids())
		if err != nil {
			return err
		}
		for id, d := range again {
			known[id] = d
		}
	}
	var knownIDs []string
	asked := make(map[string]bool, len(known))
	for _, id := range b.ids() {
		if _, ok := known[id]; ok && !asked[id] {
			asked[id] = true
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

// relookup is lookup, before each decision of the batch; a batch already
// decided keeps what it looked up, and its decisions.
func (b *batch) relookup(ctx context.Context) error {
	if b.decided {
		return nil
	}
	// What an earlier attempt decided goes, so that lookup finds these
	// events pending again unless the record now holds them.
	for _, o := range b.pending {
		resetDecision(o)
	}
	return b.lookup(ctx)
}

// ids lists the batch's event ids, in order.
func (b *batch) ids() []string {
	ids := make([]string, len(b.outs))
	for i := range b.outs {
		ids[i] = b.outs[i].Decision.EventID
	}
	return ids
}

// sameContent reports whether two digests name the same content; a
// decision recorded without one matches any.
func sameContent(a, b string) bool { return a == "" || b == "" || a == b }

// reuse rejects o, an event under an id already used by another event
// (decided at decided, if known), and raises an alert: a source system
// that reuses ids, or someone passing one event off as another.
func (p *Processor) reuse(o *domain.Outcome, decided time.Time) {
	id := o.Decision.EventID
	reason := fmt.Sprintf("event_id %q was already used by another event", id)
	if !decided.IsZero() {
		reason += " (decided at " + decided.UTC().Format(time.RFC3339) + ")"
	}
	reason += "; a new event needs a new event_id"
	o.Decision.EventID = coordinates(o)
	o.Decision.Action = domain.ActionRejected
	o.Decision.Rules = []string{domain.RuleEventIDReused}
	o.Decision.Reason = reason
	o.Decision.PersonID, o.Decision.MatchedPerson = "", ""
	o.Dead = true
	o.Alerts = []domain.Alert{{
		AlertID:   domain.AlertID(o.Decision.EventID, domain.RuleEventIDReused),
		EventID:   o.Decision.EventID,
		Rule:      domain.RuleEventIDReused,
		Action:    domain.ActionRejected,
		Programme: o.Decision.Programme,
		CreatedAt: o.Decision.DecidedAt,
	}}
}

// decide decides the pending events afresh, and gives each second copy
// its first copy's decision.
func (b *batch) decide(ctx context.Context) error {
	if len(b.pending) > 0 && !b.decided {
		for _, o := range b.pending {
			resetDecision(o)
		}
		gen, err := b.p.decider.Decide(ctx, b.pending)
		if err != nil {
			return err
		}
		b.generation, b.decided = gen, true
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
	recorded, err := b.p.rec.Write(ctx, b.outs, b.generation)
	if domain.KindOf(err) == domain.KindConflict {
		b.conflicts++
		if b.conflicts > 1 {
			// The index was rebuilt from the record and the record still
			// refuses the batch: the fault is an event's, not the index's.
			return err
		}
		b.decided = false
		b.p.log.Error("the record refused a decision the index allowed; marking the index for rebuild", "err", domain.Redact(err.Error()))
		if ierr := b.p.decider.Invalidate(ctx); ierr != nil {
			b.p.log.Error("could not mark the index for rebuild", "err", ierr)
		}
		return &decideAgain{err}
	}
	if errors.Is(err, domain.ErrIndexRebuilt) {
		b.decided = false
	}
	if err != nil {
		return err
	}
	durable := time.Now()
	if b.undidRecorded(recorded) {
		// Decide undid claims this batch had left, and another worker
		// has recorded one of its events meanwhile under another
		// decision: a claim the record holds may be gone from the index.
		b.p.log.Warn("a batch decided again was recorded by another worker meanwhile; marking the index for rebuild")
		if err := b.p.decider.Invalidate(ctx); err != nil {
			return err
		}
	}
	for i := range b.outs {
		o := &b.outs[i]
		if d, ok := recorded[o.Decision.EventID]; ok {
			o.Decision, o.Alerts, o.Redelivered = d, nil, true
		}
	}
	for _, o := range b.pending {
		if !o.Redelivered {
			b.fresh = append(b.fresh, o)
		}
	}
	for i := range b.msgs {
		if !b.msgs[i].Time.IsZero() && !b.outs[i].Redelivered {
			b.p.m.latency.Observe(durable.Sub(b.msgs[i].Time).Seconds())
		}
	}
	return nil
}

// undidRecorded reports whether Decide undid the batch's earlier claims
// (Outcome.Redecided) and the record holds a pending event from another
// worker (recorded) under a decision other than the one made again. A
// claim follows from the event and its decision (the action, the rules,
// the person and the person matched), so an event decided again as the
// record holds it has its claims back as the record holds them: this is
// the batch two workers decided in a rebalance, from the same index.
func (b *batch) undidRecorded(recorded map[string]domain.Decision) bool {
	for _, o := range b.pending {
		if d, ok := recorded[o.Decision.EventID]; ok && o.Redecided && !sameClaims(d, o.Decision) {
			return true
		}
	}
	return false
}

// sameClaims reports whether two decisions of one event leave the same
// claims in the index.
func sameClaims(a, b domain.Decision) bool {
	return a.Action == b.Action && a.PersonID == b.PersonID && a.MatchedPerson == b.MatchedPerson &&
		slices.Equal(a.Rules, b.Rules)
}

// remember writes the index entries that follow from the decisions this
// batch recorded.
func (b *batch) remember(ctx context.Context) error {
	if len(b.fresh) == 0 {
		return nil
	}
	return b.p.decider.Remember(ctx, b.fresh)
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
		o.Decision.Digest = p.digest(e.Canonical())
		return o
	}
	o.Decision.Digest = p.digest(m.Value)
	// A rejected event is still named, by its own id when it has a usable
	// one, else by where it was read, so a redelivery finds its decision.
	id := domain.PeekEventID(m.Value)
	if id == "" {
		id = coordinates(&o)
	}
	// What the decision keeps of the event's own fields is made safe to
	// record: they were not validated.
	r := domain.Reject(e, err)
	o.Decision.EventID = id
	o.Decision.Action = domain.ActionRejected
	o.Decision.Rules = []string{r.Rule}
	o.Decision.Reason = r.Reason
	o.Decision.EventType, o.Decision.Source, o.Decision.Programme = r.Type, r.Source, r.Programme
	o.Dead = true
	return o
}

// digest fingerprints content, or returns "" when no Digest is configured.
func (p *Processor) digest(content []byte) string {
	if p.cfg.Digest == nil {
		return ""
	}
	return p.cfg.Digest(content)
}

// resetDecision clears what an earlier attempt at deciding left on o, so
// that a retried attempt does not add its rules and alerts a second time.
// What decoding set (the event's id, type, source, programme, the time and
// the config version) stays.
func resetDecision(o *domain.Outcome) {
	d := &o.Decision
	d.Action, d.Rules, d.Reason = "", []string{}, ""
	d.Score, d.Explanation, d.PersonID, d.MatchedPerson = 0, nil, "", ""
	o.Alerts, o.HoldsRef, o.Links, o.IndexTokens, o.IndexKey, o.WalletKey = nil, false, nil, nil, "", ""
	o.Redecided = false
}
