package review

import "github.com/ekjon/ekjon/domain"

// Locked is what a review action sees of an alert while the store holds its
// lock: the alert, the event's decision and the records the action may
// change.
type Locked struct {
	Alert    AlertRow
	Decision RevisedDecision
	// IndexKey names the decision's person in the matching index; "" when
	// the person has none.
	IndexKey string
	// Enrolment is the event's enrolment, when the event is one.
	Enrolment *Enrolment
	// Others are the person's other enrolments in the enrolment's
	// programme that may be its claim (neither blocked nor replaced),
	// newest first, locked with it: what an override replaces, and what
	// tells whether a held enrolment is still the claim.
	Others []Enrolment
	// PaymentAction is the recorded action of the event's payment, when the
	// event is one.
	PaymentAction string
}

// Plan is what a review action changes. Zero fields change nothing. The
// policy (PlanRuling, PlanAssignment) makes it from a Locked; the store
// applies it in the transaction that holds the lock.
type Plan struct {
	// AuditAction names the action in the audit trail ("decision:release").
	AuditAction string
	// AlertStatus is the alert's new status; "" keeps it.
	AlertStatus string
	// Assignee, when not nil, becomes the alert's assignee ("" clears it).
	Assignee *string
	// Resolution is recorded when the alert is closed.
	Resolution string
	// Decision, when not nil, replaces the event's decision; it is written
	// to the outbox in the same transaction, to be published.
	Decision *domain.Decision
	// EnrolmentStatus is the event's enrolment's new status; "" keeps it.
	EnrolmentStatus string
	// Retire are the event ids of enrolments an override replaces: each
	// becomes domain.EnrolmentReplaced, before the event's enrolment takes
	// its new status, with an audit entry of its own.
	Retire []string
	// PaymentAction is the event's payment's new action; "" keeps it.
	PaymentAction string
	// IndexOp is relayed with the decision.
	IndexOp *IndexOp
	// Judgement, domain.JudgementSame or domain.JudgementNotSame, is stored
	// for the alert's person and matched person.
	Judgement string
}

// IndexOp is a change the matching index must make when a revised decision
// is published. The relay applies it before publishing, and it is
// idempotent, so relaying twice is harmless.
type IndexOp struct {
	// Op is IndexReleaseHold or IndexClaim.
	Op        string `json:"op"`
	IndexKey  string `json:"index_key"`
	Programme string `json:"programme"`
	EventID   string `json:"event_id"`
	WalletKey string `json:"wallet_key,omitempty"`
	// Ref is the claiming enrolment's beneficiary ref, which the index
	// maps to the person on a claim as it does for an enrolment admitted
	// by the pipeline.
	Ref string `json:"beneficiary_ref,omitempty"`
}

// The index operations a review can ask for.
const (
	// IndexReleaseHold lifts the hold on a held enrolment that still holds
	// its claim, so the person's payments pass.
	IndexReleaseHold = "release_hold"
	// IndexClaim makes the enrolment the programme's claim, in place of
	// whatever claim the person had there, for a supervisor's override of
	// a block, and maps its beneficiary ref to the person.
	IndexClaim = "claim"
)
