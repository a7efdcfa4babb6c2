package postgres

import (
	"context"
	"sort"
	"time"

	"github.com/ekjon/ekjon/review"
)

// dashboardDims are the dimensions of the dashboard: the key each row of
// enrolments, alerts or payments (as t) is counted under. m maps a
// programme to its ministry; pl maps a stored district to its code and
// division.
var dashboardDims = []struct {
	name, key string
}{
	{"ministry", "coalesce(m.ministry, '')"},
	{"programme", "t.programme"},
	{"division", "coalesce(pl.division, '')"},
	{"district", "coalesce(pl.code, t.district)"},
}

const dashboardJoins = ` LEFT JOIN unnest($2::text[], $3::text[]) AS m(programme, ministry) ON m.programme = t.programme
	LEFT JOIN unnest($4::text[], $5::text[], $6::text[]) AS pl(spelling, code, division) ON pl.spelling = t.district
	WHERE ($1::text[] IS NULL OR t.programme = ANY($1))`

// Dashboard computes the overview by ministry, programme, division and
// district: persons enrolled and active, holds waiting and the oldest's
// age, amounts paid since q.Since, aid allotted to the current cycles
// (q.Cycles, and the one-off programmes' open cycles) and not handed out; and the decisions by rule since then.
// Each table is counted by its own query, so that a person enrolled in
// two programmes of one ministry counts once for the ministry. It reads
// whole tables and is meant for a dashboard, not a hot path.
func (s *Store) Dashboard(ctx context.Context, q review.DashboardQuery) (*review.Dashboard, error) {
	var scope []string
	if q.Scope.Limited {
		scope = scopeProgrammes(q.Scope)
	}
	var progs, mins []string
	for p, m := range q.Ministries {
		progs, mins = append(progs, p), append(mins, m)
	}
	var spellings, codes, divisions []string
	for sp, cd := range q.Places {
		spellings, codes, divisions = append(spellings, sp), append(codes, cd[0]), append(divisions, cd[1])
	}
	args := []any{scope, progs, mins, spellings, codes, divisions, q.Since}
	var cycleProgs, cycles []string
	var ents []float64
	for p, c := range q.Cycles {
		cycleProgs, cycles, ents = append(cycleProgs, p), append(cycles, c), append(ents, q.Entitlements[p])
	}
	// A one-off programme's current cycles are those allotted to it
	// that are open, or closed within the period.
	if len(q.OneOff) > 0 {
		if err := s.scanRows(ctx, `SELECT programme, cycle FROM allocations
			WHERE programme = ANY($1) AND ($2::text[] IS NULL OR programme = ANY($2))
			GROUP BY 1, 2 HAVING max(closes_at) IS NULL OR max(closes_at) >= $3`, []any{q.OneOff, scope, q.Since},
			func(sc func(...any) error) error {
				var p, c string
				if err := sc(&p, &c); err != nil {
					return err
				}
				cycleProgs, cycles, ents = append(cycleProgs, p), append(cycles, c), append(ents, q.Entitlements[p])
				return nil
			}); err != nil {
			return nil, classify("postgres: dashboard", err)
		}
	}
	// The allocations and hand-outs of each programme's current cycle.
	const current = ` JOIN unnest($7::text[], $8::text[], $9::float8[]) AS c(programme, cycle, ent)
		ON c.programme = t.programme AND c.cycle = t.cycle`
	cycleArgs := append(args[:6:6], cycleProgs, cycles, ents)
	d := &review.Dashboard{Since: q.Since}
	into := map[string]*[]review.DashboardRow{
		"ministry": &d.Ministries, "programme": &d.Programmes, "division": &d.Divisions, "district": &d.Districts,
	}
	for _, dim := range dashboardDims {
		rows := map[string]*review.DashboardRow{}
		row := func(k string) *review.DashboardRow {
			r := rows[k]
			if r == nil {
				r = &review.DashboardRow{Key: k}
				rows[k] = r
			}
			return r
		}
		if err := s.scanRows(ctx, `SELECT `+dim.key+`, count(DISTINCT t.person_id),
				count(DISTINCT t.person_id) FILTER (WHERE t.status = 'active')
			FROM enrolments t`+dashboardJoins+` GROUP BY 1`, args[:6], func(sc func(...any) error) error {
			var k string
			var n, active int64
			if err := sc(&k, &n, &active); err != nil {
				return err
			}
			r := row(k)
			r.Persons, r.Active = n, active
			return nil
		}); err != nil {
			return nil, classify("postgres: dashboard", err)
		}
		if err := s.scanRows(ctx, `SELECT `+dim.key+`, count(*), min(t.created_at)
			FROM alerts t`+dashboardJoins+` AND t.status <> 'closed' AND t.action = 'HOLD'
			GROUP BY 1`, args[:6], func(sc func(...any) error) error {
			var k string
			var n int64
			var oldest time.Time
			if err := sc(&k, &n, &oldest); err != nil {
				return err
			}
			r := row(k)
			r.Holds, r.OldestHold = n, &oldest
			return nil
		}); err != nil {
			return nil, classify("postgres: dashboard", err)
		}
		if err := s.scanRows(ctx, `SELECT `+dim.key+`, coalesce(sum(t.amount), 0)::float8, count(*)
			FROM payments t`+dashboardJoins+` AND t.action = 'ADMIT' AND t.paid_at >= $7 GROUP BY 1`, args, func(sc func(...any) error) error {
			var k string
			var paid float64
			var n int64
			if err := sc(&k, &paid, &n); err != nil {
				return err
			}
			r := row(k)
			r.Paid, r.Payments = paid, n
			return nil
		}); err != nil {
			return nil, classify("postgres: dashboard", err)
		}
		if err := s.scanRows(ctx, `SELECT `+dim.key+`, coalesce(sum(t.allotted), 0)::int8,
				coalesce(sum(t.allotted * CASE WHEN t.amount > 0 THEN t.amount ELSE c.ent END), 0)::float8
			FROM allocations t`+current+dashboardJoins+` GROUP BY 1`, cycleArgs, func(sc func(...any) error) error {
			var k string
			var n int64
			var amount float64
			if err := sc(&k, &n, &amount); err != nil {
				return err
			}
			r := row(k)
			r.Allotted, r.AmountAllotted = n, amount
			return nil
		}); err != nil {
			return nil, classify("postgres: dashboard", err)
		}
		handed := map[string][2]float64{}
		if err := s.scanRows(ctx, `SELECT `+dim.key+`, count(*)::float8, coalesce(sum(t.amount), 0)::float8
			FROM payments t`+current+dashboardJoins+` AND t.action = 'ADMIT'
				AND EXISTS (SELECT 1 FROM allocations a WHERE a.programme = t.programme AND a.cycle = t.cycle)
			GROUP BY 1`, cycleArgs, func(sc func(...any) error) error {
			var k string
			var n, amount float64
			if err := sc(&k, &n, &amount); err != nil {
				return err
			}
			handed[k] = [2]float64{n, amount}
			return nil
		}); err != nil {
			return nil, classify("postgres: dashboard", err)
		}
		out := make([]review.DashboardRow, 0, len(rows))
		for _, r := range rows {
			h := handed[r.Key]
			r.Undistributed = max(r.Allotted-int64(h[0]), 0)
			r.AmountUndistributed = max(r.AmountAllotted-h[1], 0)
			out = append(out, *r)
		}
		sort.Slice(out, func(i, j int) bool {
			if out[i].Persons != out[j].Persons {
				return out[i].Persons > out[j].Persons
			}
			return out[i].Key < out[j].Key
		})
		*into[dim.name] = out
	}
	err := s.scanRows(ctx, `SELECT t.programme, coalesce(t.rules[1], ''), t.action, count(*)
		FROM decisions t WHERE ($1::text[] IS NULL OR t.programme = ANY($1)) AND t.decided_at >= $2
		GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1, 2, 3`, []any{scope, q.Since}, func(sc func(...any) error) error {
		var c review.RuleCount
		if err := sc(&c.Programme, &c.Rule, &c.Action, &c.Count); err != nil {
			return err
		}
		d.RuleCounts = append(d.RuleCounts, c)
		return nil
	})
	if err != nil {
		return nil, classify("postgres: dashboard", err)
	}
	return d, nil
}

// scanRows runs a query and hands each row's Scan to fn.
func (s *Store) scanRows(ctx context.Context, sql string, args []any, fn func(scan func(...any) error) error) error {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}
