package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
	"github.com/ekjon/ekjon/sinks/postgres"
	"github.com/ekjon/ekjon/sinks/postgres/pgtest"
)

// TestClaimOutbox: the outbox hands its unsent rows to one relay at a time,
// oldest first, marks them sent when the relay published them, and keeps
// each failed attempt and its error.
func TestClaimOutbox(t *testing.T) {
	ctx := context.Background()
	s, err := postgres.Open(ctx, pgtest.MustSchema(t), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, `INSERT INTO outbox (event_id, decision, index_op) VALUES
		('e1', '{"event_id":"e1","action":"ADMIT","rules":["DECEASED_OR_EXITED"],"decided_at":"2026-11-05T10:00:00Z","config_version":"v"}',
		 '{"op":"release_hold","index_key":"k1","programme":"old_age","event_id":"e1"}'),
		('e2', '{"event_id":"e2","action":"ADMIT","rules":["MULTI_PROGRAMME"],"decided_at":"2026-11-05T10:01:00Z","config_version":"v"}',
		 '{"op":"claim","index_key":"k2","programme":"widow","event_id":"e2","wallet_key":"w2"}'),
		('e3', '{"event_id":"e3","action":"ADMIT","rules":["WALLET_MISMATCH"],"decided_at":"2026-11-05T10:02:00Z","config_version":"v"}', NULL)`); err != nil {
		t.Fatal(err)
	}
	type state struct {
		sent     bool
		attempts int
		lastErr  string
	}
	rows := func() map[string]state {
		t.Helper()
		out := map[string]state{}
		r, err := s.Pool().Query(ctx, `SELECT event_id, sent_at IS NOT NULL, attempts, last_error FROM outbox`)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		for r.Next() {
			var (
				id string
				st state
			)
			if err := r.Scan(&id, &st.sent, &st.attempts, &st.lastErr); err != nil {
				t.Fatal(err)
			}
			out[id] = st
		}
		return out
	}
	events := func(batch []review.OutboxRow) []string {
		var ids []string
		for _, r := range batch {
			ids = append(ids, r.Decision.EventID)
		}
		return ids
	}

	// A failed send leaves the rows unsent, with the attempt and the error.
	n, err := s.ClaimOutbox(ctx, 2, func(_ context.Context, batch []review.OutboxRow) error {
		return domain.Wrap(domain.KindTransient, "publish", errors.New("broker down"))
	})
	if n != 0 || err == nil {
		t.Fatalf("failed send: %d, %v", n, err)
	}
	want := map[string]state{
		"e1": {false, 1, "publish: broker down"}, "e2": {false, 1, "publish: broker down"}, "e3": {false, 0, ""},
	}
	if got := rows(); !maps.Equal(got, want) {
		t.Fatalf("after a failed send: %+v, want %+v", got, want)
	}

	// While one relay holds the oldest rows, another gets the rest.
	held, release := make(chan []review.OutboxRow, 1), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		_, err := s.ClaimOutbox(ctx, 2, func(_ context.Context, batch []review.OutboxRow) error {
			held <- batch
			<-release
			return nil
		})
		first <- err
	}()
	var batch []review.OutboxRow
	select {
	case batch = <-held:
	case <-time.After(30 * time.Second):
		t.Fatal("the first claim got no rows")
	}
	if got := events(batch); !slices.Equal(got, []string{"e1", "e2"}) {
		t.Fatalf("first claim: %v, want the two oldest", got)
	}
	if op := batch[1].IndexOp; op == nil || *op != (review.IndexOp{Op: review.IndexClaim, IndexKey: "k2", Programme: "widow", EventID: "e2", WalletKey: "w2"}) {
		t.Errorf("e2's index op: %+v", op)
	}
	if batch[0].Decision.Action != domain.ActionAdmit || batch[0].Decision.Rules[0] != domain.RuleDeceasedOrExited {
		t.Errorf("e1's decision: %+v", batch[0].Decision)
	}
	var second []string
	n, err = s.ClaimOutbox(ctx, 2, func(_ context.Context, batch []review.OutboxRow) error {
		second = events(batch)
		if batch[0].IndexOp != nil {
			t.Errorf("e3 has an index op: %+v", batch[0].IndexOp)
		}
		return nil
	})
	if n != 1 || err != nil || !slices.Equal(second, []string{"e3"}) {
		t.Fatalf("second claim: %d %v, %v; want e3 alone", n, second, err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first claim: %v", err)
	}
	want = map[string]state{
		"e1": {true, 2, "publish: broker down"}, "e2": {true, 2, "publish: broker down"}, "e3": {true, 1, ""},
	}
	if got := rows(); !maps.Equal(got, want) {
		t.Fatalf("after sending: %+v, want %+v", got, want)
	}

	// Nothing is left, and send is not called for nothing.
	n, err = s.ClaimOutbox(ctx, 2, func(context.Context, []review.OutboxRow) error {
		t.Error("send called with no rows")
		return nil
	})
	if n != 0 || err != nil {
		t.Fatalf("empty outbox: %d, %v", n, err)
	}
}

// TestReviewOutboxGeneration: a review's outbox row carries the index
// generation its transaction saw, and the transaction holds the generation
// lock shared, so a rebuild's bump waits for it and the rebuild's snapshot
// holds the review: the relay may apply the row's change once the index is
// ready at that generation.
func TestReviewOutboxGeneration(t *testing.T) {
	ctx := context.Background()
	s := mustStore(t)
	if _, err := s.Write(ctx, []domain.Outcome{
		enrolment("e1", "Pa", "old_age", domain.ActionHold, domain.RuleDeceasedOrExited),
		enrolment("e2", "Pb", "old_age", domain.ActionHold, domain.RuleDeceasedOrExited),
	}, 0); err != nil {
		t.Fatal(err)
	}
	gen, err := s.BeginRebuild(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sup := review.Actor{Username: "sup", Role: review.RoleSupervisor, Address: "10.0.0.9"}
	release := func(l *review.Locked) (review.Plan, error) {
		return review.PlanRuling(l, sup, review.RulingRelease, nil, time.Now().UTC())
	}
	// While the review's transaction is open, a rebuild asks to bump the
	// generation; it must wait for the review.
	bumped := make(chan int64, 1)
	_, published, err := s.ReviewAlert(ctx, domain.AlertID("e1", domain.RuleDeceasedOrExited), sup, "checked",
		func(l *review.Locked) (review.Plan, error) {
			go func() {
				g, err := s.BeginRebuild(ctx)
				if err != nil {
					t.Error(err)
				}
				bumped <- g
			}()
			deadline := time.Now().Add(30 * time.Second)
			for {
				var waiting bool
				if err := s.Pool().QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
					AND classid = 25963 AND objid = 1785687655 AND mode = 'ExclusiveLock' AND NOT granted)`).Scan(&waiting); err != nil {
					return review.Plan{}, err
				}
				if waiting {
					break
				}
				select {
				case g := <-bumped:
					return review.Plan{}, fmt.Errorf("the rebuild bumped to %d while a review was in its transaction", g)
				default:
				}
				if time.Now().After(deadline) {
					return review.Plan{}, errors.New("the rebuild never asked for the generation lock")
				}
				time.Sleep(5 * time.Millisecond)
			}
			return release(l)
		})
	if err != nil || !published {
		t.Fatalf("review: published %v, %v", published, err)
	}
	if g := <-bumped; g != gen+1 {
		t.Fatalf("the rebuild bumped to %d, want %d", g, gen+1)
	}
	if _, _, err := s.ReviewAlert(ctx, domain.AlertID("e2", domain.RuleDeceasedOrExited), sup, "checked", release); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	if _, err := s.ClaimOutbox(ctx, 10, func(_ context.Context, rows []review.OutboxRow) error {
		for _, r := range rows {
			got[r.Decision.EventID] = r.Generation
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := map[string]int64{"e1": gen, "e2": gen + 1}; !maps.Equal(got, want) {
		t.Fatalf("outbox generations %v, want %v", got, want)
	}
}
