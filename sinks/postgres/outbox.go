package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ekjon/ekjon/review"
)

// Store keeps the outbox review.Relay publishes.
var _ review.Outbox = (*Store)(nil)

// ClaimOutbox claims up to limit unsent outbox rows, oldest first, and
// hands them to send; see review.Outbox. A claim is the transaction that
// locks the rows (FOR UPDATE SKIP LOCKED, so concurrent relays take
// different rows), so send runs inside it and the rows are marked sent in
// it. When send fails the transaction rolls back and each row's attempt
// and send's error are recorded apart.
func (s *Store) ClaimOutbox(ctx context.Context, limit int, send func(context.Context, []review.OutboxRow) error) (int, error) {
	var (
		n         int
		failedIDs []int64
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT outbox_id, decision, alerts, index_op, generation FROM outbox WHERE sent_at IS NULL
			ORDER BY outbox_id LIMIT $1 FOR UPDATE SKIP LOCKED`, limit)
		if err != nil {
			return err
		}
		var batch []review.OutboxRow
		for rows.Next() {
			var (
				row          review.OutboxRow
				dec, al, opb []byte
			)
			if err := rows.Scan(&row.ID, &dec, &al, &opb, &row.Generation); err != nil {
				rows.Close()
				return err
			}
			if len(dec) > 0 {
				if err := json.Unmarshal(dec, &row.Decision); err != nil {
					rows.Close()
					return fmt.Errorf("outbox row %d: %w", row.ID, err)
				}
			}
			if len(al) > 0 {
				if err := json.Unmarshal(al, &row.Alerts); err != nil {
					rows.Close()
					return fmt.Errorf("outbox row %d: %w", row.ID, err)
				}
			}
			if len(opb) > 0 {
				row.IndexOp = new(review.IndexOp)
				if err := json.Unmarshal(opb, row.IndexOp); err != nil {
					rows.Close()
					return fmt.Errorf("outbox row %d: %w", row.ID, err)
				}
			}
			batch = append(batch, row)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(batch) == 0 {
			return err
		}
		ids := make([]int64, len(batch))
		for i, row := range batch {
			ids[i] = row.ID
		}
		if err := send(ctx, batch); err != nil {
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
			_, _ = s.pool.Exec(context.WithoutCancel(ctx), `UPDATE outbox SET attempts = attempts + 1, last_error = $2
				WHERE outbox_id = ANY($1)`, failedIDs, err.Error())
		}
		return 0, classify("postgres: relay outbox", err)
	}
	return n, nil
}
