package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/sinks/postgres"
	"github.com/ekjon/ekjon/sinks/postgres/pgtest"
)

// recordClusters reads, from the record at dbURL, the cluster of each
// decided record's person, by event id.
func recordClusters(t *testing.T, dbURL string) map[string]string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT e.event_id, COALESCE(p.cluster_id, p.person_id)
		FROM enrolments e JOIN persons p USING (person_id)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, c string
		if err := rows.Scan(&id, &c); err != nil {
			t.Fatal(err)
		}
		out[id] = c
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBackfillAndStreamBuildTheSameClusters backfills a seeded registry
// and streams the same records through Kafka, in the order the backfill
// decides them, into a second record: both must keep every record in the
// same cluster under the same id, and the clusters CSV must name each
// record's person by that id.
func TestBackfillAndStreamBuildTheSameClusters(t *testing.T) {
	registry := population(t, 700, 77)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "registry.jsonl"), filepath.Join(dir, "clusters.csv")
	writeLines(t, in, registry)

	backfilled := newHarness(t, 1)
	backfilled.world().backfill(t, "--clusters", out, "--rejects", filepath.Join(dir, "rejects.csv"), in)

	streamed := newHarness(t, 1)
	streamed.start(nil)
	streamed.produce(streamed.cfg.Kafka.Topics.Enrolments, strs(backfillOrder(registry))...)
	var ids []string
	seen := map[string]bool{}
	for _, l := range registry {
		if id := domain.PeekEventID(l); id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	streamed.decisions(ids...)

	a, b := recordClusters(t, backfilled.cfg.Postgres.URL), recordClusters(t, streamed.cfg.Postgres.URL)
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("%d records in clusters after the backfill, %d streamed", len(a), len(b))
	}
	for id, c := range a {
		if b[id] != c {
			t.Errorf("record %s: cluster %s after the backfill, %s streamed", id, c, b[id])
		}
	}
	// The registry's fuzzy duplicates join persons of different ids.
	persons := map[string]map[string]bool{}
	rows := readClusters(t, out)
	joined := 0
	for id, row := range rows {
		c, ok := b[id]
		if !ok {
			continue
		}
		if row[1] != c {
			t.Errorf("record %s: the clusters CSV names person %s, the streamed record cluster %s", id, row[1], c)
		}
		if persons[c] == nil {
			persons[c] = map[string]bool{}
		}
		persons[c][id] = true
	}
	for c := range persons {
		if scalar(t, streamed.cfg.Postgres.URL, "SELECT count(*) FROM persons WHERE cluster_id = $1", c) > 1 {
			joined++
		}
	}
	if joined == 0 {
		t.Fatal("no cluster joins two person ids: the registry should hold fuzzy duplicates")
	}
	t.Logf("%d records, %d clusters, %d of several persons", len(a), len(persons), joined)
}

// TestMigrateLinksHistory: ekjon migrate --link-history migrates the
// record and links the history of a record kept before clusters: here, a
// FUZZY_PERSON decision whose edge is missing, which joins its persons.
func TestMigrateLinksHistory(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.MustSchema(t)
	env := map[string]string{"EKJON_DATABASE_URL": dbURL}
	migrate := func() string {
		t.Helper()
		var out bytes.Buffer
		if err := run(ctx, []string{"migrate", "--link-history"}, func(k string) string { return env[k] }, &out, &out); err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
		return out.String()
	}
	if out := migrate(); !strings.Contains(out, "history linked: 0 edges") {
		t.Fatalf("a new record: %s", out)
	}
	store, err := postgres.Open(ctx, dbURL, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	var outs []domain.Outcome
	for i, id := range []string{"PA", "PB"} {
		e := &domain.Event{EventID: "e-" + id, Type: domain.TypeEnrolment, Source: "mis", Programme: fmt.Sprintf("p%d", i), Occurred: at,
			Person: &domain.Person{NID: fmt.Sprintf("199000000%d", i), NameEN: "Rahima Begum"}}
		d := domain.Decision{EventID: e.EventID, EventType: e.Type, Source: e.Source, Programme: e.Programme, Action: domain.ActionAdmit,
			Rules: []string{}, PersonID: id, DecidedAt: at.Add(time.Duration(i) * time.Minute), ConfigVersion: "test"}
		if i == 1 {
			d.Action, d.Rules, d.MatchedPerson, d.Score = domain.ActionHold, []string{domain.RuleFuzzyPerson}, "PA", 9
		}
		outs = append(outs, domain.Outcome{Event: e, IndexKey: "k" + id, Decision: d})
	}
	if _, err := store.Write(ctx, outs, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Pool().Exec(ctx, `TRUNCATE cluster_edges, cluster_history; UPDATE persons SET cluster_id = NULL`); err != nil {
		t.Fatal(err)
	}
	if out := migrate(); !strings.Contains(out, "history linked: 1 edges") {
		t.Fatalf("a record with one unlinked match: %s", out)
	}
	if got, err := store.ClusterIDs(ctx, []string{"PB"}); err != nil || got["PB"] != "PA" {
		t.Fatalf("PB's cluster %v (%v), want PA", got, err)
	}
}
