package postgres

import (
	"context"
	"errors"
	"io"
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
	var known *domain.Error
	if errors.As(err, &known) {
		// Classified where it arose, inside the transaction.
		return domain.Wrap(known.Kind, op, err)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Wrap(domain.KindNotFound, op, err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return domain.Wrap(domain.KindTransient, op, err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return domain.Wrap(kindOfSQLState(pgErr.Code), op, err)
	}
	// A connection lost mid-query (a restart, a failover) shows as a
	// network error, an end of stream or a closed connection.
	var netErr net.Error
	if errors.As(err, &netErr) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, pgconn.ErrConnClosed) {
		return domain.Wrap(domain.KindTransient, op, err)
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return domain.Wrap(domain.KindTransient, op, err)
	}
	return domain.Wrap(domain.KindInternal, op, err)
}

// kindOfSQLState classifies a SQLSTATE by its class (the first two
// characters), with the few codes that differ from their class named.
func kindOfSQLState(code string) domain.Kind {
	switch code {
	case "23505", "23P01": // unique, exclusion: a duplicate
		return domain.KindConflict
	}
	if len(code) < 2 {
		return domain.KindInternal
	}
	switch code[:2] {
	case "08", // connection exception
		"40", // transaction rollback: serialisation failure, deadlock
		"53", // insufficient resources: disk full, too many connections
		"55", // object not in prerequisite state: lock not available
		"57", // operator intervention: shutdown, cancel, cannot connect now
		"58": // system error: I/O
		return domain.KindTransient
	case "42", // syntax error or access rule violation
		"3D", "3F": // no such database or schema
		// The database is not as ekjon needs it (a migration not applied, a
		// grant revoked): no event is at fault, so the consumer pauses, and
		// its stalled lag alerts an operator.
		return domain.KindTransient
	case "22", // data exception: a value the column refuses
		"23", // integrity constraint violation, other than a duplicate
		"54": // program limit exceeded: a value too large for an index
		return domain.KindInvalid
	}
	return domain.KindInternal
}
