package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ekjon/ekjon/sinks/postgres"
)

// minPostgres is the oldest PostgreSQL the record's schema and queries
// are tested on (server_version_num).
const minPostgres = 130000

// checkPostgres checks that the record's database answers, that its
// server is recent enough, and which of the embedded migrations it has.
// `ekjon check` fails on a missing migration; `ekjon run` applies them
// right after the checks.
func checkPostgres(ctx context.Context, cfg Config, mode CheckMode) []CheckResult {
	const name = "postgresql"
	where := "PostgreSQL"
	if pc, err := pgxpool.ParseConfig(cfg.Postgres.URL); err == nil {
		// The URL may carry a password: name the server and database only.
		where = fmt.Sprintf("PostgreSQL at %s:%d/%s", pc.ConnConfig.Host, pc.ConnConfig.Port, pc.ConnConfig.Database)
	}
	remedy := "check --database-url (EKJON_DATABASE_URL) and that PostgreSQL runs and is reachable from here"
	store, err := postgres.Open(ctx, cfg.Postgres.URL, 2)
	if err != nil {
		return []CheckResult{failed(name, where+": "+errText(err), remedy)}
	}
	defer store.Close()
	num, version, err := store.ServerVersion(ctx)
	if err != nil {
		return []CheckResult{failed(name, where+": "+errText(err), remedy)}
	}
	if num < minPostgres {
		return []CheckResult{failed(name, fmt.Sprintf("%s is version %s, older than 13", where, version),
			"upgrade the server to PostgreSQL 13 or later")}
	}
	out := []CheckResult{passed(name, fmt.Sprintf("%s answers, version %s", where, version))}

	const mname = "postgresql migrations"
	st, err := store.Migrations(ctx)
	switch {
	case err != nil:
		return append(out, failed(mname, "the record's migrations cannot be read ("+errText(err)+")",
			"make sure ekjon's database user may read schema_migrations"))
	case len(st.Unknown) > 0:
		out = append(out, warned(mname, "the record has migrations this ekjon does not know ("+strings.Join(st.Unknown, ", ")+"): a newer ekjon migrated it",
			"run the ekjon version that migrated it"))
	case len(st.Pending) > 0 && mode == ForRun:
		out = append(out, passed(mname, fmt.Sprintf("%d of %d applied; ekjon run applies %s now", len(st.Applied), len(st.Applied)+len(st.Pending), strings.Join(st.Pending, ", "))))
	case len(st.Pending) > 0:
		out = append(out, failed(mname, fmt.Sprintf("the record lacks %d of the %d migrations (%s)", len(st.Pending), len(st.Applied)+len(st.Pending), strings.Join(st.Pending, ", ")),
			"run ekjon migrate (ekjon run applies them at start)"))
	default:
		out = append(out, passed(mname, fmt.Sprintf("all %d applied", len(st.Applied))))
	}
	return out
}
