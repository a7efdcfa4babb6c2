package redisindex_test

import (
	"context"
	"testing"

	"github.com/ekjon/ekjon/domain"
)

// enrolSmart is an enrolment by nid with the smart-card number smart
// beside it.
func enrolSmart(id, nid, smart, prog string) *domain.Outcome {
	o := enrol(id, nid, prog, "")
	o.Event.Person.NIDSmart = smart
	return o
}

// TestNumbersOfOnePersonLink: the 17- and 13-digit forms of an NID and a
// smart-card number seen beside it name one person, in either order; a
// smart-card number another NID holds is a conflict, and stays its
// holder's.
func TestNumbersOfOnePersonLink(t *testing.T) {
	ix := newIndex(t)
	a := enrolSmart("a", "19502612345678901", "4444001111", "old_age")
	decide(t, ix, a)
	for _, o := range []*domain.Outcome{
		enrol("b", "2612345678901", "widow", ""),
		enrol("c", "4444001111", "disability", ""),
	} {
		decide(t, ix, o)
		if verdict(o) != "BLOCK [MULTI_PROGRAMME]" || o.Decision.PersonID != a.Decision.PersonID {
			t.Errorf("%s: %s for %s, want BLOCK [MULTI_PROGRAMME] for %s", o.Event.EventID, verdict(o), o.Decision.PersonID, a.Decision.PersonID)
		}
	}
	p := pay("p", "4444001111", "old_age", "2026-11", "", t0)
	decide(t, ix, p)
	if verdict(p) != "ADMIT []" || p.Decision.PersonID != a.Decision.PersonID {
		t.Errorf("payment by the smart-card number: %s for %s", verdict(p), p.Decision.PersonID)
	}

	// The smart-card number first.
	s := enrol("s", "5555002222", "old_age", "")
	decide(t, ix, s)
	n := enrolSmart("n", "2600000002222", "5555002222", "widow")
	decide(t, ix, n)
	if verdict(n) != "BLOCK [MULTI_PROGRAMME]" || n.Decision.PersonID != s.Decision.PersonID {
		t.Errorf("nid after smart: %s for %s, want BLOCK [MULTI_PROGRAMME] for %s", verdict(n), n.Decision.PersonID, s.Decision.PersonID)
	}

	// Another NID with a's smart-card number.
	x := enrolSmart("x", "2600000003333", "4444001111", "vgd")
	decide(t, ix, x)
	if verdict(x) != "HOLD [ID_CONFLICT]" || x.Decision.PersonID == a.Decision.PersonID || x.Decision.MatchedPerson != "" && x.Decision.MatchedPerson != a.Decision.PersonID {
		t.Errorf("another NID with a's smart-card number: %s for %s (%s)", verdict(x), x.Decision.PersonID, x.Decision.Reason)
	}
	q := pay("q", "4444001111", "old_age", "2026-12", "", t0)
	decide(t, ix, q)
	if q.Decision.PersonID != a.Decision.PersonID {
		t.Errorf("after the conflict, the smart-card number pays %s, want %s", q.Decision.PersonID, a.Decision.PersonID)
	}
}

// TestNumbersLinkWithinABatch: events of one person by different numbers
// in one batch find the same person.
func TestNumbersLinkWithinABatch(t *testing.T) {
	ix := newIndex(t)
	a := enrolSmart("a", "19502612345678901", "4444001111", "old_age")
	decide(t, ix, a)
	b, p := enrol("b", "4444001111", "widow", ""), pay("p", "4444001111", "old_age", "2026-11", "", t0)
	decide(t, ix, b, p)
	if verdict(b) != "BLOCK [MULTI_PROGRAMME]" || b.Decision.PersonID != a.Decision.PersonID {
		t.Errorf("b: %s for %s, want BLOCK [MULTI_PROGRAMME] for %s", verdict(b), b.Decision.PersonID, a.Decision.PersonID)
	}
	if verdict(p) != "ADMIT []" || p.Decision.PersonID != a.Decision.PersonID {
		t.Errorf("p: %s for %s, want ADMIT for %s", verdict(p), p.Decision.PersonID, a.Decision.PersonID)
	}
}

// TestRebuildLinksPersonsRecordedBeforeLinks: a person recorded before
// numbers were linked, under a 17-digit NID whose person id is the hash
// of all 17 digits, is found by the 13-digit form once the index is
// rebuilt from the record, which links the NID's core to the person.
func TestRebuildLinksPersonsRecordedBeforeLinks(t *testing.T) {
	ix := newIndex(t)
	pseudo := domain.NewPseudonymizer([]byte("test-secret-0123456789"))
	const nid17 = "19502612345678901"
	old := pseudo.Hash("nid", nid17)[:16] // the key such a person was given
	person := &domain.Person{NID: nid17, NameEN: "Rafiqul Islam", DOB: "1950-03-01"}
	facts := []domain.IndexFact{
		{Kind: "enrolment", Key: old, Programme: "old_age", EventID: "e-old", State: domain.EnrolmentActive},
		{Kind: "candidate", PersonID: "P" + old, Person: person, EventID: "e-old"},
	}
	_, ok, err := ix.Rebuild(context.Background(), func(context.Context) (int64, error) { return 2, nil },
		func(ctx context.Context, fn func(domain.IndexFact) error) error {
			for _, f := range facts {
				if err := fn(f); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil || !ok {
		t.Fatalf("rebuild: %v, %v", ok, err)
	}
	for _, o := range []*domain.Outcome{enrol("w", "2612345678901", "widow", ""), enrol("o", nid17, "old_age", "")} {
		decide(t, ix, o)
		want := map[string]string{"w": "BLOCK [MULTI_PROGRAMME]", "o": "BLOCK [DUP_NID]"}[o.Event.EventID]
		if verdict(o) != want || o.Decision.PersonID != "P"+old {
			t.Errorf("%s: %s for %s, want %s for the recorded person P%s", o.Event.EventID, verdict(o), o.Decision.PersonID, want, old)
		}
	}
}
