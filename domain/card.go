package domain

import (
	"strings"
	"time"
)

// Card states.
const (
	CardActive   = "active"
	CardReplaced = "replaced"
	CardRevoked  = "revoked"
)

// Card is one aid card: a random number, its place in the person's line of
// cards (Version), and its state. The QR token is signed from CardNo and
// Version when asked for (see package cards).
type Card struct {
	CardNo   string    `json:"card_no"`
	PersonID string    `json:"person_id"`
	Version  int       `json:"version"`
	Status   string    `json:"status"`
	IssuedAt time.Time `json:"issued_at"`
	IssuedBy string    `json:"issued_by"`
	// IndexKey names the person in the matching index; not published.
	IndexKey string `json:"-"`
	// Seq counts the card's changes, for the index to catch up on.
	Seq int64 `json:"-"`
}

// CardEvent is one line of a card's audit trail.
type CardEvent struct {
	CardNo string    `json:"card_no"`
	Action string    `json:"action"`
	Actor  string    `json:"actor"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

// DistributorScope is what a distributor may hand out: programme codes,
// areas and device ids. "*" allows every one; an empty list allows none,
// but for Devices, where it allows any. An area is a division, district,
// upazila or union by BBS code or name (see Gazetteer.ScopeArea) and
// covers every place inside it; one the gazetteer does not know, or
// cannot tell from another place, covers only places written with its
// very spelling.
type DistributorScope struct {
	Programmes []string
	Areas      []string
	Devices    []string
}

// Allows reports whether the scope covers programme, at the place the
// location at names, from device, reading places through the process's
// gazetteer.
func (s DistributorScope) Allows(programme string, at Location, device string) bool {
	return s.AllowsIn(Places(), programme, at, device)
}

// AllowsIn is Allows reading places through g.
func (s DistributorScope) AllowsIn(g *Gazetteer, programme string, at Location, device string) bool {
	return anyOf(s.Programmes, programme) && s.coversIn(g, at) &&
		(len(s.Devices) == 0 || anyOf(s.Devices, device))
}

// coversIn reports whether one of the scope's areas covers the place.
func (s DistributorScope) coversIn(g *Gazetteer, at Location) bool {
	if anyOf(s.Areas, "*") {
		return true
	}
	chain := g.locationChain(at)
	for _, x := range s.Areas {
		if g.ScopeArea(x).covers(chain, at) {
			return true
		}
	}
	return false
}

func anyOf(list []string, v string) bool {
	for _, x := range list {
		if x == "*" || (v != "" && strings.EqualFold(strings.TrimSpace(x), strings.TrimSpace(v))) {
			return true
		}
	}
	return false
}

// CardHolder is what a distributor is told of a card's person.
type CardHolder struct {
	PersonID       string
	NameBN, NameEN string
	NID            string
	Deceased       bool
	// Enrolment is the state of the person's enrolment in the programme
	// asked about; "" when never enrolled.
	Enrolment     string
	PaidThisCycle bool
}

// RuleDistributorScope records a distributor's scan outside the
// programmes, areas or devices they may serve.
const RuleDistributorScope = "DISTRIBUTOR_SCOPE"
