// Package baseline is what a programme would build instead of ekjon: the
// same rules on PostgreSQL alone. Unique constraints decide the exact rules
// (one enrolment per person and programme, one payment per person,
// programme and cycle), a pg_trgm index on normalised names finds fuzzy
// candidates, and Go decides, one statement per event inside one
// transaction per Kafka batch. It reuses ekjon's name normaliser and scorer
// (matchers/fuzzy, matchers/score), so that a comparison with ekjon measures
// the architecture, not the matcher.
package baseline

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// schema is created before the registry is loaded; indexes that a bulk
// load would only slow down come after it (see Indexes).
const schema = `
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE TABLE bl_persons (
    person_key        text PRIMARY KEY,   -- the NID, or brn:/ref: for persons without one
    nid               text UNIQUE,
    deceased          boolean NOT NULL DEFAULT false,
    wallet_changed_at timestamptz
);
CREATE TABLE bl_enrolments (
    event_id        text PRIMARY KEY,
    person_key      text NOT NULL,
    programme       text NOT NULL,
    beneficiary_ref text NOT NULL DEFAULT '',
    status          text NOT NULL,        -- active, held, exited, suspended
    wallet          text NOT NULL DEFAULT '',
    UNIQUE (person_key, programme)
);
CREATE TABLE bl_payments (
    event_id   text PRIMARY KEY,
    person_key text NOT NULL,
    programme  text NOT NULL,
    cycle      text NOT NULL,
    UNIQUE (person_key, programme, cycle)
);
CREATE TABLE bl_candidates (
    person_id  text PRIMARY KEY,
    name_key   text NOT NULL,             -- normalised, transliterated name tokens
    father_key text NOT NULL,
    birth_year integer NOT NULL,
    dob        text NOT NULL,
    place      text NOT NULL,             -- district/upazila
    phone      text NOT NULL,             -- keyed hashes
    wallet     text NOT NULL,
    rec        bytea NOT NULL             -- the scorer's record
);
CREATE TABLE bl_token_freq (token text PRIMARY KEY, n bigint NOT NULL);
CREATE TABLE bl_decisions (
    event_id   text PRIMARY KEY,
    action     text NOT NULL,
    rules      text[] NOT NULL,
    score      double precision,
    person_key text,
    kafka_time timestamptz,
    decided_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
`

const indexes = `
CREATE INDEX bl_enrolments_ref ON bl_enrolments (programme, beneficiary_ref);
CREATE INDEX bl_candidates_name_year ON bl_candidates USING gin (birth_year, name_key gin_trgm_ops);
CREATE INDEX bl_candidates_name_place ON bl_candidates USING gin (place, name_key gin_trgm_ops);
CREATE INDEX bl_candidates_father_dob ON bl_candidates USING gin (dob, father_key gin_trgm_ops);
CREATE INDEX bl_candidates_phone ON bl_candidates (phone) WHERE phone <> '';
CREATE INDEX bl_candidates_wallet ON bl_candidates (wallet) WHERE wallet <> '';
ANALYZE;
`

// Create creates the baseline's tables in an empty database. It needs the
// pg_trgm, btree_gin and fuzzystrmatch extensions (Debian: postgresql-contrib).
func Create(ctx context.Context, pool *pgxpool.Pool) error {
	if _, err := pool.Exec(ctx, schema); err != nil {
		return fmt.Errorf("baseline schema: %w", err)
	}
	return nil
}

// Indexes builds the indexes a bulk load defers, and analyses the tables.
func Indexes(ctx context.Context, pool *pgxpool.Pool) error {
	if _, err := pool.Exec(ctx, indexes); err != nil {
		return fmt.Errorf("baseline indexes: %w", err)
	}
	return nil
}
