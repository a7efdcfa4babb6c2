package redisindex_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ekjon/ekjon/domain"
)

// enrolRef is an enrolment in prog naming beneficiary ref.
func enrolRef(id, nid, prog, ref string) *domain.Outcome {
	o := enrol(id, nid, prog, "")
	o.Event.BeneficiaryRef = ref
	o.Decision = domain.Decision{EventID: id, Rules: []string{}}
	return o
}

// payRef is a payment naming only a beneficiary ref.
func payRef(id, prog, cycle, ref string) *domain.Outcome {
	p := pay(id, "", prog, cycle, "", t0)
	p.Event.BeneficiaryRef = ref
	return p
}

// TestRefHeldByAnotherIsNotRepointed: a second person enrolling with a
// programme's beneficiary ref already held by the first is held for review
// under REF_CONFLICT, naming the first; payments by the ref still go to
// the first, and enrolments of the first person with the ref, blocked or
// not, keep it theirs.
func TestRefHeldByAnotherIsNotRepointed(t *testing.T) {
	ix := newIndex(t)
	const a, b = "1000000001", "1000000002"
	first := enrolRef("a1", a, "widow", "R-1")
	decide(t, ix, first)
	if verdict(first) != "ADMIT []" || !first.HoldsRef {
		t.Fatalf("first enrolment: %s, holds its ref %v", verdict(first), first.HoldsRef)
	}
	other := enrolRef("b1", b, "widow", "R-1")
	decide(t, ix, other)
	if verdict(other) != "HOLD [REF_CONFLICT]" || other.HoldsRef {
		t.Fatalf("another person with the ref: %s, holds the ref %v; want HOLD [REF_CONFLICT] without it", verdict(other), other.HoldsRef)
	}
	if !strings.Contains(other.Decision.Reason, first.Decision.PersonID) {
		t.Errorf("reason %q does not name the ref's holder %s", other.Decision.Reason, first.Decision.PersonID)
	}
	if len(other.Alerts) != 1 || other.Alerts[0].Rule != domain.RuleRefConflict || other.Alerts[0].MatchedPerson != first.Decision.PersonID {
		t.Errorf("alerts %+v, want one REF_CONFLICT naming %s", other.Alerts, first.Decision.PersonID)
	}
	// The newcomer's enrolment waits for its review: no payment by NID.
	held := pay("pb", b, "widow", "2026-11", "", t0)
	decide(t, ix, held)
	if verdict(held) != "BLOCK [UNKNOWN_PAYEE]" {
		t.Errorf("payment by NID to the held newcomer: %s", verdict(held))
	}
	again := enrolRef("a2", a, "widow", "R-1") // DUP_NID
	decide(t, ix, again)
	if verdict(again) != "BLOCK [DUP_NID]" || !again.HoldsRef {
		t.Errorf("the holder's blocked enrolment with its own ref: %s, holds the ref %v", verdict(again), again.HoldsRef)
	}
	dupOther := enrolRef("b2", b, "widow", "R-1") // DUP_NID of the newcomer, and the ref is still not its
	decide(t, ix, dupOther)
	if verdict(dupOther) != "BLOCK [DUP_NID REF_CONFLICT]" || dupOther.HoldsRef {
		t.Errorf("the newcomer again: %s, holds the ref %v", verdict(dupOther), dupOther.HoldsRef)
	}
	p := payRef("p1", "widow", "2026-11", "R-1")
	decide(t, ix, p)
	if verdict(p) != "ADMIT []" || p.Decision.PersonID != first.Decision.PersonID {
		t.Fatalf("payment by ref: %s for %s, want ADMIT for %s", verdict(p), p.Decision.PersonID, first.Decision.PersonID)
	}
	// The same ref in another programme is another ref.
	vgd := enrolRef("b3", b, "vgd", "R-1")
	decide(t, ix, vgd)
	if verdict(vgd) != "ADMIT []" || !vgd.HoldsRef {
		t.Errorf("the ref in another programme: %s, holds it %v", verdict(vgd), vgd.HoldsRef)
	}
}

// TestRefConflictInOneBatch: of two persons enrolling with one ref in one
// batch, the first in the batch holds it.
func TestRefConflictInOneBatch(t *testing.T) {
	ix := newIndex(t)
	x, y := enrolRef("x", "1000000001", "old_age", "R-9"), enrolRef("y", "1000000002", "old_age", "R-9")
	decide(t, ix, x, y)
	if got := verdict(x) + " / " + verdict(y); got != "ADMIT [] / HOLD [REF_CONFLICT]" {
		t.Fatalf("%s, want ADMIT [] / HOLD [REF_CONFLICT]", got)
	}
}

// TestRefClaimsRace races pairs of persons enrolling with one ref through
// two deciders at the same moment: exactly one of each pair holds the ref,
// and a payment by the ref is that one's.
func TestRefClaimsRace(t *testing.T) {
	ix := newIndex(t)
	const pairs = 100
	var outs [2][]*domain.Outcome
	for side := range 2 {
		for i := range pairs {
			outs[side] = append(outs[side], enrolRef(fmt.Sprintf("race-%d-%d", side, i), fmt.Sprintf("%010d", 4000000000+2*i+side),
				"old_age", fmt.Sprintf("R-%d", i)))
		}
	}
	var wg sync.WaitGroup
	for side := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, o := range outs[side] {
				if _, err := ix.Decide(context.Background(), []*domain.Outcome{o}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for i := range pairs {
		a, b := outs[0][i], outs[1][i]
		winner := a
		if b.HoldsRef {
			winner = b
		}
		if a.HoldsRef == b.HoldsRef {
			t.Errorf("ref %d: both hold it: %v", i, a.HoldsRef)
			continue
		}
		if got := verdict(a) + " / " + verdict(b); got != "ADMIT [] / HOLD [REF_CONFLICT]" && got != "HOLD [REF_CONFLICT] / ADMIT []" {
			t.Errorf("ref %d: %s", i, got)
		}
		p := payRef(fmt.Sprintf("race-pay-%d", i), "old_age", "2026-11", fmt.Sprintf("R-%d", i))
		decide(t, ix, p)
		if p.Decision.PersonID != winner.Decision.PersonID {
			t.Errorf("ref %d paid to %s, held by %s", i, p.Decision.PersonID, winner.Decision.PersonID)
		}
	}
}

// TestRefConflictOfTheDead: a conflicting ref on an enrolment of the dead
// adds its rule to the hold.
func TestRefConflictOfTheDead(t *testing.T) {
	ix := newIndex(t)
	decide(t, ix, enrolRef("a", "1000000001", "old_age", "R-5"),
		status("s", "1000000002", domain.StatusDeceased, "", "", t0))
	o := enrolRef("b", "1000000002", "old_age", "R-5")
	decide(t, ix, o)
	if verdict(o) != "HOLD [DECEASED_OR_EXITED REF_CONFLICT]" {
		t.Errorf("%s (%s)", verdict(o), o.Decision.Reason)
	}
}
