package postgres_test

import (
	"context"
	"errors"
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
