package postgres

import (
	"context"
	"errors"
	"slices"

	"github.com/jackc/pgx/v5/pgconn"
)

// MigrationStatus compares the record's schema with the migrations
// embedded in this binary.
type MigrationStatus struct {
	// Pending are the embedded migrations the database lacks, in order.
	Pending []string
	// Applied are the embedded migrations the database has.
	Applied []string
	// Unknown are migrations the database has and this binary does not:
	// a newer ekjon migrated it.
	Unknown []string
}

// Migrations reports which of the embedded migrations the database has,
// without applying any: the start-up checks use it.
func (s *Store) Migrations(ctx context.Context) (MigrationStatus, error) {
	var st MigrationStatus
	ms, err := migrations()
	if err != nil {
		return st, err
	}
	done := map[int]string{}
	rows, err := s.pool.Query(ctx, "SELECT version, name FROM schema_migrations")
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "42P01": // undefined_table: never migrated
	case err != nil:
		return st, classify("postgres: read migrations", err)
	default:
		for rows.Next() {
			var (
				v    int
				name string
			)
			if err := rows.Scan(&v, &name); err != nil {
				rows.Close()
				return st, classify("postgres: read migrations", err)
			}
			done[v] = name
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return st, classify("postgres: read migrations", err)
		}
	}
	for _, m := range ms {
		if _, ok := done[m.version]; ok {
			st.Applied = append(st.Applied, m.name)
			delete(done, m.version)
		} else {
			st.Pending = append(st.Pending, m.name)
		}
	}
	for _, name := range done {
		st.Unknown = append(st.Unknown, name)
	}
	slices.Sort(st.Unknown)
	return st, nil
}

// ServerVersion returns the server's version number (server_version_num,
// e.g. 150020 for 15.20) and its version string.
func (s *Store) ServerVersion(ctx context.Context) (int, string, error) {
	var (
		num  int
		text string
	)
	err := s.pool.QueryRow(ctx, "SELECT current_setting('server_version_num')::int, current_setting('server_version')").Scan(&num, &text)
	return num, text, classify("postgres: server version", err)
}
