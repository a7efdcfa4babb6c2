package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// refEnrolment is an enrolment of nid in prog naming beneficiary ref.
func refEnrolment(id, nid, prog, ref, name string) string {
	return fmt.Sprintf(`{"event_id":%q,"type":"enrolment","occurred_at":"2026-11-01T10:00:00+06:00","source":"dss-mis",
		"programme":%q,"beneficiary_ref":%q,"person":{"nid":%q,"name_en":%q,"dob":"1950-03-01","gender":"female",
		"address":{"district":"Dhaka","upazila":"Savar"}}}`, id, prog, ref, nid, name)
}

// refPayment is a payment naming only a beneficiary ref.
func refPayment(id, prog, cycle, ref string) string {
	return fmt.Sprintf(`{"event_id":%q,"type":"distribution","occurred_at":"2026-11-05T09:00:00Z","source":"g2p-gateway",
		"programme":%q,"cycle":%q,"beneficiary_ref":%q,"amount":600,"channel":"cash","distributor_id":"agent-5521"}`,
		id, prog, cycle, ref)
}

// TestRefCannotBeTakenOver is the attack on beneficiary refs: A enrols
// with ref R; B, another NID, enrols in the same programme with R, hoping
// that payments by R will come to B. B is held as REF_CONFLICT, with an
// alert naming A, and a payment by R is A's.
func TestRefCannotBeTakenOver(t *testing.T) {
	h := newHarness(t, 1)
	h.start(nil)
	topics := h.cfg.Kafka.Topics
	h.produce(topics.Enrolments, refEnrolment("ra", "2612345678901", "widow", "DSS-777", "Amena Khatun"))
	a := h.decisions("ra")["ra"]
	if verdictOf(a) != "ADMIT []" {
		t.Fatalf("A: %s (%s)", verdictOf(a), a.Reason)
	}
	h.produce(topics.Enrolments, refEnrolment("rb", "1987654321", "widow", "DSS-777", "Sufia Begum"))
	b := h.decisions("rb")["rb"]
	if verdictOf(b) != "HOLD [REF_CONFLICT]" || !strings.Contains(b.Reason, a.PersonID) {
		t.Fatalf("B: %s (%s), want HOLD [REF_CONFLICT] naming %s", verdictOf(b), b.Reason, a.PersonID)
	}
	h.produce(topics.Distributions, refPayment("rp", "widow", "2026-11", "DSS-777"))
	p := h.decisions("rp")["rp"]
	if verdictOf(p) != "ADMIT []" || p.PersonID != a.PersonID {
		t.Fatalf("payment by the ref: %s for %s, want ADMIT for A (%s), not B (%s)", verdictOf(p), p.PersonID, a.PersonID, b.PersonID)
	}
	var rule, matched string
	if err := h.db.QueryRow(context.Background(), `SELECT rule, matched_person_id FROM alerts WHERE event_id = 'rb'`).Scan(&rule, &matched); err != nil ||
		rule != "REF_CONFLICT" || matched != a.PersonID {
		t.Errorf("B's alert: %s naming %s (%v), want REF_CONFLICT naming %s", rule, matched, err, a.PersonID)
	}
	var payee string
	if err := h.db.QueryRow(context.Background(), `SELECT person_id FROM payments WHERE event_id = 'rp'`).Scan(&payee); err != nil || payee != a.PersonID {
		t.Errorf("the record pays %s (%v), want A (%s)", payee, err, a.PersonID)
	}
}
