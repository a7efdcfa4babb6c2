package postgres_test

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/sinks/postgres"
	"github.com/ekjon/ekjon/sinks/postgres/pgtest"
)

// moveBack moves the rows of events ids, and their keys, as many months
// back as the record had written them then: what a batch recorded in an
// earlier month looks like.
func moveBack(t *testing.T, s *postgres.Store, months int, ids ...string) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Pool().Exec(ctx, "SELECT ekjon_ensure_partitions(0, now() - make_interval(months => $1))", months); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"decision_keys", "decisions", "payments"} {
		if _, err := s.Pool().Exec(ctx, "UPDATE "+table+" SET recorded_at = recorded_at - make_interval(months => $1) WHERE event_id = ANY($2)",
			months, ids); err != nil {
			t.Fatal(err)
		}
	}
}

// partitionOf returns the partition that holds an event's row of table.
func partitionOf(t *testing.T, s *postgres.Store, table, id string) string {
	t.Helper()
	var name string
	if err := s.Pool().QueryRow(context.Background(), "SELECT tableoid::regclass::text FROM "+table+" WHERE event_id = $1", id).Scan(&name); err != nil {
		t.Fatalf("%s of %s: %v", table, id, err)
	}
	return name
}

// TestRedeliveryAcrossMonthBoundary: an event decided last month and
// delivered again this month is not decided twice, and a second admitted
// payment of last month's claim is refused, though the new rows would go to
// another partition than the old ones.
func TestRedeliveryAcrossMonthBoundary(t *testing.T) {
	ctx := context.Background()
	s := mustStore(t)
	first := []domain.Outcome{
		enrolment("e1", "Pa", "old_age", domain.ActionAdmit),
		payment("p1", "Pa", "old_age", "2026-11", domain.ActionAdmit),
	}
	if _, err := s.Write(ctx, first, 0); err != nil {
		t.Fatal(err)
	}
	thisMonth := partitionOf(t, s, "decisions", "p1")
	moveBack(t, s, 1, "e1", "p1")
	if got := partitionOf(t, s, "decisions", "p1"); got == thisMonth {
		t.Fatalf("p1 still in %s after moving it a month back", got)
	}
	before := counts(t, s)

	again := []domain.Outcome{payment("p1", "Pa", "old_age", "2026-11", domain.ActionBlock, domain.RuleDoublePayment)}
	recorded, err := s.Write(ctx, again, 0)
	if err != nil {
		t.Fatalf("redelivery in a new month: %v", err)
	}
	if d, ok := recorded["p1"]; !ok || d.Action != domain.ActionAdmit {
		t.Fatalf("redelivery found %+v on record, want last month's ADMIT", recorded)
	}
	if got := counts(t, s); !maps.Equal(got, before) {
		t.Fatalf("rows %v after a redelivery in a new month, want %v", got, before)
	}

	_, err = s.Write(ctx, []domain.Outcome{payment("p2", "Pa", "old_age", "2026-11", domain.ActionAdmit)}, 0)
	if domain.KindOf(err) != domain.KindConflict {
		t.Fatalf("second admitted payment of last month's claim: %v (kind %v), want a conflict", err, domain.KindOf(err))
	}
	if got := counts(t, s); !maps.Equal(got, before) {
		t.Fatalf("rows %v after a refused payment, want %v", got, before)
	}

	// A ruling that takes last month's payment back from ADMIT frees the
	// claim; one admitting the other payment takes it.
	if _, err := s.Pool().Exec(ctx, "UPDATE payments SET action = 'BLOCK' WHERE event_id = 'p1'"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(ctx, []domain.Outcome{payment("p3", "Pa", "old_age", "2026-11", domain.ActionAdmit)}, 0); err != nil {
		t.Fatalf("admitted payment of a released claim: %v", err)
	}
	if _, err := s.Pool().Exec(ctx, "UPDATE payments SET action = 'ADMIT' WHERE event_id = 'p1'"); err == nil || !strings.Contains(err.Error(), "23505") {
		t.Fatalf("admitting a second payment of a claim by a ruling: %v, want a unique violation", err)
	}
}

// TestDropMonthsBefore: the retention drops whole months of decisions and
// payments, and an event of a dropped month delivered again is still not
// decided again, nor its claim paid twice.
func TestDropMonthsBefore(t *testing.T) {
	ctx := context.Background()
	s := mustStore(t)
	old := []domain.Outcome{payment("p1", "Pa", "old_age", "2026-11", domain.ActionAdmit)}
	if _, err := s.Write(ctx, old, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(ctx, []domain.Outcome{payment("p9", "Pb", "old_age", "2026-11", domain.ActionAdmit)}, 0); err != nil {
		t.Fatal(err)
	}
	moveBack(t, s, 3, "p1")
	var cutoff time.Time
	if err := s.Pool().QueryRow(ctx, "SELECT date_trunc('month', now()) - interval '1 month'").Scan(&cutoff); err != nil {
		t.Fatal(err)
	}
	dropped, err := s.DropMonthsBefore(ctx, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if len(dropped) < 2 {
		t.Fatalf("dropped %v, want at least the month of p1 of decisions and payments", dropped)
	}
	if got := counts(t, s); got["decisions"] != 1 || got["payments"] != 1 {
		t.Fatalf("rows %v after dropping p1's month, want p9's decision and payment", got)
	}
	recorded, err := s.Write(ctx, []domain.Outcome{payment("p1", "Pa", "old_age", "2026-11", domain.ActionAdmit)}, 0)
	if err != nil {
		t.Fatalf("redelivery of a dropped month's event: %v", err)
	}
	if len(recorded) != 0 || counts(t, s)["decisions"] != 1 {
		t.Fatalf("redelivery of a dropped month's event recorded it again: %v, %v", recorded, counts(t, s))
	}
	_, err = s.Write(ctx, []domain.Outcome{payment("p2", "Pa", "old_age", "2026-11", domain.ActionAdmit)}, 0)
	if domain.KindOf(err) != domain.KindConflict {
		t.Fatalf("second admitted payment of a dropped month's claim: %v, want a conflict", err)
	}
}

// TestEnsurePartitions: the current month and PartitionsAhead months after
// it exist after a start, and a second call creates none.
func TestEnsurePartitions(t *testing.T) {
	ctx := context.Background()
	s := mustStore(t)
	if n, err := s.EnsurePartitions(ctx); err != nil || n != 0 {
		t.Fatalf("EnsurePartitions after the migration created %d: %v; the migration should have", n, err)
	}
	for _, table := range []string{"decisions", "payments"} {
		var n int
		err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
			WHERE i.inhparent = $1::regclass
			  AND to_date(right(c.relname, 7), 'YYYY_MM') BETWEEN date_trunc('month', now())::date
			      AND (date_trunc('month', now()) + make_interval(months => $2))::date`, table, postgres.PartitionsAhead).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n != postgres.PartitionsAhead+1 {
			t.Fatalf("%s has %d partitions from this month on, want %d", table, n, postgres.PartitionsAhead+1)
		}
	}
}

// TestMigratePartitionsKeepsRecord: a record written under migration 0006
// is read back whole after 0007, its redeliveries are still recognised and
// its admitted payments still claim their cycle.
func TestMigratePartitionsKeepsRecord(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.MustSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := postgres.MigrateTo(ctx, pool, 6); err != nil {
		t.Fatal(err)
	}
	// The rows as 0006's schema holds them, a month and more old.
	for _, q := range []string{
		`INSERT INTO decisions (event_id, event_type, programme, action, person_id, decided_at, config_version, recorded_at)
		 VALUES ('e1', 'enrolment', 'old_age', 'ADMIT', 'Pa', now() - interval '40 days', 'v1', now() - interval '40 days'),
		        ('p1', 'distribution', 'old_age', 'ADMIT', 'Pa', now() - interval '39 days', 'v1', now() - interval '39 days'),
		        ('p2', 'distribution', 'old_age', 'BLOCK', 'Pa', now(), 'v1', now())`,
		`INSERT INTO persons (person_id, index_key, id_kind, nid) VALUES ('Pa', 'a', 'nid', '1234567890')`,
		`INSERT INTO enrolments (event_id, person_id, programme, status, record, enrolled_at)
		 VALUES ('e1', 'Pa', 'old_age', 'active', '{}', now() - interval '40 days')`,
		`INSERT INTO payments (event_id, person_id, programme, cycle, amount, action, paid_at)
		 VALUES ('p1', 'Pa', 'old_age', '2026-10', 600, 'ADMIT', now() - interval '39 days'),
		        ('p2', 'Pa', 'old_age', '2026-10', 600, 'BLOCK', now())`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	applied, err := postgres.Migrate(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) == 0 || applied[0] != "0007_partitions.sql" {
		t.Fatalf("applied %v, want 0007_partitions.sql first", applied)
	}
	s := postgres.NewStore(pool)
	got, err := s.Decisions(ctx, []string{"e1", "p1", "p2"})
	if err != nil {
		t.Fatal(err)
	}
	for id, action := range map[string]domain.Action{"e1": domain.ActionAdmit, "p1": domain.ActionAdmit, "p2": domain.ActionBlock} {
		if got[id].Action != action {
			t.Fatalf("%s read back as %+v, want %s", id, got[id], action)
		}
	}
	if p := partitionOf(t, s, "payments", "p1"); p == partitionOf(t, s, "payments", "p2") {
		t.Fatalf("p1, recorded 39 days ago, shares partition %s with p2, recorded now", p)
	}
	recorded, err := s.Write(ctx, []domain.Outcome{payment("p1", "Pa", "old_age", "2026-10", domain.ActionAdmit)}, 0)
	if err != nil || recorded["p1"].Action != domain.ActionAdmit {
		t.Fatalf("redelivery of a migrated event: %v, %v", recorded, err)
	}
	_, err = s.Write(ctx, []domain.Outcome{payment("p3", "Pa", "old_age", "2026-10", domain.ActionAdmit)}, 0)
	if domain.KindOf(err) != domain.KindConflict {
		t.Fatalf("second admitted payment of a migrated claim: %v, want a conflict", err)
	}
	if _, err := s.Write(ctx, []domain.Outcome{payment("p4", "Pa", "old_age", "2026-11", domain.ActionAdmit)}, 0); err != nil {
		t.Fatalf("a payment of the next cycle after the migration: %v", err)
	}
}
