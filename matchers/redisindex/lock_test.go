package redisindex

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
)

func newBareIndex(t *testing.T) *Index {
	t.Helper()
	rdb, prefix := redistest.MustClient(t)
	return New(rdb, domain.NewPseudonymizer([]byte("lock-secret-0123456789")),
		Config{Prefix: prefix, Policy: domain.DefaultPolicy(), Fuzzy: fuzzy.DefaultConfig(), BucketBits: 8})
}

// TestLeaseHasAnOwner: a rebuilder whose lease lapsed can neither mark the
// index ready, nor extend or release the lock the next rebuilder took.
func TestLeaseHasAnOwner(t *testing.T) {
	ctx := context.Background()
	ix := newBareIndex(t)
	a, err := ix.acquire(ctx)
	if err != nil || a == nil {
		t.Fatalf("A takes the free lock: %v, %v", a, err)
	}
	if b, err := ix.acquire(ctx); err != nil || b != nil {
		t.Fatalf("B takes the lock A holds: %v, %v", b, err)
	}
	// A's lease lapses; B takes the lock.
	if err := ix.rdb.Del(ctx, ix.lockKey()).Err(); err != nil {
		t.Fatal(err)
	}
	b, err := ix.acquire(ctx)
	if err != nil || b == nil {
		t.Fatalf("B takes the lapsed lock: %v, %v", b, err)
	}
	if err := a.markReady(ctx, 7); !errors.Is(err, ErrLockLost) {
		t.Fatalf("A marks ready after its lease lapsed: %v, want ErrLockLost", err)
	}
	if ok, err := ix.Ready(ctx); err != nil || ok {
		t.Fatalf("ready = %v, %v after A's late mark", ok, err)
	}
	if err := a.extend(ctx); !errors.Is(err, ErrLockLost) {
		t.Fatalf("A extends B's lock: %v, want ErrLockLost", err)
	}
	if err := a.release(ctx); err != nil {
		t.Fatal(err)
	}
	if owner, err := ix.rdb.Get(ctx, ix.lockKey()).Result(); err != nil || owner != b.token {
		t.Fatalf("after A's late release the lock is %q, %v; want B's", owner, err)
	}
	if err := b.extend(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.markReady(ctx, 8); err != nil {
		t.Fatal(err)
	}
	if m, ok, err := ix.readMarker(ctx); err != nil || !ok || m.generation != 8 {
		t.Fatalf("marker %+v, %v, %v; want B's generation 8", m, ok, err)
	}
	if err := b.release(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := ix.rdb.Exists(ctx, ix.lockKey()).Result(); err != nil || n != 0 {
		t.Fatalf("the lock stays after its owner released it: %d, %v", n, err)
	}
}

// TestRebuildWhoseLeaseLapsed: rebuilder A stalls mid-load past its lease;
// B takes the lock and starts. A, going on, stops at its next write
// without marking the index ready or freeing B's lock; B finishes and
// marks the index ready with its generation.
func TestRebuildWhoseLeaseLapsed(t *testing.T) {
	ctx := context.Background()
	ix := newBareIndex(t)
	fact := domain.IndexFact{Kind: "enrolment", Key: "abcdefghijklmnop", Programme: "old_age", EventID: "e1", State: domain.EnrolmentActive}
	// stalled returns facts that give fact, say so on paused, and wait
	// for resume before ending.
	stalled := func(paused, resume chan struct{}) Facts {
		return func(ctx context.Context, fn func(domain.IndexFact) error) error {
			if err := fn(fact); err != nil {
				return err
			}
			close(paused)
			<-resume
			return nil
		}
	}
	gens := make(chan int64, 2)
	gens <- 1
	gens <- 2
	begin := func(context.Context) (int64, error) { return <-gens, nil }

	type result struct {
		rebuilt bool
		err     error
	}
	aPaused, aResume, aDone := make(chan struct{}), make(chan struct{}), make(chan result, 1)
	go func() {
		_, ok, err := ix.Rebuild(ctx, begin, stalled(aPaused, aResume))
		aDone <- result{ok, err}
	}()
	<-aPaused
	if err := ix.rdb.Del(ctx, ix.lockKey()).Err(); err != nil { // A's lease lapses
		t.Fatal(err)
	}
	bPaused, bResume, bDone := make(chan struct{}), make(chan struct{}), make(chan result, 1)
	go func() {
		_, ok, err := ix.Rebuild(ctx, begin, stalled(bPaused, bResume))
		bDone <- result{ok, err}
	}()
	<-bPaused
	close(aResume)
	if r := <-aDone; r.rebuilt || !errors.Is(r.err, ErrLockLost) {
		t.Fatalf("A, after its lease lapsed: rebuilt %v, %v; want ErrLockLost", r.rebuilt, r.err)
	}
	if ok, err := ix.Ready(ctx); err != nil || ok {
		t.Fatalf("ready = %v, %v while B rebuilds", ok, err)
	}
	if n, err := ix.rdb.Exists(ctx, ix.lockKey()).Result(); err != nil || n != 1 {
		t.Fatalf("B's lock is gone after A stopped: %d, %v", n, err)
	}
	close(bResume)
	if r := <-bDone; !r.rebuilt || r.err != nil {
		t.Fatalf("B: rebuilt %v, %v", r.rebuilt, r.err)
	}
	if m, ok, err := ix.readMarker(ctx); err != nil || !ok || m.generation != 2 {
		t.Fatalf("marker %+v, %v, %v; want B's generation 2", m, ok, err)
	}
	if n, err := ix.rdb.Exists(ctx, ix.lockKey()).Result(); err != nil || n != 0 {
		t.Fatalf("the lock stays after B finished: %d, %v", n, err)
	}
}

// TestRebuildKeepsItsLease: a rebuild that spends longer than its lease
// between writes (the record sorting its facts) keeps the lock by renewing
// it, and marks the index ready; one that finds its lock taken meanwhile
// stops at once, whatever it was waiting for.
func TestRebuildKeepsItsLease(t *testing.T) {
	ctx := context.Background()
	ix := newBareIndex(t)
	ix.cfg.RebuildLease = 2 * time.Second
	begin := func(context.Context) (int64, error) { return 1, nil }
	slow := func(ctx context.Context, fn func(domain.IndexFact) error) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Second):
			return nil
		}
	}
	if _, ok, err := ix.Rebuild(ctx, begin, slow); err != nil || !ok {
		t.Fatalf("a rebuild slower than its lease: rebuilt %v, %v", ok, err)
	}
	if ok, err := ix.Ready(ctx); err != nil || !ok {
		t.Fatalf("ready = %v, %v", ok, err)
	}

	waiting := func(ctx context.Context, fn func(domain.IndexFact) error) error {
		// The lease lapses and another takes the lock.
		if err := ix.rdb.Set(ctx, ix.lockKey(), "another", 0).Err(); err != nil {
			return err
		}
		<-ctx.Done()
		return ctx.Err()
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := ix.Rebuild(ctx, begin, waiting)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrLockLost) {
			t.Fatalf("a rebuild whose lock was taken: %v, want ErrLockLost", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("a rebuild whose lock was taken went on waiting")
	}
	if owner, err := ix.rdb.Get(ctx, ix.lockKey()).Result(); err != nil || owner != "another" {
		t.Fatalf("the lock is %q, %v; want the other's", owner, err)
	}
	if ok, err := ix.Ready(ctx); err != nil || ok {
		t.Fatalf("ready = %v, %v after a rebuild that lost its lock", ok, err)
	}
}
