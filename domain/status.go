package domain

import "slices"

// Enrolment states: an enrolment's status in the record, and the state of
// a person's claim on a programme in the matching index. A person's claim
// on a programme is its latest enrolment there that is neither blocked nor
// replaced (NeverClaims). At most one enrolment of a person and programme
// is live (Live): the record's unique index enrolments_live_once holds it.
const (
	EnrolmentActive = "active"
	// EnrolmentHeld waits for a reviewer; payments are blocked until one
	// releases it.
	EnrolmentHeld = "held"
	// EnrolmentBlocked was refused by a rule; it is never a claim.
	EnrolmentBlocked   = "blocked"
	EnrolmentSuspended = "suspended"
	// EnrolmentExited left the programme; reinstatement restores it,
	// unless a later enrolment has claimed the programme since.
	EnrolmentExited = "exited"
	// EnrolmentReplaced was the person's claim on the programme until a
	// supervisor's override made another enrolment the claim. It is never
	// a claim again and no status event acts on it; it stays on record as
	// what the person once held.
	EnrolmentReplaced = "replaced"
)

// NeverClaims are the enrolment states that are never a claim: the record
// and the rebuild leave such enrolments out when they look for a person's
// claim on a programme.
func NeverClaims() []string { return []string{EnrolmentBlocked, EnrolmentReplaced} }

// Live reports whether an enrolment in state is live: active, held or
// suspended. A person has at most one live enrolment per programme.
func Live(state string) bool {
	return state == EnrolmentActive || state == EnrolmentHeld || state == EnrolmentSuspended
}

// Transition is what a status event does, in one scope, to the person's
// claims and to the person. The record (sinks/postgres), the index's
// status script and the index's rebuild all apply Transitions, so that the
// three agree. All three also apply status events in the order they
// occurred, not the order they arrive in: an event does nothing to a claim
// on a programme when a status event naming that programme, or none,
// occurred after it, and does not mark the person dead or alive when an
// event that TouchesLife occurred after it.
type Transition struct {
	Status string
	// AllProgrammes says the event names no programme and acts on every
	// claim of the person; otherwise it acts on the named programme's.
	AllProgrammes bool
	// From are the claim states the event acts on; a claim in another
	// state is left as it is.
	From []string
	// To is the state the claims acted on move to; "" leaves their state.
	To string
	// ReplacesWallet says the claims acted on take the event's wallet.
	ReplacesWallet bool
	// SetsDeceased and ClearsDeceased mark the person dead or alive again.
	SetsDeceased, ClearsDeceased bool
	// MarksWalletChange says the event is a change of the person's wallet,
	// which RECENT_WALLET_CHANGE looks back to.
	MarksWalletChange bool
}

// Transitions returns the status transitions, one for each status and
// scope. The choices that are not obvious:
//
//   - A held enrolment waits for a reviewer, and no status event takes it
//     out of review: exit and suspension leave it held, so that a later
//     reinstatement cannot admit what nobody reviewed. A reviewer who
//     releases it admits it.
//   - A death marks the person, not the enrolments: payments are blocked
//     and new enrolments held while it stands; only a reinstatement that
//     names no programme lifts it.
//   - A wallet change reaches every claim, an exited one too, so that a
//     reinstatement restores the wallet last known.
func Transitions() []Transition {
	var out []Transition
	for _, all := range []bool{false, true} {
		out = append(out,
			Transition{Status: StatusDeceased, AllProgrammes: all, SetsDeceased: true},
			Transition{Status: StatusExited, AllProgrammes: all,
				From: []string{EnrolmentActive, EnrolmentSuspended}, To: EnrolmentExited},
			Transition{Status: StatusSuspended, AllProgrammes: all,
				From: []string{EnrolmentActive}, To: EnrolmentSuspended},
			Transition{Status: StatusReinstated, AllProgrammes: all,
				From: []string{EnrolmentSuspended, EnrolmentExited}, To: EnrolmentActive, ClearsDeceased: all},
			Transition{Status: StatusWalletChanged, AllProgrammes: all,
				From:           []string{EnrolmentActive, EnrolmentHeld, EnrolmentSuspended, EnrolmentExited},
				ReplacesWallet: true, MarksWalletChange: true},
		)
	}
	return out
}

// TouchesLife says the transition marks the person dead or alive again.
func (t Transition) TouchesLife() bool { return t.SetsDeceased || t.ClearsDeceased }

// TransitionOf returns the transition of a status event naming programme
// ("" for all the person's programmes); ok is false for an unknown status.
func TransitionOf(status, programme string) (t Transition, ok bool) {
	for _, t := range Transitions() {
		if t.Status == status && t.AllProgrammes == (programme == "") {
			return t, true
		}
	}
	return Transition{}, false
}

// Next returns the state a claim in state moves to, and whether the
// transition acts on it at all.
func (t Transition) Next(state string) (string, bool) {
	if !slices.Contains(t.From, state) {
		return state, false
	}
	if t.To == "" {
		return state, true
	}
	return t.To, true
}

// StatusesWhere returns the statuses of which some transition satisfies
// keep, such as those that mark a person dead.
func StatusesWhere(keep func(Transition) bool) []string {
	var out []string
	for _, t := range Transitions() {
		if keep(t) && !slices.Contains(out, t.Status) {
			out = append(out, t.Status)
		}
	}
	return out
}
