package main

import (
	"context"
	"fmt"
	"testing"
)

func personEnrolment(id, nid, prog, nameBN, nameEN, father, dob, gender, phone, upazila string) string {
	return fmt.Sprintf(`{"event_id":%q,"type":"enrolment","occurred_at":"2026-11-01T10:00:00+06:00","source":"dss-mis",
		"programme":%q,"beneficiary_ref":"ref-%s","person":{"nid":%q,"name_bn":%q,"name_en":%q,"father_name":%q,
		"dob":%q,"gender":%q,"phone":%q,"wallet":%q,"address":{"division":"Dhaka","district":"Dhaka","upazila":%q}}}`,
		id, prog, id, nid, nameBN, nameEN, father, dob, gender, phone, phone, upazila)
}

// TestFuzzyDuplicateIsHeldWithExplanation enrols a man, then the same man
// in Bangla script under another NID: the second enrolment is held as
// FUZZY_PERSON, and its score and each field's contribution land in
// PostgreSQL for the reviewer. A different man is admitted.
func TestFuzzyDuplicateIsHeldWithExplanation(t *testing.T) {
	h := newHarness(t, 2)
	h.start(nil)
	var background []string
	for i := 0; i < 40; i++ {
		background = append(background, distinctEnrolment(fmt.Sprintf("bg-%d", i), fmt.Sprintf("%010d", 7000000000+i), "vgd", i))
	}
	h.produce(h.cfg.Kafka.Topics.Enrolments, background...)
	h.produce(h.cfg.Kafka.Topics.Enrolments,
		personEnrolment("f1", "2612345678901", "old_age", "", "Md. Rafiqul Islam", "Late Abdul Karim", "1950-03-01", "male", "01712345678", "Savar"))
	h.decisions("f1")
	h.produce(h.cfg.Kafka.Topics.Enrolments,
		personEnrolment("f2", "19502612345670000", "old_age", "মোঃ রফিকুল ইসলাম", "", "মৃত আব্দুল করিম", "1950-03-01", "male", "01911111111", "Savar"),
		personEnrolment("f3", "2612345678999", "old_age", "", "Md. Golam Mostofa", "Late Idris Ali", "1948-07-09", "male", "01822222222", "Savar"))
	got := h.decisions("f1", "f2", "f3")
	if v := verdictOf(got["f1"]); v != "ADMIT []" {
		t.Errorf("f1: %s", v)
	}
	if v := verdictOf(got["f3"]); v != "ADMIT []" {
		t.Errorf("f3, another man: %s (%s)", v, got["f3"].Reason)
	}
	f2 := got["f2"]
	if v := verdictOf(f2); v != "HOLD [FUZZY_PERSON]" {
		t.Fatalf("f2, the same man in Bangla under another NID: %s (score %.1f, %v)", v, f2.Score, f2.Explanation)
	}
	if f2.MatchedPerson != got["f1"].PersonID || f2.Score <= 0 || len(f2.Explanation) < 4 {
		t.Errorf("f2 evidence: matched %q (want %q), score %.1f, %d contributions", f2.MatchedPerson, got["f1"].PersonID, f2.Score, len(f2.Explanation))
	}
	var sum float64
	for _, c := range f2.Explanation {
		sum += c.Weight
	}
	if d := sum - f2.Score; d > 0.01 || d < -0.01 {
		t.Errorf("contributions sum to %.2f, score is %.2f", sum, f2.Score)
	}
	var rule, matched string
	var n int
	err := h.db.QueryRow(context.Background(), `SELECT rule, matched_person_id, jsonb_array_length(explanation)
		FROM alerts WHERE event_id = 'f2'`).Scan(&rule, &matched, &n)
	if err != nil || rule != "FUZZY_PERSON" || matched != got["f1"].PersonID || n != len(f2.Explanation) {
		t.Errorf("alert for f2: %s %s %d contributions (%v)", rule, matched, n, err)
	}
	// The held enrolment is admitted to nothing: its payment is blocked.
	h.produce(h.cfg.Kafka.Topics.Distributions, paymentEvent("f2-pay", "19502612345670000", "old_age", "2026-11", "01911111111", "2026-11-05T09:00:00Z"))
	if v := verdictOf(h.decisions("f2-pay")["f2-pay"]); v != "BLOCK [UNKNOWN_PAYEE]" {
		t.Errorf("payment to a held enrolment: %s", v)
	}
}
