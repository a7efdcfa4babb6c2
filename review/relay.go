package review

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ekjon/ekjon/domain"
)

// Publisher announces decisions; pipeline/kafka's Publisher is one.
type Publisher interface {
	Publish(ctx context.Context, outs []domain.Outcome) error
}

// Index applies a review's change to the matching index;
// matchers/redisindex's Index is one. Both operations are idempotent.
type Index interface {
	ReleaseHold(ctx context.Context, indexKey, programme, eventID string) error
	ClaimEnrolment(ctx context.Context, indexKey, programme, eventID, walletKey, ref string) error
}

// IndexReadiness tells the generation the matching index is ready at: the
// generation of the record (sinks/postgres Store.BeginRebuild) that the
// index's last rebuild loaded, or that it has grown from since. An index
// lost or being rebuilt is not ready.
type IndexReadiness interface {
	ReadyGeneration(ctx context.Context) (gen int64, ready bool, err error)
}

// ErrIndexBehind says the relay holds rows whose index change must wait
// for the index to be ready at the generation their review saw: a rebuild
// is clearing or loading it, and would load the record's state from before
// the review over the change, or the change would land in a generation
// about to be cleared. It is of KindTransient; the relay waits and tries
// again.
var ErrIndexBehind = errors.New("the matching index is not yet ready at the generation of a review's change")

// OutboxRow is a revised decision, or alerts, waiting to be published,
// with the index change to make first.
type OutboxRow struct {
	ID int64
	// Decision is the zero Decision for a row of alerts alone.
	Decision domain.Decision
	// Alerts are alerts raised outside a Kafka batch (by a scan, a refused
	// scan or the reconciliation), each in the outbox once.
	Alerts []domain.Alert
	// IndexOp is nil when the index need not change.
	IndexOp *IndexOp
	// Generation is the index generation the review's transaction saw,
	// holding the generation lock shared: a rebuild of that generation or
	// a later one has the review in its snapshot of the record, so the
	// change is applied once the index is ready at Generation or later.
	Generation int64
}

// Outbox keeps the decisions reviewers revised until they are published;
// ReviewAlert writes to it in the transaction of the revision.
// sinks/postgres's Store is one.
type Outbox interface {
	// ClaimOutbox claims up to limit unsent rows, oldest first, skipping
	// rows another relay holds, and hands them to send while it holds
	// them. When send returns nil the rows are marked sent; otherwise each
	// row's failed attempt is counted, send's error is kept with it, and
	// the error is returned. It returns how many rows were sent (0, and no
	// call of send, when none are waiting). Two concurrent claims never
	// hold one row.
	ClaimOutbox(ctx context.Context, limit int, send func(ctx context.Context, rows []OutboxRow) error) (int, error)
}

// Counter counts; a Prometheus counter is one.
type Counter interface {
	Add(float64)
}

// RelayMetrics are the relay's counters; a nil one counts nothing. The API
// registers them as ekjon_review_outbox_published_total,
// ekjon_review_outbox_failed_total and
// ekjon_review_outbox_index_waits_total.
type RelayMetrics struct {
	// Published counts revised decisions published from the outbox.
	Published Counter
	// Failed counts relay attempts that failed and will be retried.
	Failed Counter
	// Waited counts relay attempts that waited for the index to be ready
	// at a row's generation (ErrIndexBehind).
	Waited Counter
}

func add(c Counter, n int) {
	if c != nil {
		c.Add(float64(n))
	}
}

// Relay publishes the outbox: revised decisions committed by reviewers. For
// each row it first applies the row's index change, then publishes the
// decision, then has the row marked sent, so every committed decision is
// published at least once and nothing uncommitted ever is. A row's index
// change waits until the index is ready at the generation the review saw
// (OutboxRow.Generation), so that a rebuild neither loads the record's
// older state over it nor clears it after it landed. Consumers dedupe
// by event_id and decided_at. Several relays may run at once, in one
// process or many: the outbox never gives one row to two of them.
type Relay struct {
	outbox  Outbox
	pub     Publisher
	index   Index
	ready   IndexReadiness
	log     *slog.Logger
	metrics RelayMetrics
	wake    chan struct{}
	// Interval is how often the relay looks for rows it was not told of
	// (written by another process, or left by a failure).
	Interval time.Duration
	// Batch is the most rows published at once.
	Batch int
}

// NewRelay returns a relay of outbox to pub, applying index changes to
// index (nil: none are applied) once ready says the index is ready at
// their rows' generation. With a nil ready the changes are applied as soon
// as they are claimed, unfenced: a change applied while a rebuild clears
// and reloads the index may be lost.
func NewRelay(outbox Outbox, pub Publisher, index Index, ready IndexReadiness, log *slog.Logger, m RelayMetrics) *Relay {
	return &Relay{
		outbox: outbox, pub: pub, index: index, ready: ready, log: log, metrics: m, wake: make(chan struct{}, 1),
		Interval: time.Second, Batch: 100,
	}
}

// Notify tells the relay that rows were committed, so it need not wait for
// its interval. It never blocks.
func (r *Relay) Notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run relays until ctx ends, backing off after failures.
func (r *Relay) Run(ctx context.Context) error {
	backoff := r.Interval
	for {
		n, err := r.Flush(ctx)
		wait := r.Interval
		switch {
		case errors.Is(err, ErrIndexBehind):
			// A rebuild is under way: not a failure, and no reason to
			// back off further than the interval.
			add(r.metrics.Waited, 1)
			r.log.Debug("outbox relay waits for the index", "err", err)
		case err != nil && ctx.Err() == nil:
			add(r.metrics.Failed, 1)
			r.log.Warn("outbox relay failed; will retry", "err", err, "kind", domain.KindOf(err).String())
			backoff = min(backoff*2, 30*time.Second)
			wait = backoff
		case err == nil:
			backoff = r.Interval
			if n > 0 {
				continue
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-r.wake:
		case <-time.After(wait):
		}
	}
}

// Flush relays every pending row and returns how many it published.
func (r *Relay) Flush(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := r.outbox.ClaimOutbox(ctx, r.Batch, r.send)
		add(r.metrics.Published, n)
		total += n
		if err != nil || n < r.Batch {
			return total, err
		}
	}
}

// send applies the rows' index changes, then publishes their decisions.
// When the index is not ready at a row's generation it does neither, for
// any row of the batch, and returns ErrIndexBehind.
func (r *Relay) send(ctx context.Context, rows []OutboxRow) error {
	if err := r.fence(ctx, rows); err != nil {
		return err
	}
	outs := make([]domain.Outcome, len(rows))
	for i, row := range rows {
		outs[i] = domain.Outcome{Decision: row.Decision, Alerts: row.Alerts}
		if row.IndexOp == nil || r.index == nil {
			continue
		}
		if err := r.apply(ctx, row.IndexOp); err != nil {
			return fmt.Errorf("outbox row %d: index: %w", row.ID, err)
		}
	}
	return r.pub.Publish(ctx, outs)
}

// fence returns ErrIndexBehind unless the index is ready at the highest
// generation of the rows that change it.
func (r *Relay) fence(ctx context.Context, rows []OutboxRow) error {
	if r.index == nil || r.ready == nil {
		return nil
	}
	need, changes := int64(0), false
	for _, row := range rows {
		if row.IndexOp != nil {
			need, changes = max(need, row.Generation), true
		}
	}
	if !changes {
		return nil
	}
	gen, ready, err := r.ready.ReadyGeneration(ctx)
	if err != nil {
		return fmt.Errorf("index readiness: %w", err)
	}
	if !ready || gen < need {
		return domain.Wrap(domain.KindTransient, "outbox relay",
			fmt.Errorf("%w: a change of generation %d, the index ready %v at %d", ErrIndexBehind, need, ready, gen))
	}
	return nil
}

func (r *Relay) apply(ctx context.Context, op *IndexOp) error {
	switch op.Op {
	case IndexReleaseHold:
		return r.index.ReleaseHold(ctx, op.IndexKey, op.Programme, op.EventID)
	case IndexClaim:
		return r.index.ClaimEnrolment(ctx, op.IndexKey, op.Programme, op.EventID, op.WalletKey, op.Ref)
	}
	return nil
}
