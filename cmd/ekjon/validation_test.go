package main

import (
	"context"
	"strings"
	"testing"

	"github.com/ekjon/ekjon/domain"
)

// TestUnstorableEventsAreRejected sends events that PostgreSQL would
// refuse (a NUL in a text column or in the person's jsonb record, an
// amount beyond numeric(14,2)): each is REJECTED by validation, and the
// events after them are decided as usual.
func TestUnstorableEventsAreRejected(t *testing.T) {
	h := newHarness(t, 1)
	h.start(nil)
	const nid = "1234567890"
	enrol := enrolmentEvent("ok-e", nid, "widow", "", "Amena Begum", "01812345678")
	bad := []struct{ topic, id, value, field string }{
		{h.cfg.Kafka.Topics.Enrolments, "nul-village", strings.Replace(
			enrolmentEvent("nul-village", "2612345678901", "widow", "", "Amena Khatun", ""), `"ward":"3"`, `"ward":"3","village":"Bai\u0000pail"`, 1),
			"person.address.village"},
		{h.cfg.Kafka.Topics.Enrolments, "nul-name", strings.Replace(
			enrolmentEvent("nul-name", "2612345678902", "widow", "", "Amena Khatun", ""), `"Amena Khatun"`, `"Amena\u0000 Khatun"`, 1),
			"person.name_en"},
		{h.cfg.Kafka.Topics.Distributions, "huge-amount", strings.Replace(
			paymentEvent("huge-amount", nid, "widow", "2026-11", "01812345678", "2026-11-05T09:00:00Z"), `"amount":600`, `"amount":1e12`, 1),
			"amount"},
		{h.cfg.Kafka.Topics.Distributions, "nul-agent", strings.Replace(
			paymentEvent("nul-agent", nid, "widow", "2026-11", "01812345678", "2026-11-05T09:00:00Z"), `"agent-5521"`, `"agent\u0000"`, 1),
			"distributor_id"},
		{h.cfg.Kafka.Topics.Distributions, "year-1900", paymentEvent("year-1900", nid, "widow", "2026-11", "01812345678", "1900-11-05T09:00:00Z"),
			"occurred_at"},
		{h.cfg.Kafka.Topics.Status, "nul-wallet", strings.Replace(
			statusEvent("nul-wallet", nid, domain.StatusWalletChanged, "widow", "01812345678", "2026-11-03T00:00:00Z"), `"01812345678"`, `"0181234\u00005678"`, 1),
			"wallet"},
	}
	h.produce(h.cfg.Kafka.Topics.Enrolments, enrol)
	if got := verdictOf(h.decisions("ok-e")["ok-e"]); got != "ADMIT []" {
		t.Fatalf("the enrolment: %s", got)
	}
	var ids []string
	for _, b := range bad {
		h.produce(b.topic, b.value)
		ids = append(ids, b.id)
	}
	h.produce(h.cfg.Kafka.Topics.Distributions, paymentEvent("ok-p", nid, "widow", "2026-11", "01812345678", "2026-11-05T09:00:00Z"))
	got := h.decisions(append(ids, "ok-p")...)
	for _, b := range bad {
		d := got[b.id]
		if verdictOf(d) != "REJECTED [INVALID_EVENT]" || !strings.Contains(d.Reason, b.field+":") {
			t.Errorf("%s: %s %q, want REJECTED [INVALID_EVENT] on %s", b.id, verdictOf(d), d.Reason, b.field)
		}
	}
	if v := verdictOf(got["ok-p"]); v != "ADMIT []" {
		t.Errorf("the payment after them: %s", v)
	}
}

// TestOneMonthOnePaymentHoweverSpelled pays one person twice for one
// month, the second time with the month spelled otherwise: the cycle is
// normalised before the claim, so the second is a DOUBLE_PAYMENT, and the
// record holds the canonical cycle.
func TestOneMonthOnePaymentHoweverSpelled(t *testing.T) {
	h := newHarness(t, 2)
	h.start(nil)
	spellings := []string{"2026-11 ", "Nov 2026", "11/2026", "২০২৬-১১"}
	var enrols []string
	for i := range spellings {
		enrols = append(enrols, distinctEnrolment("enr-"+string(rune('a'+i)), nidOf(i), "old_age", i))
	}
	h.produce(h.cfg.Kafka.Topics.Enrolments, enrols...)
	h.decisions("enr-a", "enr-b", "enr-c", "enr-d")
	for i, s := range spellings {
		first, second := "pay-"+string(rune('a'+i))+"-1", "pay-"+string(rune('a'+i))+"-2"
		h.produce(h.cfg.Kafka.Topics.Distributions,
			paymentEvent(first, nidOf(i), "old_age", "2026-11", "", "2026-11-05T09:00:00Z"),
			paymentEvent(second, nidOf(i), "old_age", s, "", "2026-11-06T09:00:00Z"))
		got := h.decisions(first, second)
		if pair := verdictOf(got[first]) + " / " + verdictOf(got[second]); pair != "ADMIT [] / BLOCK [DOUBLE_PAYMENT]" {
			t.Errorf("2026-11 then %q: %s, want ADMIT [] / BLOCK [DOUBLE_PAYMENT]", s, pair)
		}
	}
	var cycles []string
	rows, err := h.db.Query(context.Background(), `SELECT DISTINCT cycle FROM payments`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		cycles = append(cycles, c)
	}
	if rows.Err() != nil || len(cycles) != 1 || cycles[0] != "2026-11" {
		t.Errorf("cycles on record: %q (%v), want only 2026-11", cycles, rows.Err())
	}
}

func nidOf(i int) string { return string(rune('7')) + strings.Repeat("0", 8) + string(rune('0'+i)) }
