package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
)

// BackfillCheckpoint reads how far the backfill run named key has come:
// the records done, in its order, and whether it finished; started is
// false for a run never started.
func (s *Store) BackfillCheckpoint(ctx context.Context, key string) (done int64, started, finished bool, err error) {
	err = s.pool.QueryRow(ctx, "SELECT done, finished_at IS NOT NULL FROM backfill_runs WHERE run_key = $1", key).Scan(&done, &finished)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, false, nil
	}
	return done, err == nil, finished, classify("postgres: backfill checkpoint", err)
}

// SaveBackfillCheckpoint records that the run named key has made its
// first done records durable, of total, from the files named files; with
// finished set, that it is over. A checkpoint only moves forward.
func (s *Store) SaveBackfillCheckpoint(ctx context.Context, key, files string, done, total int64, finished bool) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO backfill_runs (run_key, files, total, done, finished_at)
	VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN now() END)
	ON CONFLICT (run_key) DO UPDATE SET done = GREATEST(backfill_runs.done, EXCLUDED.done), updated_at = now(),
		finished_at = COALESCE(backfill_runs.finished_at, EXCLUDED.finished_at)`, key, files, total, done, finished)
	return classify("postgres: save backfill checkpoint", err)
}
