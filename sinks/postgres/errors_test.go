package postgres

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ekjon/ekjon/domain"
)

// TestClassify: what the record's errors mean for the pipeline. A value
// the database refuses is the event's fault (set aside, never retried); a
// lost connection, a shutdown, a deadlock or a missing grant is not (the
// consumer pauses and retries).
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want domain.Kind
	}{
		{&pgconn.PgError{Code: "22021"}, domain.KindInvalid},  // invalid byte sequence (a NUL)
		{&pgconn.PgError{Code: "22003"}, domain.KindInvalid},  // numeric out of range
		{&pgconn.PgError{Code: "54000"}, domain.KindInvalid},  // index row too large
		{&pgconn.PgError{Code: "23502"}, domain.KindInvalid},  // not null
		{&pgconn.PgError{Code: "23505"}, domain.KindConflict}, // unique
		{&pgconn.PgError{Code: "40001"}, domain.KindTransient},
		{&pgconn.PgError{Code: "40P01"}, domain.KindTransient},
		{&pgconn.PgError{Code: "57P01"}, domain.KindTransient}, // admin shutdown
		{&pgconn.PgError{Code: "53300"}, domain.KindTransient}, // too many connections
		{&pgconn.PgError{Code: "42501"}, domain.KindTransient}, // permission denied
		{&pgconn.PgError{Code: "42P01"}, domain.KindTransient}, // undefined table
		{&pgconn.PgError{Code: "XX000"}, domain.KindInternal},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), domain.KindTransient},
		{fmt.Errorf("query: %w", pgconn.ErrConnClosed), domain.KindTransient},
		{context.DeadlineExceeded, domain.KindTransient},
		{domain.Errorf(domain.KindTransient, "fence", "stale"), domain.KindTransient},
		{fmt.Errorf("encode: unsupported type"), domain.KindInternal},
	} {
		if got := domain.KindOf(classify("op", tc.err)); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.err, got, tc.want)
		}
	}
}
