package review

import (
	"encoding/json"
	"time"

	"github.com/ekjon/ekjon/domain"
)

// RevisedDecision is a decision as recorded, with who last revised it.
type RevisedDecision struct {
	domain.Decision
	RevisedBy string `json:"revised_by,omitempty"`
}

// Enrolment is one enrolment as recorded, with the person as enrolled.
type Enrolment struct {
	EventID        string        `json:"event_id"`
	PersonID       string        `json:"person_id"`
	Programme      string        `json:"programme"`
	BeneficiaryRef string        `json:"beneficiary_ref,omitempty"`
	Source         string        `json:"source,omitempty"`
	Status         string        `json:"status"`
	WalletKey      string        `json:"wallet_key,omitempty"`
	District       string        `json:"district,omitempty"`
	EnrolledAt     time.Time     `json:"enrolled_at"`
	Record         domain.Person `json:"record"`
}

// Payment is one distribution as recorded.
type Payment struct {
	EventID       string    `json:"event_id"`
	PersonID      string    `json:"person_id,omitempty"`
	Programme     string    `json:"programme"`
	Cycle         string    `json:"cycle"`
	Amount        float64   `json:"amount"`
	Channel       string    `json:"channel,omitempty"`
	WalletKey     string    `json:"wallet_key,omitempty"`
	DistributorID string    `json:"distributor_id,omitempty"`
	DeviceID      string    `json:"device_id,omitempty"`
	District      string    `json:"district,omitempty"`
	Upazila       string    `json:"upazila,omitempty"`
	Action        string    `json:"action"`
	PaidAt        time.Time `json:"paid_at"`
}

// AuditEntry is one row of the audit trail.
type AuditEntry struct {
	ID         int64           `json:"id"`
	At         time.Time       `json:"at"`
	Actor      string          `json:"actor"`
	Role       string          `json:"role,omitempty"`
	Action     string          `json:"action"`
	ObjectKind string          `json:"object_kind"`
	ObjectID   string          `json:"object_id"`
	Reason     string          `json:"reason,omitempty"`
	Before     json.RawMessage `json:"before,omitempty"`
	After      json.RawMessage `json:"after,omitempty"`
	Address    string          `json:"address,omitempty"`
}

// Case is everything a reviewer needs to rule on an alert: the alert, the
// decision, the event's record, the record it is compared with and the
// history of actions on it. Personal data is in clear; the API masks it.
type Case struct {
	Alert    AlertRow        `json:"alert"`
	Decision RevisedDecision `json:"decision"`
	// Enrolment is the event's record when the event is an enrolment.
	Enrolment *Enrolment `json:"enrolment,omitempty"`
	// Payment is the event's record when the event is a distribution.
	Payment *Payment `json:"payment,omitempty"`
	// Matched is the matched person's latest enrolment, when the alert
	// names one; for a payment without one, the payee's enrolment in the
	// programme, so the wallets can be compared.
	Matched *Enrolment `json:"matched,omitempty"`
	// Others are the person's other enrolments in the enrolment's
	// programme that may be its claim, newest first (see Locked.Others):
	// what an override would replace.
	Others  []Enrolment  `json:"other_enrolments,omitempty"`
	History []AuditEntry `json:"history"`
}

// PersonView is a person with their enrolments, recent decisions and the
// judgements made about them. The NID is in clear; the API masks it.
type PersonView struct {
	PersonID   string            `json:"person_id"`
	IDKind     string            `json:"id_kind"`
	NID        string            `json:"nid,omitempty"`
	DeceasedAt *time.Time        `json:"deceased_at,omitempty"`
	CreatedAt  time.Time         `json:"created_at"`
	Enrolments []Enrolment       `json:"enrolments"`
	Decisions  []RevisedDecision `json:"decisions"`
	Judgements []JudgementRow    `json:"judgements"`
}

// JudgementRow is one stored judgement of a person and another: whether
// they are one person (domain.JudgementSame or domain.JudgementNotSame).
type JudgementRow struct {
	Other     string `json:"other_person_id"`
	Judgement string `json:"verdict"`
	AlertID   string `json:"alert_id,omitempty"`
	// JudgedBy and JudgedAt say who made the judgement and when.
	JudgedBy string    `json:"decided_by"`
	JudgedAt time.Time `json:"decided_at"`
}

// Stats is the overview: unresolved alerts by rule and district and
// decisions per hour.
type Stats struct {
	OpenTotal      int64       `json:"open_total"`
	OpenByRule     []Count     `json:"open_by_rule"`
	OpenByDistrict []Count     `json:"open_by_district"`
	OpenByStatus   []Count     `json:"open_by_status"`
	DecisionsPerHr []HourCount `json:"decisions_per_hour"`
}

// Count is a number of things sharing a key.
type Count struct {
	Key   string `json:"key"`
	Count int64  `json:"count"`
}

// HourCount is the decisions made in one hour, by action.
type HourCount struct {
	Hour     time.Time        `json:"hour"`
	Total    int64            `json:"total"`
	ByAction map[string]int64 `json:"by_action"`
	Revised  int64            `json:"revised"`
}

// User is a person or machine client of the review service.
type User struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name,omitempty"`
	Role        string `json:"role"`
	// Ministries are the codes of the ministries whose programmes the
	// user sees; none means every programme.
	Ministries   []string  `json:"ministries,omitempty"`
	PasswordHash string    `json:"-"`
	Disabled     bool      `json:"disabled,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	// Scope is a distributor's scope as read with their API token, in
	// the same query, so that a scan pays one round trip for both; nil
	// when it was not read.
	Scope *domain.DistributorScope `json:"-"`
}

// APIToken is a machine client's API token as the record keeps it: its
// hash, never the token.
type APIToken struct {
	Hash     string
	Username string
	Label    string
	// ID is the token's first characters, printed when it is made: it
	// names the token for revocation and opens nothing.
	ID        string
	CreatedAt time.Time
}

// LoginFailures is the count of failed logins held against one key (an
// account tried from one client, or a client) and when the last was.
type LoginFailures struct {
	Count int
	Last  time.Time
}

// DashboardQuery asks for the overview of the record by ministry,
// programme, division and district.
type DashboardQuery struct {
	Scope Scope
	// Since is the start of the cycle: decisions and payments from then
	// on are counted.
	Since time.Time
	// Ministries maps each programme code to its ministry's code.
	Ministries map[string]string
	// Places maps every spelling a district may be stored under (its BBS
	// code first of all) to its code and its division's code.
	Places map[string][2]string
	// Cycles maps each programme code to its current cycle, whose aid
	// allotted and not handed out the dashboard counts; a programme
	// without one (one-off) is left out.
	Cycles map[string]string
	// OneOff lists the programmes whose cycles are one-off: each cycle
	// allotted to them counts as current until it closes (its latest
	// closes_at), and in the period (Since) it closes in.
	OneOff []string
	// Entitlements prices an allocation that gives no amount of its own:
	// the amount each beneficiary of a programme is due per cycle.
	Entitlements map[string]float64
}

// DashboardRow is one line of a dashboard table: a ministry, programme,
// division or district, by its code.
type DashboardRow struct {
	Key string `json:"key"`
	// Persons are the persons enrolled, Active those whose enrolment is
	// active.
	Persons int64 `json:"persons_enrolled"`
	Active  int64 `json:"persons_active"`
	// Holds are the holds waiting for a reviewer; OldestHold is when the
	// longest-waiting one was raised.
	Holds      int64      `json:"holds_waiting"`
	OldestHold *time.Time `json:"oldest_hold,omitempty"`
	// Paid is the amount in taka paid since the cycle began, in Payments
	// payments.
	Paid     float64 `json:"amount_paid"`
	Payments int64   `json:"payments"`
	// Allotted is the beneficiaries allocations gave the current cycle,
	// AmountAllotted their aid in taka; Undistributed and
	// AmountUndistributed what of it was not handed out (admitted
	// hand-outs of the cycle taken off, never below zero).
	Allotted            int64   `json:"allotted"`
	AmountAllotted      float64 `json:"amount_allotted"`
	Undistributed       int64   `json:"undistributed"`
	AmountUndistributed float64 `json:"amount_undistributed"`
}

// RuleCount is how many decisions of one action a rule made in one
// programme since the cycle began; Rule is "" for decisions no rule
// touched.
type RuleCount struct {
	Programme string `json:"programme"`
	Rule      string `json:"rule"`
	Action    string `json:"action"`
	Count     int64  `json:"count"`
}

// Dashboard is the overview by ministry, programme, division and
// district, and the cycle's decisions by rule.
type Dashboard struct {
	Since      time.Time      `json:"since"`
	Ministries []DashboardRow `json:"ministries"`
	Programmes []DashboardRow `json:"programmes"`
	Divisions  []DashboardRow `json:"divisions"`
	Districts  []DashboardRow `json:"districts"`
	RuleCounts []RuleCount    `json:"decisions_by_rule"`
}
