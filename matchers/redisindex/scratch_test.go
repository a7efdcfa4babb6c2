package redisindex_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/benchmarks/synth"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/redisindex"
)

// registryOutcomes decodes a seeded synthetic registry's enrolments (its
// malformed and invalid ones left out) into outcomes waiting for their
// decisions.
func registryOutcomes(t *testing.T, persons int, seed int64) []*domain.Outcome {
	t.Helper()
	c := synth.DefaultConfig()
	c.Persons, c.Seed, c.RunID = persons, seed, "sc"
	c.FuzzyDupRate = 0.08
	g, err := synth.New(c)
	if err != nil {
		t.Fatal(err)
	}
	var outs []*domain.Outcome
	seen := map[string]bool{}
	for r := range g.Enrolments() {
		e, err := domain.DecodeEvent(r.Value, 1<<20)
		if err != nil || domain.Validate(e, domain.DefaultPolicy()) != nil || seen[e.EventID] {
			continue
		}
		seen[e.EventID] = true
		outs = append(outs, &domain.Outcome{Event: e, Decision: domain.Decision{EventID: e.EventID, Rules: []string{}}})
	}
	return outs
}

// clone is a copy of outs with no decision yet.
func clone(outs []*domain.Outcome) []*domain.Outcome {
	c := make([]*domain.Outcome, len(outs))
	for i, o := range outs {
		c[i] = &domain.Outcome{Event: o.Event, Decision: domain.Decision{EventID: o.Decision.EventID, Rules: []string{}}}
	}
	return c
}

// decideInBatches decides outs in batches of size, remembering each.
func decideInBatches(t *testing.T, ix *redisindex.Index, outs []*domain.Outcome, size int) {
	t.Helper()
	for i := 0; i < len(outs); i += size {
		decide(t, ix, outs[i:min(i+size, len(outs))]...)
	}
}

// TestScratchDecidesAsRedisDoes decides one seeded registry, batch by
// batch, against an index on Redis and against a scratch copy of another,
// then writes the copy back: every decision must be the same, and so must
// every field the two indexes hold.
func TestScratchDecidesAsRedisDoes(t *testing.T) {
	ctx := context.Background()
	outs := registryOutcomes(t, 900, 3)
	onRedis, inMemory := newIndex(t), newIndex(t)
	// The copy starts from what an index already holds.
	warm := len(outs) / 5
	decideInBatches(t, onRedis, outs[:warm], 37)
	decideInBatches(t, inMemory, clone(outs[:warm]), 37)

	six, sc, err := inMemory.Take(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if reason, err := inMemory.Verify(ctx, func(context.Context) (int64, error) { return 1, nil }); err != nil || reason == "" {
		t.Fatalf("the index on Redis is ready while a scratch copy of it decides (%q, %v)", reason, err)
	}
	a, b := outs[warm:], clone(outs[warm:])
	decideInBatches(t, onRedis, a, 37)
	decideInBatches(t, six, b, 37)
	kinds := map[string]int{}
	for i := range a {
		da, db := a[i].Decision, b[i].Decision
		kinds[verdict(a[i])]++
		if da.Action != db.Action || !slices.Equal(da.Rules, db.Rules) || da.Reason != db.Reason || da.PersonID != db.PersonID ||
			da.MatchedPerson != db.MatchedPerson || math.Abs(da.Score-db.Score) > 1e-12 ||
			a[i].IndexKey != b[i].IndexKey || a[i].WalletKey != b[i].WalletKey || a[i].HoldsRef != b[i].HoldsRef ||
			!slices.Equal(a[i].IndexTokens, b[i].IndexTokens) || !slices.Equal(a[i].Links, b[i].Links) || len(a[i].Alerts) != len(b[i].Alerts) {
			t.Errorf("%s: on Redis %s %v person %s matched %s %.3f; in memory %s %v person %s matched %s %.3f",
				da.EventID, da.Action, da.Rules, da.PersonID, da.MatchedPerson, da.Score,
				db.Action, db.Rules, db.PersonID, db.MatchedPerson, db.Score)
		}
	}
	for _, want := range []string{"BLOCK [DUP_NID]", "HOLD [FUZZY_PERSON]", "ADMIT []"} {
		if kinds[want] == 0 {
			t.Errorf("the registry should give %s decisions: %v", want, kinds)
		}
	}
	if t.Failed() {
		return
	}
	if err := sc.Flush(ctx, func(context.Context) (int64, error) { return 1, nil }); err != nil {
		t.Fatal(err)
	}
	sc.Close()
	if reason, err := inMemory.Verify(ctx, func(context.Context) (int64, error) { return 1, nil }); err != nil || reason != "" {
		t.Fatalf("the index is not ready after the flush: %q, %v", reason, err)
	}
	ra, rb := dump(t, onRedis.Client(), onRedis.Prefix()), dump(t, inMemory.Client(), inMemory.Prefix())
	if len(ra) == 0 {
		t.Error("the index on Redis holds nothing to compare")
	}
	sameIndex(t, ra, rb, "on Redis", "written from memory")
	// Both indexes decide the next enrolments alike.
	more := registryOutcomes(t, 300, 4)
	c, d := clone(more), clone(more)
	decideInBatches(t, onRedis, c, 50)
	decideInBatches(t, inMemory, d, 50)
	for i := range c {
		if verdict(c[i]) != verdict(d[i]) || c[i].Decision.MatchedPerson != d[i].Decision.MatchedPerson {
			t.Errorf("%s after the flush: %s on Redis, %s", c[i].Decision.EventID, verdict(c[i]), verdict(d[i]))
		}
	}
}

// TestScratchRefusesWhatItCannotDecide: a scratch copy runs the scripts
// of enrolments only; a payment must fail, not be decided otherwise than
// Redis would.
func TestScratchRefusesWhatItCannotDecide(t *testing.T) {
	ctx := context.Background()
	ix := newIndex(t)
	decide(t, ix, enrol("e1", "1987654321098", "old_age", "01711000001"))
	six, sc, err := ix.Take(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	_, err = six.Decide(ctx, []*domain.Outcome{pay("p1", "1987654321098", "old_age", "2026-11", "01711000001", t0)})
	if err == nil || domain.KindOf(err) != domain.KindInternal || !strings.Contains(err.Error(), "scratch") {
		t.Fatalf("a payment decided against a scratch copy: %v", err)
	}
	var re redis.Error
	if errors.As(err, &re) {
		t.Fatalf("the refusal reads as Redis's own error: %v", err)
	}
}

// TestScratchHoldsTheIndexUntilFlushed: while a copy of the index decides,
// nobody else may rebuild the index on Redis (a stream worker would load
// it from a record the copy's load is still writing, and the flush would
// then write over it) nor take a second copy; the flush marks it ready and
// the close lets go of it.
func TestScratchHoldsTheIndexUntilFlushed(t *testing.T) {
	ctx := context.Background()
	ix := newIndex(t)
	decide(t, ix, enrol("e1", "1987654321098", "old_age", "01711000001"))
	gen := func(context.Context) (int64, error) { return 1, nil }
	none := func(context.Context, func(domain.IndexFact) error) error { return nil }
	_, sc, err := ix.Take(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	if _, second, err := ix.Take(ctx); err == nil {
		second.Close()
		t.Fatal("a second copy was taken while the first decides")
	}
	if _, rebuilt, err := ix.Rebuild(ctx, gen, none); err != nil || rebuilt {
		t.Fatalf("the index was rebuilt (%v, %v) while a copy of it decides", rebuilt, err)
	}
	if err := sc.Flush(ctx, gen); err != nil {
		t.Fatal(err)
	}
	if reason, err := ix.Verify(ctx, gen); err != nil || reason != "" {
		t.Fatalf("not ready after the flush: %q, %v", reason, err)
	}
	sc.Close()
	if _, rebuilt, err := ix.Rebuild(ctx, gen, none); err != nil || !rebuilt {
		t.Fatalf("after the close the index could not be rebuilt: %v, %v", rebuilt, err)
	}
}
