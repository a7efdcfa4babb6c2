// Package domain holds ekjon's core types: the v1 events, decisions, alerts,
// the screening policy and the error kinds. It imports nothing of ekjon's own
// so that every other package can depend on it.
package domain

import (
	"encoding/json"
	"time"
)

// EventType names the kind of an event on the wire.
type EventType string

// The v1 event types.
const (
	TypeEnrolment    EventType = "enrolment"
	TypeDistribution EventType = "distribution"
	TypeStatus       EventType = "status"
	// TypeAllocation says what a cycle allots to a distributor in an area
	// (a v1 addition; see allocation.go).
	TypeAllocation EventType = "allocation"
)

// Status values carried by a status event.
const (
	StatusDeceased      = "deceased"
	StatusExited        = "exited"
	StatusSuspended     = "suspended"
	StatusReinstated    = "reinstated"
	StatusWalletChanged = "wallet_changed"
)

// Event is one v1 event as it travels on Kafka. The JSON field names are a
// contract with the source systems; the three event types share one flat
// shape, and each type uses its own subset of the fields (see docs/events.md).
type Event struct {
	EventID    string    `json:"event_id"`
	Type       EventType `json:"type"`
	OccurredAt string    `json:"occurred_at"`
	Source     string    `json:"source"`
	Programme  string    `json:"programme,omitempty"`

	// Enrolment.
	BeneficiaryRef string  `json:"beneficiary_ref,omitempty"`
	Person         *Person `json:"person,omitempty"`

	// Distribution.
	Cycle string `json:"cycle,omitempty"`
	NID   string `json:"nid,omitempty"`
	// NIDSmart is the person's 10-digit smart-card number beside a 13-
	// or 17-digit nid (distribution, status; a v1 addition).
	NIDSmart      string    `json:"nid_smart,omitempty"`
	CardQR        string    `json:"card_qr,omitempty"`
	Amount        float64   `json:"amount,omitempty"`
	Channel       string    `json:"channel,omitempty"`
	Wallet        string    `json:"wallet,omitempty"`
	DistributorID string    `json:"distributor_id,omitempty"`
	DeviceID      string    `json:"device_id,omitempty"`
	Location      *Location `json:"location,omitempty"`

	// Status.
	Status string `json:"status,omitempty"`

	// Allocation (a v1 addition): the area allotted, the beneficiaries
	// allotted by ref or card number, or their count, and what each is
	// due (amount above, items here). Cycle, DistributorID and Amount are
	// shared with distributions.
	Area          *Area              `json:"area,omitempty"`
	Beneficiaries []string           `json:"beneficiaries,omitempty"`
	Count         int64              `json:"count,omitempty"`
	Items         map[string]float64 `json:"items,omitempty"`
	// ClosesAt, if set, is when the allocation's cycle closes for the
	// reconciliation (see CycleCloses); RFC 3339.
	ClosesAt string `json:"closes_at,omitempty"`

	// Occurred is OccurredAt parsed by validation; not on the wire.
	Occurred time.Time `json:"-"`
}

// Person is the identity carried by an enrolment.
type Person struct {
	NID string `json:"nid"`
	// NIDSmart is the 10-digit smart-card number beside a 13- or
	// 17-digit NID: a third number of the same person (a v1 addition).
	NIDSmart   string   `json:"nid_smart,omitempty"`
	BirthRegNo string   `json:"birth_reg_no,omitempty"`
	NameBN     string   `json:"name_bn"`
	NameEN     string   `json:"name_en"`
	FatherName string   `json:"father_name"`
	MotherName string   `json:"mother_name"`
	SpouseName string   `json:"spouse_name"`
	DOB        string   `json:"dob"`
	Gender     string   `json:"gender"`
	Phone      string   `json:"phone"`
	Wallet     string   `json:"wallet"`
	Address    *Address `json:"address,omitempty"`
}

// Address is where an enrolled person lives: names or BBS codes.
type Address struct {
	Division string `json:"division"`
	District string `json:"district"`
	Upazila  string `json:"upazila"`
	Union    string `json:"union"`
	Ward     string `json:"ward"`
	Village  string `json:"village"`
}

// Location is where a distribution happened: each part a BBS code or a
// name in either script. Union is a v1 addition, optional: a distributor
// bound to a union serves only where the location names it.
type Location struct {
	District string `json:"district"`
	Upazila  string `json:"upazila"`
	Union    string `json:"union,omitempty"`
}

// Area is the location as an area, for the gazetteer to read
// (Gazetteer.PlaceArea); the zero Area for a nil location.
func (l *Location) Area() Area {
	if l == nil {
		return Area{}
	}
	return Area{District: l.District, Upazila: l.Upazila, Union: l.Union}
}

// Canonical returns the event's content in one spelling, for comparing
// two events: the JSON of its validated, normalised fields, with the time
// it occurred in UTC. Two messages that differ only in key order, white
// space, digit script or time zone have the same canonical form. Call it
// after Validate.
func (e *Event) Canonical() []byte {
	c := *e
	if !e.Occurred.IsZero() {
		c.OccurredAt = e.Occurred.UTC().Format(time.RFC3339Nano)
	}
	b, err := json.Marshal(&c)
	if err != nil {
		// An Event is strings, numbers and pointers to such: it always
		// encodes.
		panic("domain: encode event: " + err.Error())
	}
	return b
}

// IdentityNID returns the normalised NID the event speaks of, or "".
func (e *Event) IdentityNID() string {
	if e.Type == TypeEnrolment && e.Person != nil {
		return e.Person.NID
	}
	return e.NID
}

// An Identifier is one exact identity number of a person: its kind, the
// namespace it is hashed in ("nid" or "brn"), and its canonical value.
type Identifier struct {
	Kind, Value string
}

// Identifiers returns the exact identity numbers a validated event names
// its person by, strongest first: the NID's core (NIDCore, for a 13- or
// 17-digit NID), the 10-digit smart-card number, the birth registration
// number. Each form of one number gives one Identifier, so that the
// person is the same however a clerk wrote it. A smart-card number is
// hashed in the namespace of NIDs: a 10-digit nid is one.
func (e *Event) Identifiers() []Identifier {
	var ids []Identifier
	nid, smart, brn := e.IdentityNID(), e.NIDSmart, ""
	if e.Type == TypeEnrolment && e.Person != nil {
		smart, brn = e.Person.NIDSmart, e.Person.BirthRegNo
	}
	if IsSmartNID(nid) {
		nid, smart = "", nid
	}
	if nid != "" {
		ids = append(ids, Identifier{"nid", NIDCore(nid)})
	}
	if smart != "" {
		ids = append(ids, Identifier{"nid", smart})
	}
	if brn != "" {
		ids = append(ids, Identifier{"brn", brn})
	}
	return ids
}
