package redisindex_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
	"github.com/ekjon/ekjon/sinks/postgres"
	"github.com/ekjon/ekjon/sinks/postgres/pgtest"
)

// fenced is an index and its record, on the real servers.
type fenced struct {
	t     *testing.T
	ctx   context.Context
	store *postgres.Store
	ix    *redisindex.Index
	cfg   redisindex.Config
	seq   atomic.Int64
	// recorded counts the batches decideAndWrite has recorded.
	recorded atomic.Int64
}

var fencePseudo = domain.NewPseudonymizer([]byte("fence-secret-0123456789"))

// newFenced returns an index, under a private prefix of the test Redis,
// rebuilt from a fresh record.
func newFenced(t *testing.T) *fenced {
	t.Helper()
	rdb, prefix := redistest.MustClient(t)
	return newFencedOn(t, rdb, prefix)
}

// newFencedOn returns an index on rdb under prefix, rebuilt from a fresh
// record.
func newFencedOn(t *testing.T, rdb redis.UniversalClient, prefix string) *fenced {
	t.Helper()
	ctx := context.Background()
	store := migratedStore(t, 8)
	cfg := redisindex.Config{Prefix: prefix, Policy: domain.DefaultPolicy(), Fuzzy: fuzzy.DefaultConfig(), BucketBits: 8}
	f := &fenced{t: t, ctx: ctx, store: store, ix: redisindex.New(rdb, fencePseudo, cfg), cfg: cfg}
	f.rebuild(f.ix)
	return f
}

func (f *fenced) rebuild(ix *redisindex.Index) {
	f.t.Helper()
	if _, ok, err := ix.Rebuild(f.ctx, f.store.BeginRebuild, f.store.IndexFacts); err != nil || !ok {
		f.t.Fatalf("rebuild: %v, %v", ok, err)
	}
}

// fencedPerson is enrolled person i: names and birth dates far apart, so
// that only their NIDs relate their enrolments.
func fencedPerson(i int) *domain.Person {
	syl := []string{"ka", "lo", "mi", "nu", "pe", "ra", "so", "ti", "vu", "ze", "bo", "dha"}
	name := ""
	for n := i + 1; n > 0; n /= len(syl) {
		name += syl[n%len(syl)]
	}
	return &domain.Person{NID: fmt.Sprintf("%010d", 4000000000+i), NameEN: "Abdul " + name + "ber",
		DOB: fmt.Sprintf("%d-%02d-%02d", 1930+i%50, 1+i%12, 1+i%28), Gender: "male",
		Address: &domain.Address{District: "Dhaka", Upazila: fmt.Sprintf("Upazila %d", i)}}
}

// enrolment is a fresh outcome of an enrolment of person i in programme.
func (f *fenced) enrolment(id string, i int, programme string) domain.Outcome {
	e := &domain.Event{EventID: id, Type: domain.TypeEnrolment, Source: "test", Programme: programme,
		BeneficiaryRef: "ref-" + id, OccurredAt: "2026-11-01T10:00:00Z", Person: fencedPerson(i)}
	if err := domain.Validate(e, f.cfg.Policy); err != nil {
		f.t.Fatal(err)
	}
	return domain.Outcome{Event: e, Decision: domain.Decision{EventID: id, EventType: e.Type, Source: e.Source,
		Programme: programme, DecidedAt: time.Date(2026, 11, 1, 10, 0, 0, int(f.seq.Add(1))*1000, time.UTC),
		ConfigVersion: "test", Rules: []string{}}}
}

// redecide clears what an earlier attempt decided, as the processor does.
func redecide(outs []domain.Outcome) []*domain.Outcome {
	ptrs := make([]*domain.Outcome, len(outs))
	for i := range outs {
		o := &outs[i]
		o.Decision.Action, o.Decision.Rules, o.Decision.Reason = "", []string{}, ""
		o.Decision.Score, o.Decision.Explanation, o.Decision.PersonID, o.Decision.MatchedPerson = 0, nil, "", ""
		o.Alerts, o.HoldsRef, o.IndexTokens, o.IndexKey, o.WalletKey = nil, false, nil, "", ""
		ptrs[i] = o
	}
	return ptrs
}

// TestRebuildFencesBatchesInFlight: a batch decided before a rebuild is
// refused by the record as decided against a replaced index; decided
// again, it is recorded.
func TestRebuildFencesBatchesInFlight(t *testing.T) {
	f := newFenced(t)
	outs := []domain.Outcome{f.enrolment("e1", 1, "old_age")}
	gen, err := f.ix.Decide(f.ctx, redecide(outs))
	if err != nil {
		t.Fatal(err)
	}
	if gen == 0 {
		t.Fatal("Decide returned no generation to fence the batch with")
	}
	f.rebuild(f.ix)
	if _, err := f.store.Write(f.ctx, outs, gen); !errors.Is(err, postgres.ErrStaleIndex) {
		t.Fatalf("write of a batch decided before the rebuild: %v, want ErrStaleIndex", err)
	}
	again, err := f.ix.Decide(f.ctx, redecide(outs))
	if err != nil {
		t.Fatal(err)
	}
	if again == gen {
		t.Fatalf("decided again at the old generation %d", gen)
	}
	if _, err := f.store.Write(f.ctx, outs, again); err != nil {
		t.Fatal(err)
	}
	if outs[0].Decision.Action != domain.ActionAdmit {
		t.Fatalf("decided again: %s %v", outs[0].Decision.Action, outs[0].Decision.Rules)
	}
	if g, err := f.store.Generation(f.ctx); err != nil || g != again {
		t.Fatalf("record at generation %d (%v), the index at %d", g, err, again)
	}
}

// TestRebuildsRacingDuplicates: while the index is rebuilt over and over,
// two workers enrol the same persons in the same programme, each batch
// decided and written as the processor does (decided again when the
// index is not ready or the record finds it stale). The record never has
// to refuse a second live enrolment, since the index never loses a claim
// a rebuild races with; and the live index ends equal to one rebuilt from
// the record. A rebuild starts at any moment of a batch, but only once
// some batch has been recorded since the one before: rebuilds back to
// back, each outlasting a batch on a busy machine, would leave the workers
// no moment to record in, which is no race at all.
func TestRebuildsRacingDuplicates(t *testing.T) {
	f := newFenced(t)
	const persons, batch = 80, 4
	ctx, stop := context.WithCancel(f.ctx)
	var rebuilds atomic.Int64
	var workersDone atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			seen := f.recorded.Load()
			_, ok, err := f.ix.Rebuild(ctx, f.store.BeginRebuild, f.store.IndexFacts)
			switch {
			case err != nil && ctx.Err() == nil:
				t.Errorf("rebuild: %v", err)
				return
			case ok:
				rebuilds.Add(1)
			}
			time.Sleep(time.Duration(rebuilds.Load()%7) * time.Millisecond)
			for f.recorded.Load() == seen && !workersDone.Load() && ctx.Err() == nil {
				time.Sleep(100 * time.Microsecond)
			}
		}
	}()
	var conflicts atomic.Int64
	var workers sync.WaitGroup
	for w := range 2 {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for start := 0; start < persons; start += batch {
				var outs []domain.Outcome
				for i := start; i < start+batch; i++ {
					outs = append(outs, f.enrolment(fmt.Sprintf("w%d-%d", w, i), i, "old_age"))
				}
				f.decideAndWrite(outs, &conflicts)
			}
		}()
	}
	workers.Wait()
	workersDone.Store(true)
	for rebuilds.Load() < 3 { // at least a few rebuilds raced the workers
		time.Sleep(time.Millisecond)
	}
	stop()
	wg.Wait()
	if n := conflicts.Load(); n > 0 {
		t.Errorf("the record refused %d enrolments the index admitted", n)
	}

	var twice int
	if err := f.store.Pool().QueryRow(f.ctx, `SELECT count(*) FROM (SELECT person_id, programme FROM enrolments
		WHERE status IN ('active', 'held', 'suspended') GROUP BY person_id, programme HAVING count(*) > 1) d`).Scan(&twice); err != nil {
		t.Fatal(err)
	}
	if twice > 0 {
		t.Errorf("%d persons hold two live enrolments in one programme", twice)
	}
	var live int
	if err := f.store.Pool().QueryRow(f.ctx, `SELECT count(*) FROM enrolments
		WHERE status IN ('active', 'held', 'suspended')`).Scan(&live); err != nil {
		t.Fatal(err)
	}
	if live != persons {
		t.Errorf("%d live enrolments, want one for each of the %d persons", live, persons)
	}

	rdb, prefix := redistest.MustClient(t)
	cfg := f.cfg
	cfg.Prefix = prefix
	fresh := redisindex.New(rdb, fencePseudo, cfg)
	f.rebuild(fresh)
	for i := range persons {
		e := &domain.Event{Type: domain.TypeEnrolment, Person: fencedPerson(i)}
		key, _ := f.ix.Identify(e)
		got, err := f.ix.PersonFields(f.ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		want, err := fresh.PersonFields(f.ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got, want) {
			t.Errorf("person %d: live index %q, rebuilt from the record %q", i, got, want)
		}
	}
	t.Logf("%d rebuilds raced the workers", rebuilds.Load())
}

// migratedStore opens a record of conns connections on a fresh schema,
// migrated, closed when the test ends.
func migratedStore(t *testing.T, conns int32) *postgres.Store {
	t.Helper()
	store, err := postgres.Open(context.Background(), pgtest.MustSchema(t), conns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	if _, err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return store
}

// decideAndWrite decides outs and records them, deciding again while the
// index is not ready or the record finds the batch stale; it counts the
// record's refusals as conflicts.
func (f *fenced) decideAndWrite(outs []domain.Outcome, conflicts *atomic.Int64) {
	f.t.Helper()
	for attempt := 0; ; attempt++ {
		if attempt > 10000 {
			f.t.Error("a batch was never recorded")
			return
		}
		gen, err := f.ix.Decide(f.ctx, redecide(outs))
		if errors.Is(err, redisindex.ErrNotReady) {
			time.Sleep(time.Millisecond)
			continue
		}
		if err != nil {
			f.t.Error(err)
			return
		}
		_, err = f.store.Write(f.ctx, outs, gen)
		switch {
		case errors.Is(err, postgres.ErrStaleIndex):
			continue
		case domain.KindOf(err) == domain.KindConflict:
			// The processor would mark the index for rebuild and decide
			// the batch again; here it is the failure looked for.
			conflicts.Add(1)
			if err := f.ix.Invalidate(f.ctx); err != nil {
				f.t.Error(err)
			}
			continue
		case err != nil:
			f.t.Error(err)
			return
		}
		f.recorded.Add(1)
		return
	}
}
