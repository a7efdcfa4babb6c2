package domain

import (
	"fmt"
	"slices"
	"testing"
)

var claimStates = []string{EnrolmentActive, EnrolmentHeld, EnrolmentSuspended, EnrolmentExited}

// TestTransitionsTable: one transition for each status and scope, moving
// claims only between claim states, and none out of review.
func TestTransitionsTable(t *testing.T) {
	seen := map[string]bool{}
	for _, tr := range Transitions() {
		key := fmt.Sprintf("%s all=%v", tr.Status, tr.AllProgrammes)
		if seen[key] {
			t.Errorf("%s: two transitions", key)
		}
		seen[key] = true
		for _, s := range append(slices.Clone(tr.From), tr.To) {
			if s != "" && !slices.Contains(claimStates, s) {
				t.Errorf("%s: %q is not a claim state", key, s)
			}
		}
		if to, ok := tr.Next(EnrolmentHeld); ok && to != EnrolmentHeld {
			t.Errorf("%s takes a held enrolment out of review, to %s", key, to)
		}
		if tr.SetsDeceased && tr.ClearsDeceased {
			t.Errorf("%s both marks the person dead and lifts the mark", key)
		}
	}
	for _, st := range []string{StatusDeceased, StatusExited, StatusSuspended, StatusReinstated, StatusWalletChanged} {
		for _, prog := range []string{"old_age", ""} {
			if tr, ok := TransitionOf(st, prog); !ok || tr.Status != st || tr.AllProgrammes != (prog == "") {
				t.Errorf("TransitionOf(%q, %q) = %+v, %v", st, prog, tr, ok)
			}
		}
	}
	if _, ok := TransitionOf("gone", ""); ok {
		t.Error("an unknown status has a transition")
	}
}

// TestTransitions says what each status event does, from each claim
// state: the state after, "-" when the event leaves the claim alone, and
// what it does to the person.
func TestTransitions(t *testing.T) {
	cases := []struct {
		status string
		all    bool
		// after, for active, held, suspended, exited
		after  [4]string
		person string
	}{
		{StatusDeceased, false, [4]string{"-", "-", "-", "-"}, "dead"},
		{StatusDeceased, true, [4]string{"-", "-", "-", "-"}, "dead"},
		{StatusExited, false, [4]string{"exited", "-", "exited", "-"}, ""},
		{StatusExited, true, [4]string{"exited", "-", "exited", "-"}, ""},
		{StatusSuspended, false, [4]string{"suspended", "-", "-", "-"}, ""},
		{StatusSuspended, true, [4]string{"suspended", "-", "-", "-"}, ""},
		{StatusReinstated, false, [4]string{"-", "-", "active", "active"}, ""},
		{StatusReinstated, true, [4]string{"-", "-", "active", "active"}, "alive"},
		{StatusWalletChanged, false, [4]string{"active", "held", "suspended", "exited"}, "new wallet"},
		{StatusWalletChanged, true, [4]string{"active", "held", "suspended", "exited"}, "new wallet"},
	}
	for _, c := range cases {
		prog := "old_age"
		if c.all {
			prog = ""
		}
		tr, ok := TransitionOf(c.status, prog)
		if !ok {
			t.Fatalf("no transition for %s %q", c.status, prog)
		}
		for i, from := range claimStates {
			got, acts := tr.Next(from)
			if !acts {
				got = "-"
			}
			if got != c.after[i] {
				t.Errorf("%s (all %v) from %s: %s, want %s", c.status, c.all, from, got, c.after[i])
			}
		}
		if _, acts := tr.Next(EnrolmentBlocked); acts {
			t.Errorf("%s (all %v) acts on a blocked enrolment", c.status, c.all)
		}
		person := ""
		switch {
		case tr.SetsDeceased:
			person = "dead"
		case tr.ClearsDeceased:
			person = "alive"
		case tr.ReplacesWallet && tr.MarksWalletChange:
			person = "new wallet"
		}
		if person != c.person {
			t.Errorf("%s (all %v) makes the person %q, want %q", c.status, c.all, person, c.person)
		}
	}
	if got := StatusesWhere(func(t Transition) bool { return t.SetsDeceased }); !slices.Equal(got, []string{StatusDeceased}) {
		t.Errorf("statuses that mark a death: %v", got)
	}
}
