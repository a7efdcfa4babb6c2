package postgres

import (
	"context"
	"time"
)

// PartitionsAhead is how many months after the current one
// EnsurePartitions creates partitions for: with two, a worker that last
// ran a month ago still left the current month ready.
const PartitionsAhead = 2

// EnsurePartitions creates the monthly partitions of decisions and
// payments (migration 0007) for the current month and PartitionsAhead
// months after it, those missing, and returns how many it created. Many
// workers may call it at once.
func (s *Store) EnsurePartitions(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, "SELECT ekjon_ensure_partitions($1)", PartitionsAhead).Scan(&n)
	return n, classify("postgres: ensure partitions", err)
}

// KeepPartitions calls EnsurePartitions every interval until ctx ends, so
// that a write in a new month always finds its partition. A failed call
// is reported to onErr and tried again at the next tick: the partitions
// are created months ahead, so one missed day is no harm.
func (s *Store) KeepPartitions(ctx context.Context, interval time.Duration, onErr func(error)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if _, err := s.EnsurePartitions(ctx); err != nil && ctx.Err() == nil {
				onErr(err)
			}
		}
	}
}

// DropMonthsBefore drops the monthly partitions of decisions and payments
// whose month ended by cutoff, and returns their names: the retention of
// docs/capacity.md. decision_keys and payment_claims keep their rows, so
// that a redelivered event of a dropped month is still known and a cycle
// once paid stays paid.
func (s *Store) DropMonthsBefore(ctx context.Context, cutoff time.Time) ([]string, error) {
	rows, err := s.pool.Query(ctx, "SELECT ekjon_drop_months_before($1)", cutoff)
	if err != nil {
		return nil, classify("postgres: drop partitions", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, classify("postgres: drop partitions", err)
		}
		out = append(out, name)
	}
	return out, classify("postgres: drop partitions", rows.Err())
}
