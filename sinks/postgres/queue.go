package postgres

import (
	"context"
	"time"
)

// OpenAlerts returns how many alerts wait for a reviewer (any status but
// closed) and when the oldest of them was raised; zero when none waits.
func (s *Store) OpenAlerts(ctx context.Context) (int64, time.Time, error) {
	var (
		n      int64
		oldest *time.Time
	)
	err := s.pool.QueryRow(ctx, "SELECT count(*), min(created_at) FROM alerts WHERE status <> 'closed'").Scan(&n, &oldest)
	if err != nil || oldest == nil {
		return n, time.Time{}, classify("postgres: open alerts", err)
	}
	return n, *oldest, nil
}
