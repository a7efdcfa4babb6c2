package postgres_test

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/sinks/postgres"
)

// TestWriteLostRaceWritesNothingElse: when another worker recorded an
// event first, nothing of this worker's attempt at it is written: not its
// alerts (a different rule than the winner's), not its status change.
func TestWriteLostRaceWritesNothingElse(t *testing.T) {
	ctx := context.Background()
	s := mustStore(t)
	winner := []domain.Outcome{enrolment("e1", "Pa", "old_age", domain.ActionAdmit)}
	if _, err := s.Write(ctx, winner, 0); err != nil {
		t.Fatal(err)
	}
	before := counts(t, s)
	loser := enrolment("e1", "Pa", "old_age", domain.ActionHold, domain.RuleFuzzyPerson)
	exit := decided(&domain.Event{EventID: "s1", Type: domain.TypeStatus, Source: "crvs", NID: "1234567890",
		Status: domain.StatusExited}, "Pa", domain.ActionAdmit)
	if _, err := s.Write(ctx, []domain.Outcome{exit}, 0); err != nil {
		t.Fatal(err)
	}
	var status string
	if err := s.Pool().QueryRow(ctx, "SELECT status FROM enrolments WHERE event_id = 'e1'").Scan(&status); err != nil {
		t.Fatal(err)
	}
	if status != "exited" {
		t.Fatalf("after the exit the enrolment is %s", status)
	}
	// A worker that lost both races replays them: the late hold raises no
	// alert, and the late exit changes nothing (a reinstatement came since).
	reinstate := decided(&domain.Event{EventID: "s2", Type: domain.TypeStatus, Source: "crvs", NID: "1234567890",
		Status: domain.StatusReinstated}, "Pa", domain.ActionAdmit)
	if _, err := s.Write(ctx, []domain.Outcome{reinstate}, 0); err != nil {
		t.Fatal(err)
	}
	recorded, err := s.Write(ctx, []domain.Outcome{loser, exit}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recorded) != 2 || recorded["e1"].Action != domain.ActionAdmit {
		t.Fatalf("found on record %+v", recorded)
	}
	after := counts(t, s)
	before["decisions"] += 2 // the two status events
	if !maps.Equal(after, before) {
		t.Fatalf("rows %v, want %v: the lost attempt wrote something", after, before)
	}
	if err := s.Pool().QueryRow(ctx, "SELECT status FROM enrolments WHERE event_id = 'e1'").Scan(&status); err != nil {
		t.Fatal(err)
	}
	if status != "active" {
		t.Fatalf("the replayed exit undid the reinstatement: the enrolment is %s", status)
	}
}

// TestWriteFencedByGeneration: a batch decided against a generation the
// rebuild has since replaced is refused, writes nothing, and is told to be
// decided again; under the new generation it is written.
func TestWriteFencedByGeneration(t *testing.T) {
	ctx := context.Background()
	s := mustStore(t)
	gen, err := s.BeginRebuild(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(ctx, []domain.Outcome{payment("p1", "Pa", "old_age", "2026-11", domain.ActionAdmit)}, gen); err != nil {
		t.Fatalf("write under the current generation: %v", err)
	}
	next, err := s.BeginRebuild(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if next != gen+1 {
		t.Fatalf("generation %d after %d", next, gen)
	}
	before := counts(t, s)
	_, err = s.Write(ctx, []domain.Outcome{payment("p2", "Pb", "old_age", "2026-11", domain.ActionAdmit)}, gen)
	if !errors.Is(err, postgres.ErrStaleIndex) || domain.KindOf(err) != domain.KindTransient {
		t.Fatalf("write under the old generation: %v (kind %v), want ErrStaleIndex, transient", err, domain.KindOf(err))
	}
	if got := counts(t, s); !maps.Equal(got, before) {
		t.Fatalf("a stale batch wrote rows: %v, want %v", got, before)
	}
	if _, err := s.Write(ctx, []domain.Outcome{payment("p2", "Pb", "old_age", "2026-11", domain.ActionAdmit)}, next); err != nil {
		t.Fatal(err)
	}
	if g, err := s.Generation(ctx); err != nil || g != next {
		t.Fatalf("Generation = %d, %v; want %d", g, err, next)
	}
}

// TestRebuildWaitsForWritesInFlight: a rebuild's bump waits for a batch
// being written under the old generation, so the rebuild's snapshot holds
// that batch.
func TestRebuildWaitsForWritesInFlight(t *testing.T) {
	ctx := context.Background()
	s := mustStore(t)
	gen, err := s.BeginRebuild(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A writer holding the generation lock ("ekjong") shared, as Write does, in a
	// transaction that has not committed yet.
	tx, err := s.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // committed below
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock_shared(111512021593703)"); err != nil {
		t.Fatal(err)
	}
	done := make(chan int64, 1)
	go func() {
		g, err := s.BeginRebuild(ctx)
		if err != nil {
			t.Error(err)
		}
		done <- g
	}()
	select {
	case g := <-done:
		t.Fatalf("the rebuild bumped to %d while a batch was being written", g)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case g := <-done:
		if g != gen+1 {
			t.Fatalf("bumped to %d, want %d", g, gen+1)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the rebuild never bumped the generation")
	}
}

// TestOneLiveEnrolment: whatever the index says, the record holds one live
// enrolment per person and programme; a second is a conflict.
func TestOneLiveEnrolment(t *testing.T) {
	ctx := context.Background()
	s := mustStore(t)
	if _, err := s.Write(ctx, []domain.Outcome{enrolment("e1", "Pa", "old_age", domain.ActionAdmit)}, 0); err != nil {
		t.Fatal(err)
	}
	for _, action := range []domain.Action{domain.ActionAdmit, domain.ActionHold} {
		_, err := s.Write(ctx, []domain.Outcome{enrolment("e2-"+string(action), "Pa", "old_age", action)}, 0)
		if domain.KindOf(err) != domain.KindConflict {
			t.Fatalf("a second %s enrolment: %v, want a conflict", action, err)
		}
	}
	// Blocked, or in another programme, it is recorded.
	if _, err := s.Write(ctx, []domain.Outcome{
		enrolment("e3", "Pa", "old_age", domain.ActionBlock, domain.RuleDupNID),
		enrolment("e4", "Pa", "widow", domain.ActionAdmit),
	}, 0); err != nil {
		t.Fatal(err)
	}
}

// TestDigestKept: the decision's digest is recorded and read back.
func TestDigestKept(t *testing.T) {
	ctx := context.Background()
	s := mustStore(t)
	o := payment("p1", "Pa", "old_age", "2026-11", domain.ActionAdmit)
	o.Decision.Digest = "abcdefghijklmnopqrstuvwxyz"
	if _, err := s.Write(ctx, []domain.Outcome{o}, 0); err != nil {
		t.Fatal(err)
	}
	got, err := s.Decisions(ctx, []string{"p1"})
	if err != nil {
		t.Fatal(err)
	}
	if got["p1"].Digest != o.Decision.Digest {
		t.Fatalf("digest %q, want %q", got["p1"].Digest, o.Decision.Digest)
	}
}

// TestWriteKeepsBatchOrder: a person's exit and re-enrolment in one
// programme, in one batch, are written in the order they came: the exit
// retires the old enrolment before the new one is live.
func TestWriteKeepsBatchOrder(t *testing.T) {
	ctx := context.Background()
	s := mustStore(t)
	if _, err := s.Write(ctx, []domain.Outcome{enrolment("e1", "Pa", "old_age", domain.ActionAdmit)}, 0); err != nil {
		t.Fatal(err)
	}
	exit := decided(&domain.Event{EventID: "s1", Type: domain.TypeStatus, Source: "crvs", NID: "1234567890",
		Status: domain.StatusExited, Programme: "old_age"}, "Pa", domain.ActionAdmit)
	batch := []domain.Outcome{
		payment("p1", "Pa", "old_age", "2026-10", domain.ActionAdmit),
		exit,
		enrolment("e2", "Pa", "old_age", domain.ActionAdmit),
		payment("p2", "Pa", "old_age", "2026-11", domain.ActionAdmit),
	}
	if _, err := s.Write(ctx, batch, 0); err != nil {
		t.Fatalf("exit then re-enrolment in one batch: %v", err)
	}
	for id, want := range map[string]string{"e1": "exited", "e2": "active"} {
		var status string
		if err := s.Pool().QueryRow(ctx, "SELECT status FROM enrolments WHERE event_id = $1", id).Scan(&status); err != nil {
			t.Fatal(err)
		}
		if status != want {
			t.Errorf("%s is %s, want %s", id, status, want)
		}
	}
}

// TestWriteWaitingForARebuildSeesItsBump: a batch whose write waits for
// the generation lock while a rebuild holds it reads the generation the
// rebuild bumped to, not the one before, and is refused as stale: the
// read is taken after the lock, though both go in one round trip.
func TestWriteWaitingForARebuildSeesItsBump(t *testing.T) {
	ctx := context.Background()
	s := mustStore(t)
	gen, err := s.BeginRebuild(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A rebuild in flight: the lock held exclusively and the bump made,
	// neither committed yet.
	tx, err := s.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // committed below
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(111512021593703)"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "UPDATE index_generation SET generation = generation + 1"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Write(ctx, []domain.Outcome{payment("pw", "Pw", "old_age", "2026-11", domain.ActionAdmit)}, gen)
		done <- err
	}()
	// Commit once the write waits for the lock.
	for {
		var waiting int
		if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND objsubid = 1 AND objid::bigint = (111512021593703 & 4294967295) AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, postgres.ErrStaleIndex) {
		t.Fatalf("a write that waited for the rebuild's bump: %v, want ErrStaleIndex", err)
	}
}
