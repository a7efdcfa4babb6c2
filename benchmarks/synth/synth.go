// Package synth generates a synthetic Bangladeshi beneficiary population and
// its enrolment, status and payment events, with the ground truth of every
// event: which human it belongs to, which fraud or error pattern was
// injected, and which rule codes ekjon is expected to return.
//
// It feeds `ekjon demo` (live traffic), `ekjon gen` (JSON lines and truth),
// `ekjon eval` (matcher precision and recall) and the benchmarks. Output is a
// pure function of Config: the same seed gives the same bytes. Streams are
// iterators that build one event at a time, so millions of events need no
// more memory than a few counters per shared phone.
package synth

import (
	"fmt"
	"time"

	"github.com/ekjon/ekjon/domain"
)

// Pattern names what was injected into an event.
type Pattern string

// The injected patterns. PatternClean events are expected to be admitted
// (possibly with an alert on a benign shared phone).
const (
	PatternClean          Pattern = "clean"
	PatternDupNID         Pattern = "dup_nid"
	PatternMultiProgramme Pattern = "multi_programme"
	PatternFuzzyDup       Pattern = "fuzzy_dup"
	PatternSharedPhone    Pattern = "shared_phone"
	PatternDeceasedPaid   Pattern = "deceased_paid"
	PatternDoublePayment  Pattern = "double_payment"
	PatternWalletChange   Pattern = "wallet_change"
	PatternWalletMismatch Pattern = "wallet_mismatch"
	PatternUnknownPayee   Pattern = "unknown_payee"
	PatternMalformed      Pattern = "malformed"
)

// Truth is the ground truth of one event. It names the human by a cluster id
// (all records of one human share it) and never carries an NID, phone or
// wallet. As WriteJSONL writes it, its event_id, person_id and pattern are
// the labelled format benchmarks/eval reads (pattern is the label); rules,
// action and fraud are there for the benchmarks and end-to-end checks.
type Truth struct {
	EventID string `json:"event_id"`
	// PersonID is the cluster id: "H" and a serial for a real beneficiary,
	// "G" and a serial for a ghost who was never enrolled.
	PersonID string  `json:"person_id"`
	Pattern  Pattern `json:"pattern"`
	// Rules are the rule codes ekjon is expected to return, sorted; empty
	// for a clean event.
	Rules []string `json:"rules"`
	// Action is the action DESIGN §4 implies for Rules.
	Action domain.Action `json:"action"`
	// Fraud tells harm from benign coincidence: a neighbour's shared phone
	// or a genuine wallet change is not fraud; a takeover is.
	Fraud bool `json:"fraud,omitempty"`
	// Kinds lists every variation a record was written with, where a
	// generator applies more than the one its pattern names.
	Kinds []string `json:"kinds,omitempty"`
}

// Phase orders a stream for a caller that sends it in steps, waiting for one
// step to be decided before the next: enrolments, then statuses, then each
// payment cycle in turn.
type Phase int

// The first two phases; payment cycle k is PaymentPhase(k).
const (
	PhaseEnrolment Phase = 0
	PhaseStatus    Phase = 1
)

// PaymentPhase returns the phase of the k-th payment cycle (from 0).
func PaymentPhase(k int) Phase { return Phase(2 + k) }

// IsPayment reports whether p is a payment cycle.
func (p Phase) IsPayment() bool { return p >= 2 }

// Cycle returns the payment cycle index of p, or -1 for the other phases.
func (p Phase) Cycle() int {
	if p < 2 {
		return -1
	}
	return int(p) - 2
}

func (p Phase) String() string {
	switch p {
	case PhaseEnrolment:
		return "enrolment"
	case PhaseStatus:
		return "status"
	}
	return fmt.Sprintf("payment-%d", p.Cycle())
}

// Record is one generated event as it would be produced to Kafka.
type Record struct {
	Type domain.EventType
	// Key is the Kafka key: the normalised ASCII NID, or the beneficiary
	// ref when the event carries no NID.
	Key []byte
	// Value is the event's JSON; for a malformed event, the broken bytes
	// (never containing a newline).
	Value   []byte
	EventID string
	Phase   Phase
	Truth   Truth
}

// Config sets the size of the population and the rates of every injected
// pattern. Rates are fractions (0.02 is 2 %). The defaults follow the rates
// seen in real programmes (DESIGN §1).
type Config struct {
	Seed    int64
	Persons int
	// RunID prefixes every event_id so that reruns do not collide.
	RunID string
	// Cycles are the payment cycles ("2026-11"); the first one fixes the
	// timeline: enrolments in the six months before it, statuses just
	// before it.
	Cycles []string

	// Enrolment patterns, as fractions of persons.
	DupNIDRate          float64 // same NID enrolled twice in the same programme
	MultiProgrammeRate  float64 // same NID in a programme its first one excludes
	FuzzyDupRate        float64 // same human, name variant, other or missing NID
	SecondProgrammeRate float64 // same NID in a compatible programme (clean)

	// Phones: fractions of persons whose phone is shared with others.
	BenignSharedPhoneRate float64 // a neighbour's or union chairman's phone
	FraudSharedPhoneRate  float64 // one fraudster's wallet behind many names

	// Status fates, as fractions of persons.
	DeathRate          float64 // died, payments stopped
	ExitRate           float64 // exited, payments stopped
	DeceasedPaidRate   float64 // died or exited, still paid
	SuspensionRate     float64 // suspended then reinstated
	WalletChangeRate   float64 // genuine wallet change
	WalletTakeoverRate float64 // wallet changed by someone else just before a payment

	// Payment patterns, as fractions of payments per cycle.
	DoublePaymentRate  float64
	WalletMismatchRate float64
	UnknownPayeeRate   float64

	// MalformedRate is the fraction of events followed by a malformed one.
	MalformedRate float64

	// SharedContactK is the K of SHARED_CONTACT: an enrolment is expected
	// to raise it when its phone is already tied to more than K other
	// persons. RecentWalletChangeDays is the N of RECENT_WALLET_CHANGE.
	// Both should match the policy under evaluation.
	SharedContactK         int
	RecentWalletChangeDays int
}

// DefaultConfig returns a population of 10,000 persons paid over three
// monthly cycles, with rates from DESIGN §1.
func DefaultConfig() Config {
	return Config{
		Seed:                   1,
		Persons:                10000,
		RunID:                  "synth",
		Cycles:                 []string{"2026-11", "2026-12", "2027-01"},
		DupNIDRate:             0.02,
		MultiProgrammeRate:     0.01,
		FuzzyDupRate:           0.015,
		SecondProgrammeRate:    0.03,
		BenignSharedPhoneRate:  0.08,
		FraudSharedPhoneRate:   0.02,
		DeathRate:              0.015,
		ExitRate:               0.01,
		DeceasedPaidRate:       0.02,
		SuspensionRate:         0.005,
		WalletChangeRate:       0.01,
		WalletTakeoverRate:     0.001,
		DoublePaymentRate:      0.005,
		WalletMismatchRate:     0.003,
		UnknownPayeeRate:       0.005,
		MalformedRate:          0.003,
		SharedContactK:         4,
		RecentWalletChangeDays: 30,
	}
}

// MaxPersons bounds Persons: identifiers are drawn from disjoint ranges of
// ten million each so that no two humans ever share an NID or phone by
// accident.
const MaxPersons = 10_000_000

// Validate reports a configuration that cannot generate a coherent world.
// Its error is of kind domain.KindInvalid.
func (c Config) Validate() error {
	const op = "synth config"
	switch {
	case c.Persons < 1 || c.Persons > MaxPersons:
		return domain.Errorf(domain.KindInvalid, op, "persons must be 1..%d, got %d", MaxPersons, c.Persons)
	case c.RunID == "":
		return domain.Errorf(domain.KindInvalid, op, "run id is empty")
	case len(c.Cycles) == 0:
		return domain.Errorf(domain.KindInvalid, op, "no payment cycles")
	case c.SharedContactK < 1:
		return domain.Errorf(domain.KindInvalid, op, "shared contact K must be at least 1")
	case c.RecentWalletChangeDays < 0:
		return domain.Errorf(domain.KindInvalid, op, "recent wallet change days is negative")
	}
	for _, r := range []byte(c.RunID) {
		if r <= ' ' || r > '~' {
			return domain.Errorf(domain.KindInvalid, op, "run id must be printable ASCII without spaces")
		}
	}
	for _, cy := range c.Cycles {
		if _, err := time.Parse("2006-01", cy); err != nil {
			return domain.Errorf(domain.KindInvalid, op, "cycle %q is not YYYY-MM", cy)
		}
	}
	rates := []float64{c.DupNIDRate, c.MultiProgrammeRate, c.FuzzyDupRate, c.SecondProgrammeRate,
		c.BenignSharedPhoneRate, c.FraudSharedPhoneRate, c.DeathRate, c.ExitRate, c.DeceasedPaidRate,
		c.SuspensionRate, c.WalletChangeRate, c.WalletTakeoverRate, c.DoublePaymentRate,
		c.WalletMismatchRate, c.UnknownPayeeRate, c.MalformedRate}
	for _, r := range rates {
		if r < 0 || r > 1 {
			return domain.Errorf(domain.KindInvalid, op, "rate %v is outside 0..1", r)
		}
	}
	if c.DupNIDRate+c.MultiProgrammeRate+c.FuzzyDupRate+c.SecondProgrammeRate > 1 ||
		c.BenignSharedPhoneRate+c.FraudSharedPhoneRate > 1 ||
		c.DeathRate+c.ExitRate+c.DeceasedPaidRate+c.SuspensionRate+c.WalletChangeRate+c.WalletTakeoverRate > 1 {
		return domain.Errorf(domain.KindInvalid, op, "rates of exclusive fates add up to more than 1")
	}
	return nil
}

// actionFor maps expected rules to the action DESIGN §4 gives them.
func actionFor(rules []string) domain.Action {
	act := domain.ActionAdmit
	for _, r := range rules {
		switch r {
		case domain.RuleInvalidEvent, domain.RuleInvalidID:
			return domain.ActionRejected
		case domain.RuleDupNID, domain.RuleMultiProgramme, domain.RuleUnknownPayee,
			domain.RuleDoublePayment, domain.RuleDeceasedOrExited:
			act = domain.ActionBlock
		case domain.RuleFuzzyPerson, domain.RuleWalletMismatch:
			if act == domain.ActionAdmit {
				act = domain.ActionHold
			}
		}
	}
	return act
}
