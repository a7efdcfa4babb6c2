package redisindex_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ekjon/ekjon/cards"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
)

// flushCards maps the record's pending card changes into ix, as the card
// service does after a change and its indexer does on every tick.
func (f *fenced) flushCards(ix *redisindex.Index) {
	f.t.Helper()
	cs, err := f.store.PendingCards(f.ctx, 1000)
	if err == nil {
		err = ix.MapCards(f.ctx, cs)
	}
	if err == nil {
		err = f.store.MarkCardsIndexed(f.ctx, cs)
	}
	if err != nil {
		f.t.Error(err)
	}
}

// TestCardChangeRacingRebuild revokes or replaces a card while the index
// is rebuilt from the record, many times: whichever of the two gets to
// Redis last, an ended card never scans as live once both are done, and
// the card that replaced it does.
func TestCardChangeRacingRebuild(t *testing.T) {
	rdb, prefix := redistest.MustClient(t)
	f := newFencedOn(t, rdb, prefix)
	keys := cards.DerivedKeyring("race-card-secret")
	f.cfg.Cards = keys
	f.ix = redisindex.New(rdb, fencePseudo, f.cfg)
	// Men born before 1960, eligible for the old-age allowance; each is
	// given a new card, then has it revoked, in turn, rounds times.
	const persons, rounds = 30, 4
	var outs []domain.Outcome
	for i := range persons {
		outs = append(outs, f.enrolment(fmt.Sprintf("c-%d", i), i, "old_age"))
	}
	var conflicts atomic.Int64
	f.decideAndWrite(outs, &conflicts)
	f.flushCards(f.ix)

	var revived []string
	for i := range persons * rounds {
		o := outs[i%persons]
		if o.Decision.Action != domain.ActionAdmit {
			t.Fatalf("enrolment %s: %s %v", o.Decision.EventID, o.Decision.Action, o.Decision.Rules)
		}
		old, err := f.store.CardOf(f.ctx, o.Decision.PersonID)
		if err != nil {
			t.Fatal(err)
		}
		replace := i/persons%2 == 0
		var next domain.Card
		var wg sync.WaitGroup
		wg.Go(func() {
			if _, ok, err := f.ix.Rebuild(f.ctx, f.store.BeginRebuild, f.store.IndexFacts); err != nil || !ok {
				t.Errorf("rebuild: %v, %v", ok, err)
			}
		})
		wg.Go(func() {
			time.Sleep(time.Duration(rand.IntN(4000)) * time.Microsecond)
			var err error
			if replace {
				next, err = f.store.ReplaceCard(f.ctx, o.Decision.PersonID, "test", "lost")
			} else {
				next, err = f.store.RevokeCard(f.ctx, o.Decision.PersonID, "test", "misused")
			}
			if err != nil {
				t.Error(err)
				return
			}
			f.flushCards(f.ix)
		})
		wg.Wait()
		f.flushCards(f.ix)
		if st, _, err := f.ix.ResolveCard(f.ctx, keys.Sign(old.CardNo, old.Version)); err != nil {
			t.Fatal(err)
		} else if st == redisindex.CardLive {
			revived = append(revived, old.CardNo)
		}
		if replace {
			if st, _, err := f.ix.ResolveCard(f.ctx, keys.Sign(next.CardNo, next.Version)); err != nil || st != redisindex.CardLive {
				t.Errorf("the replacing card %d scans as %v (%v)", i, st, err)
			}
		}
	}
	if len(revived) > 0 {
		t.Errorf("%d of %d ended cards scan as live after the rebuild they raced", len(revived), persons*rounds)
	}
}
