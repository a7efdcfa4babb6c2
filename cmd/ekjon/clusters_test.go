package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ekjon/ekjon/domain"
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
