package api

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ekjon/ekjon/review"
	"github.com/ekjon/ekjon/sinks/postgres"
)

const benchAlerts = 100_000

// loadAlerts COPYs n decisions and their alerts: most unresolved, spread
// over 30 days, 64 districts, the fuzzy and exact rules and 14 programmes.
func loadAlerts(b *testing.B, e *env, n int) review.AlertCursor {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	rules := []string{"FUZZY_PERSON", "POSSIBLE_PERSON", "SHARED_CONTACT", "WALLET_MISMATCH", "RECENT_WALLET_CHANGE", "DECEASED_OR_EXITED"}
	progs := []string{"old_age", "widow", "disability", "disability_stipend", "hijra", "bede", "backward_community",
		"tea_garden", "freedom_fighter", "vgd", "vgf", "gr", "oms", "emergency_cash"}
	statuses := []string{"open", "open", "open", "open", "open", "assigned", "escalated", "closed", "closed", "closed"}
	start := time.Now().Add(-30 * 24 * time.Hour)
	decs := make([][]any, 0, n)
	alerts := make([][]any, 0, n)
	var mid review.AlertCursor
	for i := 0; i < n; i++ {
		ev := fmt.Sprintf("bench-%07d", i)
		rule, prog := rules[rng.IntN(len(rules))], progs[rng.IntN(len(progs))]
		at := start.Add(time.Duration(rng.Int64N(int64(30 * 24 * time.Hour))))
		st := statuses[rng.IntN(len(statuses))]
		var assignee any
		if st == "assigned" {
			assignee = fmt.Sprintf("reviewer%d", rng.IntN(20))
		}
		person := fmt.Sprintf("P%019d", rng.IntN(n))
		decs = append(decs, []any{ev, "enrolment", "dss-mis", prog, "HOLD", []string{rule}, at, "bench"})
		alerts = append(alerts, []any{ev + "/" + rule, ev, rule, "HOLD", prog, fmt.Sprintf("District%02d", rng.IntN(64)),
			person, st, assignee, at, at})
		if i == n/2 {
			mid = review.AlertCursor{CreatedAt: at, AlertID: ev + "/" + rule}
		}
	}
	pool := e.store.Pool()
	keys := make([][]any, len(decs))
	recorded := time.Now()
	for i, d := range decs {
		keys[i] = []any{d[0], recorded}
		decs[i] = append(d, recorded)
	}
	if _, err := pool.CopyFrom(e.ctx, pgx.Identifier{"decision_keys"}, []string{"event_id", "recorded_at"}, pgx.CopyFromRows(keys)); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.CopyFrom(e.ctx, pgx.Identifier{"decisions"},
		[]string{"event_id", "event_type", "source", "programme", "action", "rules", "decided_at", "config_version", "recorded_at"},
		pgx.CopyFromRows(decs)); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.CopyFrom(e.ctx, pgx.Identifier{"alerts"},
		[]string{"alert_id", "event_id", "rule", "action", "programme", "district", "person_id", "status", "assignee", "created_at", "updated_at"},
		pgx.CopyFromRows(alerts)); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(e.ctx, "ANALYZE decisions; ANALYZE alerts"); err != nil {
		b.Fatal(err)
	}
	return mid
}

// BenchmarkListAlerts measures GET /api/v1/alerts over HTTP with 100,000
// alerts in the table, across the queue's usual filters and a deep cursor,
// and reports the latency percentiles.
//
//	go test -run '^$' -bench BenchmarkListAlerts -benchtime 2000x ./api
func BenchmarkListAlerts(b *testing.B) {
	e := newEnv(b)
	mid := loadAlerts(b, e, benchAlerts)
	queries := []string{
		"status=active&limit=50",
		"status=active&district=District17&limit=50",
		"status=active&rule=FUZZY_PERSON&limit=50",
		"status=open&programme=widow&older_than=7d&limit=50",
		"assignee=reviewer3&limit=50",
		"status=active&limit=50&cursor=" + url.QueryEscape(mid.Encode()),
	}
	for _, q := range queries {
		if plan := e.explain(b, q); strings.Contains(plan, "Seq Scan on alerts") {
			b.Errorf("query %s is not index-backed:\n%s", q, plan)
		}
	}
	client := &http.Client{}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequestWithContext(e.ctx, http.MethodGet, e.srv.URL+"/api/v1/alerts?"+queries[i%len(queries)], nil)
		req.Header.Set("Authorization", "Bearer "+e.tokens[review.RoleReviewer])
		t0 := time.Now()
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var sink [4096]byte
		for {
			if _, err := res.Body.Read(sink[:]); err != nil {
				break
			}
		}
		res.Body.Close()
		lat = append(lat, time.Since(t0))
		if res.StatusCode != 200 {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// explain returns the plan of the list query the API runs for q.
func (e *env) explain(b *testing.B, q string) string {
	b.Helper()
	vals, _ := url.ParseQuery(q)
	f, err := alertFilter(vals, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	sql, args := postgres.ListAlertsQuery(f)
	rows, err := e.store.Pool().Query(e.ctx, "EXPLAIN "+sql, args...)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var sb strings.Builder
	for rows.Next() {
		var line string
		_ = rows.Scan(&line)
		sb.WriteString(line + "\n")
	}
	return sb.String()
}
