package domain

import "time"

// Action is what ekjon says about one event.
type Action string

// The four actions. HOLD admits to nothing until a reviewer decides.
const (
	ActionAdmit    Action = "ADMIT"
	ActionBlock    Action = "BLOCK"
	ActionHold     Action = "HOLD"
	ActionRejected Action = "REJECTED"
)

// Rule codes: the reasons a human can check.
const (
	RuleDupNID           = "DUP_NID"
	RuleMultiProgramme   = "MULTI_PROGRAMME"
	RuleFuzzyPerson      = "FUZZY_PERSON"
	RulePossiblePerson   = "POSSIBLE_PERSON"
	RuleSharedContact    = "SHARED_CONTACT"
	RuleInvalidID        = "INVALID_ID"
	RuleInvalidEvent     = "INVALID_EVENT"
	RuleUnknownPayee     = "UNKNOWN_PAYEE"
	RuleDoublePayment    = "DOUBLE_PAYMENT"
	RuleDeceasedOrExited = "DECEASED_OR_EXITED"
	RuleWalletMismatch   = "WALLET_MISMATCH"
	RuleRecentWallet     = "RECENT_WALLET_CHANGE"
	RuleDistributorVel   = "DISTRIBUTOR_VELOCITY"
	// RuleInvalidCards alerts on a distributor, or a device, whose scans
	// were rejected INVALID_CARD more than a few times in an hour:
	// forged, altered or foreign QR codes tried one after another.
	RuleInvalidCards = "DISTRIBUTOR_INVALID_CARDS"
	// RuleDistributorFar alerts on aid handed out outside the upazila the
	// beneficiary is enrolled in.
	RuleDistributorFar = "DISTRIBUTOR_FAR"
	// RuleAmountBelow alerts on a payment of less than the programme's
	// entitlement: the classic skim.
	RuleAmountBelow = "AMOUNT_BELOW_ENTITLEMENT"
	// RulePhantomDistribution alerts on aid recorded as handed out by a
	// distributor to whom the cycle allotted nothing, or to a beneficiary
	// the allocation does not list.
	RulePhantomDistribution = "PHANTOM_DISTRIBUTION"
	// RuleOverDistribution alerts when a distributor reports more hand-outs
	// in a cycle than were allotted to them.
	RuleOverDistribution = "OVER_DISTRIBUTION"
	// RuleUndistributed alerts when a cycle closes with allotted aid not
	// handed out.
	RuleUndistributed = "UNDISTRIBUTED_AID"
	RuleEventIDReused = "EVENT_ID_REUSED"
	// RuleIneligible holds an enrolment outside its programme's
	// eligibility (gender, minimum age).
	RuleIneligible = "INELIGIBLE"
	// RuleInvalidCard rejects a card QR that ekjon did not sign, or that
	// names a card it never issued.
	RuleInvalidCard = "INVALID_CARD"
	// RuleCardRevoked blocks a payment against a card that was replaced
	// or revoked: a lost card found, or one taken back.
	RuleCardRevoked = "CARD_REVOKED"
	// RuleRefConflict holds an enrolment naming a beneficiary ref that
	// another person holds in the programme: payments by the ref stay the
	// holder's.
	RuleRefConflict = "REF_CONFLICT"
	// RuleIDConflict holds an enrolment whose identity numbers belong to
	// two persons: a smart-card or birth registration number that another
	// NID holds, or an NID beside a number whose holder has another NID.
	// The links stay as they were.
	RuleIDConflict = "ID_CONFLICT"
	// RuleIndexRecordFailed says the index could not store the person as a
	// candidate for the fuzzy rules; the decision stands.
	RuleIndexRecordFailed = "INDEX_RECORD_FAILED"
)

// Contribution is one field's share of a match score, kept so a reviewer can
// see why two records were thought to be one person.
type Contribution struct {
	Field  string  `json:"field"`
	Level  string  `json:"level"`
	Weight float64 `json:"weight"`
}

// Decision is what the pipeline decided about one event. It never carries an NID, phone or
// wallet in clear: persons are named by their pseudonymous PersonID.
type Decision struct {
	EventID       string         `json:"event_id"`
	EventType     EventType      `json:"event_type,omitempty"`
	Source        string         `json:"source,omitempty"`
	Programme     string         `json:"programme,omitempty"`
	Action        Action         `json:"action"`
	Rules         []string       `json:"rules"`
	Reason        string         `json:"reason,omitempty"`
	Score         float64        `json:"score,omitempty"`
	Explanation   []Contribution `json:"explanation,omitempty"`
	PersonID      string         `json:"person_id,omitempty"`
	MatchedPerson string         `json:"matched_person_id,omitempty"`
	DecidedAt     time.Time      `json:"decided_at"`
	ConfigVersion string         `json:"config_version"`
	// Digest is the keyed hash of the event's content the decision was made
	// on, kept with the decision so that a second event under the same id
	// is told from a redelivery. It is not published.
	Digest string `json:"-"`
}

// Alert asks a reviewer to look at a decision. It carries ids and reason
// codes only.
type Alert struct {
	AlertID       string         `json:"alert_id"`
	EventID       string         `json:"event_id"`
	Rule          string         `json:"rule"`
	Action        Action         `json:"action"`
	Programme     string         `json:"programme,omitempty"`
	PersonID      string         `json:"person_id,omitempty"`
	MatchedPerson string         `json:"matched_person_id,omitempty"`
	Score         float64        `json:"score,omitempty"`
	Explanation   []Contribution `json:"explanation,omitempty"`
	District      string         `json:"district,omitempty"`
	// Evidence holds the facts behind an alert a reviewer can check, as
	// labelled values (counts, amounts, places, distributor and device
	// ids); never personal data.
	Evidence map[string]string `json:"evidence,omitempty"`
	// CaseID groups the alerts one case is about: SHARED_CONTACT alerts
	// carry the keyed hash of the phone or wallet they share, so that the
	// persons tied to one number are one case for a reviewer, not one
	// alert per event. It is a pseudonym, never the number.
	CaseID    string    `json:"case_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// AlertID names the alert a rule raised on an event; it is stable so that a
// redelivered event raises the same alert, not a second one.
func AlertID(eventID, rule string) string { return eventID + "/" + rule }

// InvalidCardsKey names the DISTRIBUTOR_INVALID_CARDS alert of one
// distributor or device (who) in one clock hour, in place of an event id:
// the alert is raised once for them in the hour, whichever rejected card
// raised it.
func InvalidCardsKey(who, id, hour string) string {
	return "invalid-cards:" + who + ":" + id + ":" + hour
}
