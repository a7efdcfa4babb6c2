package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
)

// Publisher announces decisions; pipeline/kafka's Publisher is one.
type Publisher interface {
	Publish(ctx context.Context, outs []domain.Outcome) error
}

// ReviewIndex applies a review's change to the matching index;
// matchers/redisindex's Index is one. Both operations are idempotent.
type ReviewIndex interface {
	ReleaseHold(ctx context.Context, indexKey, programme, eventID string) error
	ClaimEnrolment(ctx context.Context, indexKey, programme, eventID, walletKey string) error
}

// Relay publishes the outbox: revised decisions committed by reviewers. For
// each row it first applies the row's index change, then publishes the
// decision, then marks the row sent, so every committed decision is
// published at least once and nothing uncommitted ever is. Consumers dedupe
// by event_id and decided_at. Several relays may run at once: rows are
// claimed with SKIP LOCKED.
type Relay struct {
	store *Store
	pub   Publisher
	index ReviewIndex
	log   *slog.Logger
	wake  chan struct{}
	// Interval is how often the relay looks for rows it was not told of
	// (written by another process, or left by a failure).
	Interval time.Duration
	// Batch is the most rows published at once.
	Batch int

	published prometheus.Counter
	failed    prometheus.Counter
}

// NewRelay returns a relay; its metrics are registered with reg.
func NewRelay(s *Store, pub Publisher, index ReviewIndex, log *slog.Logger, reg prometheus.Registerer) *Relay {
	r := &Relay{
		store: s, pub: pub, index: index, log: log, wake: make(chan struct{}, 1),
		Interval: time.Second, Batch: 100,
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ekjon_review_outbox_published_total", Help: "Revised decisions published from the outbox.",
		}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ekjon_review_outbox_failed_total", Help: "Outbox relay attempts that failed and will be retried.",
		}),
	}
	if reg != nil {
		reg.MustRegister(r.published, r.failed)
	}
	return r
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
		case err != nil && ctx.Err() == nil:
			r.failed.Inc()
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

type outboxRow struct {
	id       int64
	decision domain.Decision
	op       *review.IndexOp
}

// Flush relays every pending row and returns how many it published.
func (r *Relay) Flush(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := r.flushBatch(ctx)
		total += n
		if err != nil || n < r.Batch {
			return total, err
		}
	}
}

func (r *Relay) flushBatch(ctx context.Context) (int, error) {
	var n int
	var failedIDs []int64
	err := pgx.BeginFunc(ctx, r.store.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT outbox_id, decision, index_op FROM outbox WHERE sent_at IS NULL
			ORDER BY outbox_id LIMIT $1 FOR UPDATE SKIP LOCKED`, r.Batch)
		if err != nil {
			return err
		}
		var batch []outboxRow
		for rows.Next() {
			var (
				row      outboxRow
				dec, opb []byte
			)
			if err := rows.Scan(&row.id, &dec, &opb); err != nil {
				rows.Close()
				return err
			}
			if err := json.Unmarshal(dec, &row.decision); err != nil {
				rows.Close()
				return fmt.Errorf("outbox row %d: %w", row.id, err)
			}
			if len(opb) > 0 {
				row.op = new(review.IndexOp)
				if err := json.Unmarshal(opb, row.op); err != nil {
					rows.Close()
					return fmt.Errorf("outbox row %d: %w", row.id, err)
				}
			}
			batch = append(batch, row)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(batch) == 0 {
			return err
		}
		ids := make([]int64, len(batch))
		outs := make([]domain.Outcome, len(batch))
		for i, row := range batch {
			ids[i] = row.id
			outs[i] = domain.Outcome{Decision: row.decision}
			if row.op == nil || r.index == nil {
				continue
			}
			var err error
			switch row.op.Op {
			case review.IndexReleaseHold:
				err = r.index.ReleaseHold(ctx, row.op.IndexKey, row.op.Programme, row.op.EventID)
			case review.IndexClaim:
				err = r.index.ClaimEnrolment(ctx, row.op.IndexKey, row.op.Programme, row.op.EventID, row.op.WalletKey)
			}
			if err != nil {
				failedIDs = ids
				return fmt.Errorf("outbox row %d: index: %w", row.id, err)
			}
		}
		if err := r.pub.Publish(ctx, outs); err != nil {
			failedIDs = ids
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE outbox SET sent_at = clock_timestamp(), attempts = attempts + 1
			WHERE outbox_id = ANY($1)`, ids); err != nil {
			return err
		}
		n = len(batch)
		return nil
	})
	if err != nil {
		if len(failedIDs) > 0 {
			_, _ = r.store.pool.Exec(context.WithoutCancel(ctx), `UPDATE outbox SET attempts = attempts + 1, last_error = $2
				WHERE outbox_id = ANY($1)`, failedIDs, err.Error())
		}
		return 0, classify("postgres: relay outbox", err)
	}
	r.published.Add(float64(n))
	return n, nil
}
