package review

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ekjon/ekjon/domain"
)

// roles lists the roles in the order of the byRole columns below.
func roles() [4]string { return [4]string{RoleViewer, RoleReviewer, RoleSupervisor, RoleAdmin} }

// byRole is the outcome expected for each role, in the order of roles:
// "ok", or the kind of refusal ("forbidden", "conflict", "invalid").
type byRole [4]string

const (
	ok        = "ok"
	forbid    = "forbidden"
	conflicts = "conflict"
	invalidIn = "invalid"
)

// actor is the reviewer of a role; the username is the role's name.
func actor(role string) Actor { return Actor{Username: role, Role: role, Address: "10.0.0.1"} }

// refusal names the kind of err as the table does.
func refusal(err error) string {
	var f *Forbidden
	switch {
	case err == nil:
		return ok
	case errors.As(err, &f):
		return forbid
	case domain.KindOf(err) == domain.KindConflict:
		return conflicts
	case domain.KindOf(err) == domain.KindInvalid:
		return invalidIn
	}
	return "unclassified: " + err.Error()
}

// decidedAt is when the pipeline decided; now is when the reviewer rules.
func decidedAt() time.Time { return time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC) }
func now() time.Time       { return time.Date(2026, 11, 5, 9, 30, 0, 0, time.UTC) }

// locked builds what the store would lock for an alert of rule on an event
// decided action. The event is an enrolment in programme (with the index
// key "k-"+eventID) unless programme is "", and a payment when
// paymentAction is set.
func locked(eventID, rule string, action domain.Action, person, matched, programme, paymentAction string) Locked {
	l := Locked{
		Alert: AlertRow{
			Alert: domain.Alert{AlertID: domain.AlertID(eventID, rule), EventID: eventID, Rule: rule, Action: action,
				Programme: programme, PersonID: person, MatchedPerson: matched, CreatedAt: decidedAt()},
			Status: AlertOpen, Revision: 2,
		},
		Decision: RevisedDecision{Decision: domain.Decision{EventID: eventID, EventType: domain.TypeEnrolment,
			Programme: programme, Action: action, Rules: []string{rule}, Reason: "as the pipeline said",
			PersonID: person, MatchedPerson: matched, DecidedAt: decidedAt(), ConfigVersion: "2026-11.1"}},
		PaymentAction: paymentAction,
	}
	if person != "" {
		l.IndexKey = "k-" + eventID
	}
	switch {
	case paymentAction != "":
		l.Decision.EventType = domain.TypeDistribution
	case programme != "":
		status := map[domain.Action]string{domain.ActionAdmit: domain.EnrolmentActive, domain.ActionHold: domain.EnrolmentHeld,
			domain.ActionBlock: domain.EnrolmentBlocked}[action]
		l.Enrolment = &Enrolment{EventID: eventID, PersonID: person, Programme: programme, Status: status,
			WalletKey: "w-" + eventID, BeneficiaryRef: "ref-" + eventID, EnrolledAt: decidedAt()}
	default:
		l.Decision.EventType = ""
	}
	return l
}

// with returns l changed by fn, leaving l as it was.
func with(l Locked, fn func(*Locked)) Locked {
	fn(&l)
	return l
}

// alerts are the alerts the tables rule on.
type alerts struct {
	enrolHold, noIndexKey, multiBlock, payHold, payBlock, fuzzyHold, possible, pairBlock, samePerson, rejected,
	escalated, assignedOut, assignedRev, closed Locked
	// Enrolments the record has moved on from since they were decided,
	// and blocks beside other enrolments of the person in the programme.
	heldReplaced, heldExited, heldOvertaken, blockActive, dupBlock, dupBlockOlder Locked
}

func (a alerts) all() []Locked {
	return []Locked{a.enrolHold, a.noIndexKey, a.multiBlock, a.payHold, a.payBlock, a.fuzzyHold, a.possible, a.pairBlock,
		a.samePerson, a.rejected, a.escalated, a.assignedOut, a.assignedRev, a.closed,
		a.heldReplaced, a.heldExited, a.heldOvertaken, a.blockActive, a.dupBlock, a.dupBlockOlder}
}

// other is another enrolment of the person in l's programme, in status,
// enrolled hours after l's (before it when negative).
func other(l Locked, eventID, status string, hours int) Enrolment {
	return Enrolment{EventID: eventID, PersonID: l.Enrolment.PersonID, Programme: l.Enrolment.Programme, Status: status,
		EnrolledAt: l.Enrolment.EnrolledAt.Add(time.Duration(hours) * time.Hour)}
}

func newAlerts() alerts {
	var a alerts
	a.enrolHold = locked("enr-hold", domain.RuleDeceasedOrExited, domain.ActionHold, "P1", "", "old_age", "")
	a.noIndexKey = with(a.enrolHold, func(l *Locked) { l.IndexKey = "" })
	a.multiBlock = locked("enr-block", domain.RuleMultiProgramme, domain.ActionBlock, "P3", "", "widow", "")
	a.payHold = locked("pay-hold", domain.RuleWalletMismatch, domain.ActionHold, "P1", "", "", string(domain.ActionHold))
	a.payBlock = locked("pay-twice", domain.RuleDoublePayment, domain.ActionBlock, "P1", "", "", string(domain.ActionBlock))
	a.fuzzyHold = locked("enr-fuzzy", domain.RuleFuzzyPerson, domain.ActionHold, "P4", "P1", "vgd", "")
	a.possible = locked("enr-possible", domain.RulePossiblePerson, domain.ActionAdmit, "P5", "P1", "vgd", "")
	a.pairBlock = locked("enr-pair", domain.RuleDupNID, domain.ActionBlock, "P6", "P1", "old_age", "")
	a.samePerson = locked("enr-self", domain.RulePossiblePerson, domain.ActionAdmit, "P1", "P1", "vgd", "")
	a.rejected = locked("ev-reused", domain.RuleInvalidEvent, domain.ActionRejected, "", "", "", "")
	a.escalated = with(a.enrolHold, func(l *Locked) { l.Alert.Status = AlertEscalated })
	a.assignedOut = with(a.enrolHold, func(l *Locked) { l.Alert.Status, l.Alert.Assignee = AlertAssigned, "someone" })
	a.assignedRev = with(a.enrolHold, func(l *Locked) { l.Alert.Status, l.Alert.Assignee = AlertAssigned, RoleReviewer })
	a.closed = with(a.enrolHold, func(l *Locked) {
		l.Alert.Status, l.Alert.Resolution, l.Alert.ResolvedBy = AlertClosed, "confirm", "someone"
	})
	a.heldReplaced = with(a.enrolHold, func(l *Locked) {
		l.Enrolment = ptr(*l.Enrolment)
		l.Enrolment.Status = domain.EnrolmentReplaced
		l.Others = []Enrolment{other(*l, "enr-override", domain.EnrolmentActive, 2)}
	})
	a.heldExited = with(a.enrolHold, func(l *Locked) {
		l.Enrolment = ptr(*l.Enrolment)
		l.Enrolment.Status = domain.EnrolmentExited
	})
	a.heldOvertaken = with(a.enrolHold, func(l *Locked) {
		l.Others = []Enrolment{other(*l, "enr-newer", domain.EnrolmentExited, 1)}
	})
	a.blockActive = with(a.multiBlock, func(l *Locked) {
		l.Enrolment = ptr(*l.Enrolment)
		l.Enrolment.Status = domain.EnrolmentActive
	})
	// A DUP_NID block beside the live enrolment it met, and an exited one
	// from before; the override replaces the live one only.
	a.dupBlock = locked("enr-dup", domain.RuleDupNID, domain.ActionBlock, "P7", "", "old_age", "")
	a.dupBlock.Others = []Enrolment{other(a.dupBlock, "enr-live", domain.EnrolmentSuspended, -1),
		other(a.dupBlock, "enr-gone", domain.EnrolmentExited, -48)}
	// A DUP_NID block on an enrolment older than one that has exited
	// since: the exited one would outrank it as the claim, so it is
	// replaced too.
	a.dupBlockOlder = locked("enr-dup-older", domain.RuleDupNID, domain.ActionBlock, "P8", "", "old_age", "")
	a.dupBlockOlder.Others = []Enrolment{other(a.dupBlockOlder, "enr-later", domain.EnrolmentExited, 3),
		other(a.dupBlockOlder, "enr-earlier", domain.EnrolmentExited, -3)}
	return a
}

func ptr[T any](v T) *T { return &v }

// The plans the table expects.

func closing(r Ruling) Plan {
	return Plan{AuditAction: "decision:" + string(r), AlertStatus: AlertClosed, Resolution: string(r)}
}

func escalating() Plan { return Plan{AuditAction: "decision:escalate", AlertStatus: AlertEscalated} }

func judged(p Plan, judgement string) Plan {
	p.Judgement = judgement
	return p
}

// admitted is p with l's decision revised to ADMIT for reason.
func admitted(p Plan, l Locked, reason string) Plan {
	d := l.Decision.Decision
	d.Action, d.Reason, d.DecidedAt = domain.ActionAdmit, reason, now()
	p.Decision = &d
	return p
}

// enrolled is a release of l's held or blocked enrolment: the enrolment is
// active and the index lifts the hold (op IndexReleaseHold) or claims the
// programme (op IndexClaim).
func enrolled(p Plan, l Locked, reason, op string) Plan {
	p = admitted(p, l, reason)
	p.EnrolmentStatus = "active"
	ix := IndexOp{Op: op, IndexKey: l.IndexKey, Programme: l.Enrolment.Programme, EventID: l.Alert.EventID}
	if op == IndexClaim {
		ix.WalletKey, ix.Ref = l.Enrolment.WalletKey, l.Enrolment.BeneficiaryRef
	}
	p.IndexOp = &ix
	return p
}

// retiring is p replacing the enrolments ids.
func retiring(p Plan, ids ...string) Plan {
	p.Retire = ids
	return p
}

// paid is a release of l's held or blocked payment.
func paid(p Plan, l Locked, reason string) Plan {
	p = admitted(p, l, reason)
	p.PaymentAction = string(domain.ActionAdmit)
	return p
}

const (
	released   = "released on review"
	overridden = "block overridden on review by a supervisor"
)

func intp(n int) *int { return &n }

// TestPlanRuling is the review policy, ruling by ruling, role by role and
// alert by alert: what each ruling changes, or the kind of its refusal.
func TestPlanRuling(t *testing.T) {
	a := newAlerts()
	all := byRole{forbid, ok, ok, ok}
	supervisors := byRole{forbid, forbid, ok, ok}
	noPair := byRole{forbid, invalidIn, invalidIn, invalidIn}
	cases := []struct {
		name     string
		l        Locked
		revision *int
		ruling   Ruling
		want     byRole
		plan     Plan // for the roles that may
	}{
		// A held enrolment: a reviewer releases it, and the index lifts
		// the hold.
		{"held enrolment", a.enrolHold, nil, RulingConfirm, all, closing(RulingConfirm)},
		{"held enrolment", a.enrolHold, nil, RulingRelease, all, enrolled(closing(RulingRelease), a.enrolHold, released, IndexReleaseHold)},
		{"held enrolment", a.enrolHold, nil, RulingDismiss, all, enrolled(closing(RulingRelease), a.enrolHold, released, IndexReleaseHold)},
		{"held enrolment", a.enrolHold, nil, RulingEscalate, all, escalating()},
		{"held enrolment", a.enrolHold, nil, RulingSame, noPair, Plan{}},
		{"held enrolment", a.enrolHold, nil, RulingNotSame, noPair, Plan{}},
		{"held enrolment of a person the index does not know", a.noIndexKey, nil, RulingRelease, all,
			func() Plan {
				p := enrolled(closing(RulingRelease), a.noIndexKey, released, IndexReleaseHold)
				p.IndexOp = nil
				return p
			}()},

		// A MULTI_PROGRAMME block: only a supervisor overrides it, and the
		// index claims the programme.
		{"MULTI_PROGRAMME block", a.multiBlock, nil, RulingConfirm, all, closing(RulingConfirm)},
		{"MULTI_PROGRAMME block", a.multiBlock, nil, RulingRelease, supervisors, enrolled(closing(RulingRelease), a.multiBlock, overridden, IndexClaim)},
		{"MULTI_PROGRAMME block", a.multiBlock, nil, RulingDismiss, supervisors, enrolled(closing(RulingRelease), a.multiBlock, overridden, IndexClaim)},
		{"MULTI_PROGRAMME block", a.multiBlock, nil, RulingEscalate, all, escalating()},
		{"MULTI_PROGRAMME block", a.multiBlock, nil, RulingSame, noPair, Plan{}},
		{"MULTI_PROGRAMME block", a.multiBlock, nil, RulingNotSame, noPair, Plan{}},

		// Payments: a hold is released by a reviewer, a block by a
		// supervisor; no index change either way.
		{"payment hold", a.payHold, nil, RulingConfirm, all, closing(RulingConfirm)},
		{"payment hold", a.payHold, nil, RulingRelease, all, paid(closing(RulingRelease), a.payHold, released)},
		{"payment hold", a.payHold, nil, RulingDismiss, all, paid(closing(RulingRelease), a.payHold, released)},
		{"payment hold", a.payHold, nil, RulingEscalate, all, escalating()},
		{"payment hold", a.payHold, nil, RulingSame, noPair, Plan{}},
		{"payment hold", a.payHold, nil, RulingNotSame, noPair, Plan{}},
		{"payment block", a.payBlock, nil, RulingConfirm, all, closing(RulingConfirm)},
		{"payment block", a.payBlock, nil, RulingRelease, supervisors, paid(closing(RulingRelease), a.payBlock, overridden)},
		{"payment block", a.payBlock, nil, RulingEscalate, all, escalating()},

		// A fuzzy hold compares two persons: "same" keeps the hold and
		// stores the judgement; "not the same" stores it and releases.
		{"fuzzy hold", a.fuzzyHold, nil, RulingConfirm, all, closing(RulingConfirm)},
		{"fuzzy hold", a.fuzzyHold, nil, RulingRelease, all, enrolled(closing(RulingRelease), a.fuzzyHold, released, IndexReleaseHold)},
		{"fuzzy hold", a.fuzzyHold, nil, RulingEscalate, all, escalating()},
		{"fuzzy hold", a.fuzzyHold, nil, RulingSame, all, judged(closing(RulingSame), domain.JudgementSame)},
		{"fuzzy hold", a.fuzzyHold, nil, RulingNotSame, all,
			enrolled(judged(closing(RulingNotSame), domain.JudgementNotSame), a.fuzzyHold, released, IndexReleaseHold)},

		// An admitted event with a a.possible match: nothing to revise.
		{"possible person, admitted", a.possible, nil, RulingConfirm, all, closing(RulingConfirm)},
		{"possible person, admitted", a.possible, nil, RulingRelease, all, closing(RulingRelease)},
		{"possible person, admitted", a.possible, nil, RulingDismiss, all, closing(RulingRelease)},
		{"possible person, admitted", a.possible, nil, RulingEscalate, all, escalating()},
		{"possible person, admitted", a.possible, nil, RulingSame, all, judged(closing(RulingSame), domain.JudgementSame)},
		{"possible person, admitted", a.possible, nil, RulingNotSame, all, judged(closing(RulingNotSame), domain.JudgementNotSame)},
		{"alert naming one person twice", a.samePerson, nil, RulingSame, noPair, Plan{}},
		{"alert naming one person twice", a.samePerson, nil, RulingNotSame, noPair, Plan{}},

		// "Not the same person" on a block is an override: supervisors
		// only.
		{"block comparing two persons", a.pairBlock, nil, RulingSame, all, judged(closing(RulingSame), domain.JudgementSame)},
		{"block comparing two persons", a.pairBlock, nil, RulingNotSame, supervisors,
			enrolled(judged(closing(RulingNotSame), domain.JudgementNotSame), a.pairBlock, overridden, IndexClaim)},

		// A a.rejected event cannot be released by anyone.
		{"rejected event", a.rejected, nil, RulingConfirm, all, closing(RulingConfirm)},
		{"rejected event", a.rejected, nil, RulingRelease, byRole{forbid, conflicts, conflicts, conflicts}, Plan{}},
		{"rejected event", a.rejected, nil, RulingDismiss, byRole{forbid, conflicts, conflicts, conflicts}, Plan{}},
		{"rejected event", a.rejected, nil, RulingEscalate, all, escalating()},
		{"rejected event", a.rejected, nil, RulingSame, noPair, Plan{}},

		// An a.escalated alert is a supervisor's, and is not a.escalated twice.
		{"escalated", a.escalated, nil, RulingConfirm, supervisors, closing(RulingConfirm)},
		{"escalated", a.escalated, nil, RulingRelease, supervisors, enrolled(closing(RulingRelease), a.escalated, released, IndexReleaseHold)},
		{"escalated", a.escalated, nil, RulingDismiss, supervisors, enrolled(closing(RulingRelease), a.escalated, released, IndexReleaseHold)},
		{"escalated", a.escalated, nil, RulingEscalate, byRole{forbid, forbid, conflicts, conflicts}, Plan{}},
		{"escalated", a.escalated, nil, RulingSame, byRole{forbid, forbid, invalidIn, invalidIn}, Plan{}},
		{"escalated", a.escalated, nil, RulingNotSame, byRole{forbid, forbid, invalidIn, invalidIn}, Plan{}},

		// An assigned alert is its assignee's, or a supervisor's.
		{"assigned to someone else", a.assignedOut, nil, RulingConfirm, supervisors, closing(RulingConfirm)},
		{"assigned to someone else", a.assignedOut, nil, RulingRelease, supervisors, enrolled(closing(RulingRelease), a.assignedOut, released, IndexReleaseHold)},
		{"assigned to someone else", a.assignedOut, nil, RulingEscalate, supervisors, escalating()},
		{"assigned to the reviewer", a.assignedRev, nil, RulingConfirm, all, closing(RulingConfirm)},
		{"assigned to the reviewer", a.assignedRev, nil, RulingRelease, all, enrolled(closing(RulingRelease), a.assignedRev, released, IndexReleaseHold)},
		{"assigned to the reviewer", a.assignedRev, nil, RulingEscalate, all, escalating()},

		// A a.closed alert is ruled on once.
		{"closed", a.closed, nil, RulingConfirm, byRole{forbid, conflicts, conflicts, conflicts}, Plan{}},
		{"closed", a.closed, nil, RulingRelease, byRole{forbid, conflicts, conflicts, conflicts}, Plan{}},
		{"closed", a.closed, nil, RulingDismiss, byRole{forbid, conflicts, conflicts, conflicts}, Plan{}},
		{"closed", a.closed, nil, RulingEscalate, byRole{forbid, conflicts, conflicts, conflicts}, Plan{}},
		{"closed", a.closed, nil, RulingSame, byRole{forbid, conflicts, conflicts, conflicts}, Plan{}},
		{"closed", a.closed, nil, RulingNotSame, byRole{forbid, conflicts, conflicts, conflicts}, Plan{}},

		// The revision the reviewer saw must be the alert's.
		{"stale revision", a.enrolHold, intp(1), RulingConfirm, byRole{forbid, conflicts, conflicts, conflicts}, Plan{}},
		{"stale revision", a.enrolHold, intp(1), RulingRelease, byRole{forbid, conflicts, conflicts, conflicts}, Plan{}},
		{"stale revision", a.multiBlock, intp(3), RulingRelease, byRole{forbid, conflicts, conflicts, conflicts}, Plan{}},
		{"stale revision", a.escalated, intp(0), RulingEscalate, byRole{forbid, conflicts, conflicts, conflicts}, Plan{}},
		{"current revision", a.enrolHold, intp(2), RulingRelease, all, enrolled(closing(RulingRelease), a.enrolHold, released, IndexReleaseHold)},

		// A held enrolment the record has moved on from is not released:
		// replaced by an override, exited, or overtaken by a later
		// enrolment that claims the programme. The alert is confirmed.
		{"held enrolment replaced since", a.heldReplaced, nil, RulingRelease, byRole{forbid, conflicts, conflicts, conflicts}, Plan{}},
		{"held enrolment replaced since", a.heldReplaced, nil, RulingConfirm, all, closing(RulingConfirm)},
		{"held enrolment exited since", a.heldExited, nil, RulingRelease, byRole{forbid, conflicts, conflicts, conflicts}, Plan{}},
		{"held enrolment overtaken", a.heldOvertaken, nil, RulingRelease, byRole{forbid, conflicts, conflicts, conflicts}, Plan{}},
		{"held enrolment overtaken", a.heldOvertaken, nil, RulingDismiss, byRole{forbid, conflicts, conflicts, conflicts}, Plan{}},
		{"blocked enrolment no longer blocked", a.blockActive, nil, RulingRelease, byRole{forbid, forbid, conflicts, conflicts}, Plan{}},

		// An override replaces: the live enrolment of the person in the
		// programme, and any that would outrank the override as the
		// claim, are retired with it.
		{"DUP_NID block beside a live enrolment", a.dupBlock, nil, RulingRelease, supervisors,
			retiring(enrolled(closing(RulingRelease), a.dupBlock, overridden, IndexClaim), "enr-live")},
		{"DUP_NID block beside a live enrolment", a.dupBlock, nil, RulingConfirm, all, closing(RulingConfirm)},
		{"DUP_NID block older than an exited enrolment", a.dupBlockOlder, nil, RulingRelease, supervisors,
			retiring(enrolled(closing(RulingRelease), a.dupBlockOlder, overridden, IndexClaim), "enr-later")},

		// A ruling the policy does not know.
		{"unknown ruling", a.enrolHold, nil, Ruling("approve"), noPair, Plan{}},
	}
	for _, tc := range cases {
		for i, role := range roles() {
			t.Run(tc.name+"/"+string(tc.ruling)+"/"+role, func(t *testing.T) {
				before := mustJSON(t, tc.l)
				l := tc.l
				p, err := PlanRuling(&l, actor(role), tc.ruling, tc.revision, now())
				if got := refusal(err); got != tc.want[i] {
					t.Fatalf("outcome %s (%v), want %s", got, err, tc.want[i])
				}
				want := Plan{}
				if err == nil {
					want = tc.plan
				}
				if !reflect.DeepEqual(p, want) {
					t.Errorf("plan\n got %s\nwant %s", mustJSON(t, p), mustJSON(t, want))
				}
				if after := mustJSON(t, l); after != before {
					t.Errorf("the locked alert changed under the policy:\n%s\n%s", before, after)
				}
			})
		}
	}
}

// TestPlanRulingRefusals: a refusal tells the reviewer why, in words.
func TestPlanRulingRefusals(t *testing.T) {
	a := newAlerts()
	cases := []struct {
		l        Locked
		role     string
		ruling   Ruling
		revision *int
		want     string
	}{
		{a.enrolHold, RoleViewer, RulingConfirm, nil, "a viewer may not rule on alerts"},
		{a.multiBlock, RoleReviewer, RulingRelease, nil, "only a supervisor may override a BLOCK"},
		{a.escalated, RoleReviewer, RulingConfirm, nil, "an escalated alert is ruled on by a supervisor"},
		{a.assignedOut, RoleReviewer, RulingConfirm, nil, "the alert is assigned to someone"},
		{a.closed, RoleSupervisor, RulingConfirm, nil, "review: the alert was already ruled on (confirm by someone)"},
		{a.escalated, RoleSupervisor, RulingEscalate, nil, "review: the alert is already escalated"},
		{a.enrolHold, RoleReviewer, RulingConfirm, intp(7), "review: the alert is at revision 2, not 7: someone acted on it; reload it"},
		{a.rejected, RoleReviewer, RulingRelease, nil, "review: a rejected event cannot be released; the source must send it again, corrected"},
		{a.enrolHold, RoleReviewer, RulingSame, nil, "review: decision: this alert compares no two persons; confirm or release it instead"},
		{a.heldReplaced, RoleReviewer, RulingRelease, nil,
			"review: the enrolment was replaced by another enrolment of the person in old_age (enr-override) on a supervisor's override; it can no longer be released: confirm the alert"},
		{a.heldExited, RoleReviewer, RulingRelease, nil, "review: the enrolment is exited now, no longer held; it can no longer be released: confirm the alert"},
		{a.heldOvertaken, RoleReviewer, RulingRelease, nil,
			"review: a later enrolment of the person in old_age (enr-newer, exited) holds the programme's claim; this one can no longer be released: confirm the alert"},
		{a.blockActive, RoleSupervisor, RulingRelease, nil, "review: the enrolment is active now, no longer blocked; there is no block to override"},
	}
	for _, tc := range cases {
		l := tc.l
		_, err := PlanRuling(&l, actor(tc.role), tc.ruling, tc.revision, now())
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s on %s as %s: %v, want %q", tc.ruling, tc.l.Alert.AlertID, tc.role, err, tc.want)
		}
	}
}

// TestAllowedRulings pins what the case page offers, in the order it
// offers it.
func TestAllowedRulings(t *testing.T) {
	a := newAlerts()
	cases := []struct {
		name string
		l    Locked
		role string
		want []Ruling
	}{
		{"viewer", a.enrolHold, RoleViewer, nil},
		{"held enrolment", a.enrolHold, RoleReviewer, []Ruling{RulingRelease, RulingConfirm, RulingEscalate}},
		{"block, reviewer", a.multiBlock, RoleReviewer, []Ruling{RulingConfirm, RulingEscalate}},
		{"block, supervisor", a.multiBlock, RoleSupervisor, []Ruling{RulingRelease, RulingConfirm, RulingEscalate}},
		{"fuzzy hold", a.fuzzyHold, RoleReviewer, []Ruling{RulingRelease, RulingConfirm, RulingEscalate, RulingSame, RulingNotSame}},
		{"block comparing two persons, reviewer", a.pairBlock, RoleReviewer, []Ruling{RulingConfirm, RulingEscalate, RulingSame}},
		{"rejected", a.rejected, RoleAdmin, []Ruling{RulingConfirm, RulingEscalate}},
		{"escalated, reviewer", a.escalated, RoleReviewer, nil},
		{"escalated, supervisor", a.escalated, RoleSupervisor, []Ruling{RulingRelease, RulingConfirm}},
		{"assigned elsewhere, reviewer", a.assignedOut, RoleReviewer, nil},
		{"assigned to the reviewer", a.assignedRev, RoleReviewer, []Ruling{RulingRelease, RulingConfirm, RulingEscalate}},
		{"closed", a.closed, RoleAdmin, nil},
		{"held enrolment replaced since", a.heldReplaced, RoleReviewer, []Ruling{RulingConfirm, RulingEscalate}},
		{"held enrolment overtaken", a.heldOvertaken, RoleSupervisor, []Ruling{RulingConfirm, RulingEscalate}},
		{"DUP_NID block, supervisor", a.dupBlock, RoleSupervisor, []Ruling{RulingRelease, RulingConfirm, RulingEscalate}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := caseOf(tc.l)
			if got := AllowedRulings(c, actor(tc.role)); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestAllowedRulingsArePlanned: the case page offers a ruling exactly when
// the policy would accept it, for every alert, role and ruling but dismiss
// (another name for release, never offered).
func TestAllowedRulingsArePlanned(t *testing.T) {
	for _, l := range newAlerts().all() {
		for _, role := range roles() {
			offered := AllowedRulings(caseOf(l), actor(role))
			for _, r := range Rulings() {
				if r == RulingDismiss {
					continue
				}
				lc := l
				_, err := PlanRuling(&lc, actor(role), r, nil, now())
				if slices.Contains(offered, r) != (err == nil) {
					t.Errorf("%s as %s, %s: offered %v, policy says %v", l.Alert.AlertID, role, r, slices.Contains(offered, r), err)
				}
			}
		}
	}
}

// caseOf is the case the store would assemble for the alert l locks.
func caseOf(l Locked) *Case {
	return &Case{Alert: l.Alert, Decision: l.Decision, Enrolment: l.Enrolment, Others: l.Others}
}

// TestPlanAssignment: reviewers take alerts, supervisors give them; a
// a.closed alert is not assigned, nor one another reviewer holds.
func TestPlanAssignment(t *testing.T) {
	a := newAlerts()
	to := func(assignee, status string) Plan {
		return Plan{AuditAction: "assign", AlertStatus: status, Assignee: &assignee}
	}
	cases := []struct {
		name     string
		l        Locked
		assignee string // "" is the actor
		want     byRole
		status   string
	}{
		{"take an open alert", a.enrolHold, "", byRole{forbid, ok, ok, ok}, AlertAssigned},
		{"give an open alert", a.enrolHold, "reviewer2", byRole{forbid, forbid, ok, ok}, AlertAssigned},
		{"take an escalated alert: it stays escalated", a.escalated, "", byRole{forbid, ok, ok, ok}, AlertEscalated},
		{"take an alert another holds", a.assignedOut, "", byRole{forbid, conflicts, ok, ok}, AlertAssigned},
		{"give an alert another holds", a.assignedOut, "reviewer2", byRole{forbid, forbid, ok, ok}, AlertAssigned},
		{"take one's own alert again", a.assignedRev, "", byRole{forbid, ok, ok, ok}, AlertAssigned},
		{"take a closed alert", a.closed, "", byRole{forbid, conflicts, conflicts, conflicts}, ""},
	}
	for _, tc := range cases {
		for i, role := range roles() {
			t.Run(tc.name+"/"+role, func(t *testing.T) {
				assignee := tc.assignee
				if assignee == "" {
					assignee = role
				}
				l := tc.l
				p, err := PlanAssignment(&l, actor(role), assignee)
				if got := refusal(err); got != tc.want[i] {
					t.Fatalf("outcome %s (%v), want %s", got, err, tc.want[i])
				}
				want := Plan{}
				if err == nil {
					want = to(assignee, tc.status)
				}
				if !reflect.DeepEqual(p, want) {
					t.Errorf("plan\n got %s\nwant %s", mustJSON(t, p), mustJSON(t, want))
				}
			})
		}
	}
}

func TestAssignable(t *testing.T) {
	cases := []struct {
		u    User
		want bool
	}{
		{User{Role: RoleViewer}, false},
		{User{Role: RoleReviewer}, true},
		{User{Role: RoleSupervisor}, true},
		{User{Role: RoleAdmin}, true},
		{User{Role: RoleReviewer, Disabled: true}, false},
		{User{Role: "auditor"}, false},
	}
	for _, tc := range cases {
		if got := Assignable(tc.u); got != tc.want {
			t.Errorf("Assignable(%+v) = %v", tc.u, got)
		}
	}
}

func TestRulings(t *testing.T) {
	for _, r := range Rulings() {
		if !r.Valid() {
			t.Errorf("%s is listed but not valid", r)
		}
	}
	for _, r := range []Ruling{"", "approve", "Release"} {
		if r.Valid() {
			t.Errorf("%q is valid", r)
		}
	}
	if RulingDismiss.Recorded() != RulingRelease || RulingNotSame.Recorded() != RulingNotSame {
		t.Errorf("dismiss is recorded as %s, not_same_person as %s", RulingDismiss.Recorded(), RulingNotSame.Recorded())
	}
}

func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
