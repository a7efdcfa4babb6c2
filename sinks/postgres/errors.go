package postgres

import (
	"context"
	"errors"
	"net"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ekjon/ekjon/domain"
)

// classify translates a pgx error into ekjon's error kinds where it arises,
// so that callers retry transient failures and nothing else.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Wrap(domain.KindNotFound, op, err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return domain.Wrap(domain.KindTransient, op, err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			return domain.Wrap(domain.KindConflict, op, err)
		case "40001", "40P01", "55P03", "57P01", "57P02", "57P03", "53300", "08000", "08003", "08006":
			return domain.Wrap(domain.KindTransient, op, err)
		case "22P02", "22001", "23502", "23514":
			return domain.Wrap(domain.KindInvalid, op, err)
		}
		return domain.Wrap(domain.KindInternal, op, err)
	}
	var netErr net.Error
	if errors.As(err, &netErr) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return domain.Wrap(domain.KindTransient, op, err)
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return domain.Wrap(domain.KindTransient, op, err)
	}
	return domain.Wrap(domain.KindInternal, op, err)
}
