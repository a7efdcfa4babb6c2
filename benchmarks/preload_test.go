package benchmarks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ekjon/ekjon/cards"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
	"github.com/ekjon/ekjon/sinks/postgres"
	"github.com/ekjon/ekjon/sinks/postgres/pgtest"
)

// TestPreloadAgreesWithRebuild preloads a registry, with its cards, into
// an index and a record, rebuilds a second index from that record, and
// compares what the two hold of every person, beneficiary ref, card and
// status time but the candidate records (the preload indexes a person by
// the enrolment it meets first, the rebuild by the earliest).
func TestPreloadAgreesWithRebuild(t *testing.T) {
	ctx := context.Background()
	policy := domain.DefaultPolicy()
	store, err := postgres.Open(ctx, pgtest.MustSchema(t), 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	pseudo := domain.NewPseudonymizer([]byte("preload-secret-0123456789"))
	keys := cards.DerivedKeyring("preload-secret-0123456789")
	index := func() (*redisindex.Index, func() map[string]string) {
		rdb, prefix := redistest.MustClient(t)
		ix := redisindex.New(rdb, pseudo, redisindex.Config{Prefix: prefix, Policy: policy, Fuzzy: fuzzy.DefaultConfig(), BucketBits: 8,
			Cards: keys})
		dump := func() map[string]string {
			out := map[string]string{}
			for _, family := range []string{"p", "r", "k"} {
				iter := rdb.Scan(ctx, 0, prefix+family+":*", 1000).Iterator()
				for iter.Next(ctx) {
					k := iter.Val()
					fields, err := rdb.HGetAll(ctx, k).Result()
					if err != nil {
						t.Fatal(err)
					}
					for f, v := range fields {
						// A person's field is 9 bytes of its key and a name.
						if family == "p" && len(f) > 9 && f[9:] == "c" {
							continue
						}
						out[strings.TrimPrefix(k, prefix)+" "+fmt.Sprintf("%x", f)] = fmt.Sprintf("%x", v)
					}
				}
				if err := iter.Err(); err != nil {
					t.Fatal(err)
				}
			}
			return out
		}
		return ix, dump
	}
	pre, preDump := index()
	w, err := NewWorkload(3, 600, 10)
	if err != nil {
		t.Fatal(err)
	}
	fates, statuses := Fates(w.PreloadStatuses(), policy)
	l := NewEkjonLoader(pre, store.Pool(), policy.Version, fates)
	l.IssueCards = true
	for r := range w.PreloadEnrolments() {
		if err := l.Add(ctx, Decode(r, policy)); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range statuses {
		if err := l.Add(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(ctx, store.BeginRebuild); err != nil {
		t.Fatal(err)
	}
	rebuilt, rebuiltDump := index()
	if _, ok, err := rebuilt.Rebuild(ctx, store.BeginRebuild, store.IndexFacts); err != nil || !ok {
		t.Fatalf("rebuild: %v %v", ok, err)
	}
	a, b := preDump(), rebuiltDump()
	var diffs []string
	for k, v := range a {
		if b[k] != v {
			diffs = append(diffs, fmt.Sprintf("%s: preloaded %s, rebuilt %s", k, v, b[k]))
		}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: preloaded nothing, rebuilt %s", k, v))
		}
	}
	slices.Sort(diffs)
	if len(diffs) > 0 {
		t.Errorf("%d of %d fields differ, e.g.:\n%s", len(diffs), len(a), strings.Join(diffs[:min(10, len(diffs))], "\n"))
	}
	if len(a) < 600 {
		t.Errorf("only %d fields preloaded", len(a))
	}

	// One card, with its trail, for each person the record admitted, as
	// admission issues them; every holder's card scans as theirs.
	var admitted, issued, trail int
	if err := store.Pool().QueryRow(ctx, `SELECT
			(SELECT count(DISTINCT person_id) FROM decisions WHERE event_type = 'enrolment' AND action = 'ADMIT'),
			(SELECT count(*) FROM cards WHERE version = 1 AND status = 'active' AND issue_reason = 'admitted' AND seq = indexed_seq),
			(SELECT count(*) FROM card_events e JOIN cards c USING (card_no, person_id) WHERE e.action = 'issued' AND e.actor = c.issued_by)`).
		Scan(&admitted, &issued, &trail); err != nil {
		t.Fatal(err)
	}
	if admitted == 0 || issued != admitted || trail != admitted || l.Cards() != admitted {
		t.Errorf("%d persons admitted, %d cards issued, %d trail entries, %d cards loaded", admitted, issued, trail, l.Cards())
	}
	holders := l.Holders()
	if len(holders) == 0 {
		t.Fatal("no card holders")
	}
	for _, h := range holders {
		st, key, err := pre.ResolveCard(ctx, keys.Sign(h.CardNo, 1))
		if err != nil || st != redisindex.CardLive || "P"+key != h.PersonID {
			t.Fatalf("holder %s: card %v of P%s, %v", h.PersonID, st, key, err)
		}
		// The person's claim on the programme: their latest enrolment
		// there that claims at all.
		var state string
		if err := store.Pool().QueryRow(ctx, `SELECT status FROM enrolments WHERE person_id = $1 AND programme = $2
			AND status <> ALL ($3) ORDER BY enrolled_at DESC, event_id DESC LIMIT 1`, h.PersonID, h.Programme, domain.NeverClaims()).
			Scan(&state); err != nil || state != domain.EnrolmentActive {
			t.Fatalf("holder %s in %s: enrolment %q, %v", h.PersonID, h.Programme, state, err)
		}
	}
}
