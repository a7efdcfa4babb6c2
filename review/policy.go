package review

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ekjon/ekjon/domain"
)

// Ruling is what a reviewer does to an alert. The JSON API and the forms
// carry it as the "decision" field.
type Ruling string

// The rulings.
const (
	RulingConfirm  Ruling = "confirm"         // the block or hold stands
	RulingRelease  Ruling = "release"         // a held enrolment or payment is admitted; a block is overridden
	RulingDismiss  Ruling = "dismiss"         // the same as release, and recorded as one
	RulingEscalate Ruling = "escalate"        // a supervisor rules
	RulingSame     Ruling = "same_person"     // the two records are one person: the hold stands
	RulingNotSame  Ruling = "not_same_person" // they are two people: the held record is admitted
)

// Rulings lists the rulings in the order forms offer them.
func Rulings() []Ruling {
	return []Ruling{RulingRelease, RulingConfirm, RulingEscalate, RulingSame, RulingNotSame, RulingDismiss}
}

// Valid reports whether r is one of the rulings.
func (r Ruling) Valid() bool {
	switch r {
	case RulingConfirm, RulingRelease, RulingDismiss, RulingEscalate, RulingSame, RulingNotSame:
		return true
	}
	return false
}

// Recorded is the ruling as the record and the metrics name it: a dismiss
// is a release.
func (r Ruling) Recorded() Ruling {
	if r == RulingDismiss {
		return RulingRelease
	}
	return r
}

// Forbidden is a refusal because of who acts rather than of the alert's
// state: the role may not, or the alert is in another reviewer's hands. The
// API answers it with 403 and Reason.
type Forbidden struct{ Reason string }

func (e *Forbidden) Error() string { return e.Reason }

func forbidden(reason string) error { return &Forbidden{Reason: reason} }

// conflict is a refusal because of the alert's state; the API shows its
// message (domain.KindConflict with Op "review").
func conflict(msg string) error {
	return &domain.Error{Kind: domain.KindConflict, Op: "review", Err: errors.New(msg)}
}

func invalid(field, reason string) error {
	return &domain.Error{Kind: domain.KindInvalid, Op: "review", Fields: []domain.FieldError{{Field: field, Reason: reason}}}
}

// MayRule refuses who when their role may not rule on alerts at all. The
// service asks before it reads the alert; PlanRuling asks again.
func MayRule(who Actor) error {
	if !AtLeast(who.Role, RoleReviewer) {
		return forbidden("a viewer may not rule on alerts")
	}
	return nil
}

// comparesPersons reports whether an alert names two different persons, so
// that a reviewer can judge whether they are one.
func comparesPersons(a AlertRow) bool {
	return a.MatchedPerson != "" && a.PersonID != "" && a.MatchedPerson != a.PersonID
}

// PlanRuling is the review policy: what ruling r by who changes, given the
// alert and decision under lock, or why it is refused. revision, if not
// nil, is the alert revision the reviewer saw; now stamps a revised
// decision. Refusals are *Forbidden (the role may not), domain.KindConflict
// (the alert's state forbids it: stale revision, already closed or
// escalated, a rejected event) or domain.KindInvalid (a judgement on an
// alert that compares no two persons).
func PlanRuling(l *Locked, who Actor, r Ruling, revision *int, now time.Time) (Plan, error) {
	if err := MayRule(who); err != nil {
		return Plan{}, err
	}
	r = r.Recorded()
	if !r.Valid() {
		return Plan{}, invalid("decision", "is not a ruling")
	}
	a, d := l.Alert, l.Decision.Decision
	if revision != nil && *revision != a.Revision {
		return Plan{}, conflict(fmt.Sprintf("the alert is at revision %d, not %d: someone acted on it; reload it", a.Revision, *revision))
	}
	if a.Status == AlertClosed {
		return Plan{}, conflict(fmt.Sprintf("the alert was already ruled on (%s by %s)", a.Resolution, a.ResolvedBy))
	}
	if a.Status == AlertEscalated && !AtLeast(who.Role, RoleSupervisor) {
		return Plan{}, forbidden("an escalated alert is ruled on by a supervisor")
	}
	if a.Status == AlertAssigned && a.Assignee != who.Username && !AtLeast(who.Role, RoleSupervisor) {
		return Plan{}, forbidden("the alert is assigned to " + a.Assignee)
	}
	p := Plan{AuditAction: "decision:" + string(r), AlertStatus: AlertClosed, Resolution: string(r)}
	switch r {
	case RulingEscalate:
		if a.Status == AlertEscalated {
			return Plan{}, conflict("the alert is already escalated")
		}
		p.AlertStatus, p.Resolution = AlertEscalated, ""
		return p, nil
	case RulingConfirm:
		return p, nil
	case RulingSame, RulingNotSame:
		if !comparesPersons(a) {
			return Plan{}, invalid("decision", "this alert compares no two persons; confirm or release it instead")
		}
		if r == RulingSame {
			p.Judgement = domain.JudgementSame
			return p, nil
		}
		p.Judgement = domain.JudgementNotSame
	}
	// A release, or "not the same person", which releases what the match
	// held.
	switch d.Action {
	case domain.ActionAdmit:
		return p, nil // an alert on an admitted event: nothing to revise
	case domain.ActionRejected:
		return Plan{}, conflict("a rejected event cannot be released; the source must send it again, corrected")
	case domain.ActionBlock:
		if !AtLeast(who.Role, RoleSupervisor) {
			return Plan{}, forbidden("only a supervisor may override a BLOCK")
		}
	}
	if l.Enrolment != nil {
		if err := releasable(d.Action, l.Enrolment, l.Others); err != nil {
			return Plan{}, err
		}
	}
	nd := d
	nd.Action, nd.DecidedAt = domain.ActionAdmit, now
	if d.Action == domain.ActionBlock {
		nd.Reason = "block overridden on review by a supervisor"
	} else {
		nd.Reason = "released on review"
	}
	p.Decision = &nd
	switch {
	case l.Enrolment != nil:
		p.EnrolmentStatus = domain.EnrolmentActive
		op := IndexOp{Op: IndexReleaseHold, IndexKey: l.IndexKey, Programme: l.Enrolment.Programme, EventID: d.EventID}
		if d.Action == domain.ActionBlock {
			// An override replaces: the person's claim on the programme
			// moves to this enrolment, in the index (the claim op) and in
			// the record (the enrolments it outranks are retired).
			op.Op, op.WalletKey, op.Ref = IndexClaim, l.Enrolment.WalletKey, l.Enrolment.BeneficiaryRef
			p.Retire = replacedBy(l.Enrolment, l.Others)
		}
		if l.IndexKey != "" {
			p.IndexOp = &op
		}
	case l.PaymentAction != "":
		p.PaymentAction = string(domain.ActionAdmit)
	}
	return p, nil
}

// releasable refuses a release of enrolment e, decided action, when the
// record has moved on since the decision: a held enrolment that is no
// longer held or no longer the person's claim on the programme (replaced by
// an override, or overtaken by a later enrolment), a blocked one no longer
// blocked. Releasing it would make it active in the record while the index,
// whose release only lifts the hold of the enrolment that still holds the
// claim, ignores it; and it would publish an admission no payment can
// follow. The reviewer confirms the alert instead. others are the person's
// other enrolments in the programme that may be its claim, newest first.
func releasable(action domain.Action, e *Enrolment, others []Enrolment) error {
	const confirm = "; it can no longer be released: confirm the alert"
	switch action {
	case domain.ActionHold:
		switch {
		case e.Status == domain.EnrolmentReplaced:
			by := ""
			if len(others) > 0 {
				by = " (" + others[0].EventID + ")"
			}
			return conflict(fmt.Sprintf("the enrolment was replaced by another enrolment of the person in %s%s on a supervisor's override%s",
				e.Programme, by, confirm))
		case e.Status != domain.EnrolmentHeld:
			return conflict(fmt.Sprintf("the enrolment is %s now, no longer held%s", e.Status, confirm))
		}
		for _, o := range others {
			if ClaimOrder(o, *e) < 0 {
				return conflict(fmt.Sprintf("a later enrolment of the person in %s (%s, %s) holds the programme's claim; this one can no longer be released: confirm the alert",
					e.Programme, o.EventID, o.Status))
			}
		}
	case domain.ActionBlock:
		if e.Status != domain.EnrolmentBlocked {
			return conflict(fmt.Sprintf("the enrolment is %s now, no longer blocked; there is no block to override", e.Status))
		}
	}
	return nil
}

// replacedBy returns the event ids of the enrolments an override of e
// retires: the person's live enrolment in the programme, and any that
// would outrank e as the claim, so that e alone is the claim, as the
// index's claim op makes it.
func replacedBy(e *Enrolment, others []Enrolment) []string {
	var out []string
	for _, o := range others {
		if domain.Live(o.Status) || ClaimOrder(o, *e) < 0 {
			out = append(out, o.EventID)
		}
	}
	return out
}

// Replaces returns the event ids of the enrolments that overriding the
// case's block would replace (see Plan.Retire), so that the supervisor
// sees them before ruling; nil when the case is no block of an enrolment.
func Replaces(c *Case) []string {
	if c.Enrolment == nil || c.Decision.Action != domain.ActionBlock {
		return nil
	}
	return replacedBy(c.Enrolment, c.Others)
}

// ClaimOrder compares two enrolments of one person and programme as the
// record ranks them for its claim there: the latest, by enrolment time
// and then event id, comes first (negative when a comes before b). Of
// enrolments sorted with it, the first that is neither blocked nor
// replaced is the claim.
func ClaimOrder(a, b Enrolment) int {
	if c := b.EnrolledAt.Compare(a.EnrolledAt); c != 0 {
		return c
	}
	return strings.Compare(b.EventID, a.EventID)
}

// AllowedRulings is what the case page offers who: the rulings PlanRuling
// would accept on the case as it stands (dismiss, another name for
// release, is not offered).
func AllowedRulings(c *Case, who Actor) []Ruling {
	a := c.Alert
	if !AtLeast(who.Role, RoleReviewer) || a.Status == AlertClosed {
		return nil
	}
	sup := AtLeast(who.Role, RoleSupervisor)
	if (a.Status == AlertEscalated || a.Status == AlertAssigned && a.Assignee != who.Username) && !sup {
		return nil
	}
	var out []Ruling
	canRelease := c.Decision.Action != domain.ActionRejected && (c.Decision.Action != domain.ActionBlock || sup) &&
		(c.Enrolment == nil || releasable(c.Decision.Action, c.Enrolment, c.Others) == nil)
	if canRelease {
		out = append(out, RulingRelease)
	}
	out = append(out, RulingConfirm)
	if a.Status != AlertEscalated {
		out = append(out, RulingEscalate)
	}
	if comparesPersons(a) {
		out = append(out, RulingSame)
		if canRelease {
			out = append(out, RulingNotSame)
		}
	}
	return out
}

// MayAssign refuses who putting an alert in assignee's hands when the role
// may not: reviewers take alerts for themselves, supervisors assign to
// anyone. The service asks before it reads the alert; PlanAssignment asks
// again.
func MayAssign(who Actor, assignee string) error {
	if !AtLeast(who.Role, RoleReviewer) {
		return forbidden("a viewer may not take alerts")
	}
	if assignee != who.Username && !AtLeast(who.Role, RoleSupervisor) {
		return forbidden("only a supervisor assigns alerts to others")
	}
	return nil
}

// Assignable reports whether alerts may be put in u's hands: an enabled
// reviewer or above.
func Assignable(u User) bool { return !u.Disabled && AtLeast(u.Role, RoleReviewer) }

// PlanAssignment is the policy of assigning an alert under lock: a closed
// alert is not assigned, nor one in another reviewer's hands unless a
// supervisor reassigns it; an escalated alert stays escalated.
func PlanAssignment(l *Locked, who Actor, assignee string) (Plan, error) {
	if err := MayAssign(who, assignee); err != nil {
		return Plan{}, err
	}
	switch {
	case l.Alert.Status == AlertClosed:
		return Plan{}, conflict("the alert is already ruled on")
	case l.Alert.Assignee != "" && l.Alert.Assignee != who.Username && !AtLeast(who.Role, RoleSupervisor):
		return Plan{}, conflict("the alert is already assigned to " + l.Alert.Assignee)
	}
	status := AlertAssigned
	if l.Alert.Status == AlertEscalated {
		status = AlertEscalated
	}
	return Plan{AuditAction: "assign", AlertStatus: status, Assignee: &assignee}, nil
}
