package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/sinks/postgres"
)

// TestIndexesServeTheirQueries: each index of the partitioned tables and
// of their key tables is used by the query it was made for (0007's
// comments). Sequential scans are disabled, since on a test's few rows the
// planner would rather read the whole table; what is checked is that the
// index answers the query, as it must at millions of rows.
func TestIndexesServeTheirQueries(t *testing.T) {
	ctx := context.Background()
	s := mustStore(t)
	if _, err := s.Write(ctx, []domain.Outcome{
		enrolment("e1", "Pa", "old_age", domain.ActionAdmit),
		payment("p1", "Pa", "old_age", "2026-11", domain.ActionAdmit),
	}, 0); err != nil {
		t.Fatal(err)
	}
	moveBack(t, s, 1, "e1")
	cases := []struct {
		query string
		args  []any
		index []string // in the plan
	}{
		{postgres.ReadDecisions, []any{[]string{"e1", "p1"}}, []string{"decision_keys_pkey", "_pkey on decisions_"}},
		{"SELECT count(*) FROM decisions WHERE decided_at >= $1", []any{decidedAt.Add(-24 * 3600e9)}, []string{"_decided_at_idx"}},
		{"SELECT event_id FROM decisions WHERE person_id = $1 ORDER BY decided_at DESC LIMIT 100", []any{"Pa"}, []string{"_person_id_decided_at_idx"}},
		{"SELECT action FROM decisions WHERE event_id = $1", []any{"p1"}, []string{"_pkey on decisions_"}},
		{"SELECT action FROM payments WHERE event_id = $1", []any{"p1"}, []string{"_pkey on payments_"}},
		{"SELECT event_id FROM payment_claims WHERE person_id = $1 AND programme = $2 AND cycle = $3", []any{"Pa", "old_age", "2026-11"},
			[]string{"payment_claims_pkey"}},
	}
	for _, c := range cases {
		err := pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, "EXPLAIN (ANALYZE, COSTS OFF) "+c.query, c.args...)
			if err != nil {
				return err
			}
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return err
			}
			plan := strings.Join(lines, "\n")
			for _, ix := range c.index {
				if !strings.Contains(plan, ix) {
					t.Errorf("%s\ndoes not use %s:\n%s", c.query, ix, plan)
				}
			}
			if c.query == postgres.ReadDecisions && strings.Count(plan, "(never executed)") == 0 {
				t.Errorf("reading decisions by id probed every partition:\n%s", plan)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
