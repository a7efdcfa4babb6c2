package redisindex_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
)

// fresh is outs as a worker reads them again: the same events, nothing
// decided.
func fresh(outs []*domain.Outcome) []*domain.Outcome {
	again := make([]*domain.Outcome, len(outs))
	for i, o := range outs {
		again[i] = &domain.Outcome{Event: o.Event}
	}
	return again
}

func verdicts(outs []*domain.Outcome) []string {
	v := make([]string, len(outs))
	for i, o := range outs {
		v[i] = verdict(o)
	}
	return v
}

// TestBatchDecidedAgainOverItsOwnClaims decides a batch, then decides it
// again as the next owner of a partition does after a worker died between
// Decide and the record: each event must get its first decision, though
// the batch's later events left their claims in the index, and the index
// must keep no claim of a decision that is not kept. Where that takes a
// rebuild from the record (a status event moved claims), the index says
// so rather than decide.
func TestBatchDecidedAgainOverItsOwnClaims(t *testing.T) {
	const nid, other = "19502612345678901", "1234567890"
	byRef := pay("p1", "", "old_age", "2026-11", "", t0)
	byRef.Event.BeneficiaryRef = "ref-e1"
	cases := []struct {
		name    string
		setup   []*domain.Outcome
		batch   []*domain.Outcome
		want    []string
		rebuild bool // the second decision needs the index rebuilt
	}{
		{"payment before its enrolment", nil,
			[]*domain.Outcome{pay("p1", nid, "old_age", "2026-11", "", t0), enrol("e1", nid, "old_age", "")},
			[]string{"BLOCK [UNKNOWN_PAYEE]", "ADMIT []"}, false},
		{"payment by ref before the enrolment naming it", nil,
			[]*domain.Outcome{byRef, enrol("e1", nid, "old_age", "")},
			[]string{"BLOCK [UNKNOWN_PAYEE]", "ADMIT []"}, false},
		{"payment before an enrolment in a second programme", []*domain.Outcome{enrol("e0", nid, "old_age", "")},
			[]*domain.Outcome{pay("p1", nid, "vgd", "2026-11", "", t0), enrol("e1", nid, "vgd", "")},
			[]string{"BLOCK [UNKNOWN_PAYEE]", "ADMIT []"}, false},
		{"payment before a suspension", []*domain.Outcome{enrol("e0", nid, "old_age", "")},
			[]*domain.Outcome{pay("p1", nid, "old_age", "2026-11", "", t0.Add(time.Hour)),
				status("s1", nid, domain.StatusSuspended, "old_age", "", t0.Add(2*time.Hour))},
			[]string{"ADMIT []", "ADMIT []"}, true},
		{"events of two persons", []*domain.Outcome{enrol("e0", other, "old_age", "")},
			[]*domain.Outcome{pay("p1", nid, "old_age", "2026-11", "", t0), enrol("e1", nid, "vgd", ""),
				pay("p2", other, "old_age", "2026-11", "", t0)},
			[]string{"BLOCK [UNKNOWN_PAYEE]", "ADMIT []", "ADMIT []"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			ix := newIndex(t)
			for _, o := range c.setup {
				decide(t, ix, o)
			}
			first := fresh(c.batch)
			if _, err := ix.Decide(ctx, first); err != nil {
				t.Fatal(err)
			}
			if got := verdicts(first); !slices.Equal(got, c.want) {
				t.Fatalf("first decision %q, want %q", got, c.want)
			}
			again := fresh(c.batch)
			_, err := ix.Decide(ctx, again)
			if c.rebuild {
				if !errors.Is(err, redisindex.ErrNotReady) {
					t.Fatalf("deciding again: err %v, want ErrNotReady", err)
				}
				if ready, err := ix.Ready(ctx); err != nil || ready {
					t.Fatalf("ready %v (%v) after a decision only a rebuild can undo", ready, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := verdicts(again); !slices.Equal(got, c.want) {
				t.Fatalf("decided again %q, want %q", got, c.want)
			}
			// A payment blocked the first time holds no claim on its
			// cycle: a later payment of the cycle must not be a double.
			for i, o := range again {
				if o.Event.Type != domain.TypeDistribution || o.IndexKey == "" || c.want[i] != "BLOCK [UNKNOWN_PAYEE]" {
					continue
				}
				f, err := ix.PersonFields(ctx, o.IndexKey)
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := f["p:"+o.Event.Programme+":"+o.Event.Cycle]; ok {
					t.Fatalf("the index holds a paid claim of %s, which was blocked", o.Event.EventID)
				}
			}
		})
	}
}

// TestDecidedAgainTheSameWayLeavesTheSameIndex is a rebalance that hands
// a partition over while its batch is in flight: the first owner decides
// the batch, records it and remembers it; the next owner decides it again
// over the first one's claims, undoing them and making them afresh. When
// every event is decided again as it was, the index must be, key for key,
// the index that deciding the batch once leaves, candidate records and
// blocking keys included; the processor then has no rebuild to ask for.
func TestDecidedAgainTheSameWayLeavesTheSameIndex(t *testing.T) {
	const nid = "19502612345678901"
	batch := func() []*domain.Outcome {
		return []*domain.Outcome{withProfile(enrol("e1", nid, "old_age", "01712345678")),
			pay("p1", nid, "old_age", "2026-11", "01712345678", t0.Add(time.Hour)),
			withProfile(enrol("e2", nid, "vgd", ""))}
	}
	ctx := context.Background()
	secret := domain.NewPseudonymizer([]byte("test-secret-0123456789"))
	index := func() (*redisindex.Index, redis.UniversalClient, string) {
		rdb, prefix := redistest.MustClient(t)
		cfg := redisindex.Config{Prefix: prefix, Policy: domain.DefaultPolicy(), Fuzzy: fuzzy.DefaultConfig()}
		return redisindex.MustReady(t, redisindex.New(rdb, secret, cfg)), rdb, prefix
	}

	once, onceRDB, oncePrefix := index()
	decide(t, once, batch()...)

	twice, twiceRDB, twicePrefix := index()
	first := batch()
	decide(t, twice, first...)
	again := fresh(first)
	if _, err := twice.Decide(ctx, again); err != nil {
		t.Fatal(err)
	}
	for i, o := range again {
		if !o.Redecided {
			t.Fatalf("%s: not decided again over its claims; the test does not reach the case", o.Event.EventID)
		}
		if verdict(o) != verdict(first[i]) || o.Decision.PersonID != first[i].Decision.PersonID {
			t.Fatalf("%s: decided again %s for %s, first %s for %s", o.Event.EventID,
				verdict(o), o.Decision.PersonID, verdict(first[i]), first[i].Decision.PersonID)
		}
	}
	sameIndex(t, dump(t, onceRDB, oncePrefix), dump(t, twiceRDB, twicePrefix), "decided once", "decided again")
}
