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
	Cycle         string    `json:"cycle,omitempty"`
	NID           string    `json:"nid,omitempty"`
	CardQR        string    `json:"card_qr,omitempty"`
	Amount        float64   `json:"amount,omitempty"`
	Channel       string    `json:"channel,omitempty"`
	Wallet        string    `json:"wallet,omitempty"`
	DistributorID string    `json:"distributor_id,omitempty"`
	DeviceID      string    `json:"device_id,omitempty"`
	Location      *Location `json:"location,omitempty"`

	// Status.
	Status string `json:"status,omitempty"`

	// Occurred is OccurredAt parsed by validation; not on the wire.
	Occurred time.Time `json:"-"`
}

// Person is the identity carried by an enrolment.
type Person struct {
	NID        string   `json:"nid"`
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

// Location is where a distribution happened.
type Location struct {
	District string `json:"district"`
	Upazila  string `json:"upazila"`
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
