package redisindex_test

import (
	"strings"
	"testing"
)

// An enrolment outside its programme's eligibility is held as INELIGIBLE
// with the reason and an alert, and claimed held: nothing is paid on it
// before a reviewer decides, while the same person's eligible enrolment
// elsewhere is admitted and paid.
func TestIneligibleEnrolmentIsHeld(t *testing.T) {
	ix := newIndex(t)
	young := enrol("e1", "1234567890", "old_age", "01712345678")
	young.Event.Person.Gender, young.Event.Person.DOB = "female", "1970-05-05"
	decide(t, ix, young)
	if got := verdict(young); got != "HOLD [INELIGIBLE]" {
		t.Fatalf("got %s, want HOLD [INELIGIBLE]", got)
	}
	if r := young.Decision.Reason; !strings.Contains(r, "56 years old") || !strings.Contains(r, "asks 62 for women") {
		t.Errorf("reason %q does not say why", r)
	}
	if len(young.Alerts) != 1 || young.Alerts[0].Rule != "INELIGIBLE" {
		t.Errorf("alerts %+v, want one INELIGIBLE", young.Alerts)
	}
	p := pay("p1", "1234567890", "old_age", "2026-11", "01712345678", t0.AddDate(0, 0, 3))
	decide(t, ix, p)
	if got := verdict(p); got != "BLOCK [UNKNOWN_PAYEE]" {
		t.Errorf("payment on a held enrolment: %s, want BLOCK [UNKNOWN_PAYEE]", got)
	}

	vgd := enrol("e2", "1234567890", "vgd", "01712345678")
	vgd.Event.Person.Gender, vgd.Event.Person.DOB = "female", "1970-05-05"
	decide(t, ix, vgd)
	if got := verdict(vgd); got != "ADMIT []" {
		t.Errorf("eligible enrolment: %s, want ADMIT []", got)
	}

	// A duplicate stays a block: ineligibility does not soften it.
	again := enrol("e3", "1234567890", "old_age", "01712345678")
	again.Event.Person.Gender, again.Event.Person.DOB = "female", "1970-05-05"
	decide(t, ix, again)
	if got := verdict(again); got != "BLOCK [DUP_NID]" {
		t.Errorf("duplicate of a held enrolment: %s, want BLOCK [DUP_NID]", got)
	}
}
