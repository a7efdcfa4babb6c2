package domain

import "time"

// Origin says where an event was read: its Kafka coordinates and the time
// the broker stamped on it.
type Origin struct {
	Topic     string
	Partition int
	Offset    int64
	Time      time.Time
}

// Outcome is everything the pipeline learned about one event: the decision,
// the alerts it raised and, for a valid event, the event itself. The sinks
// make it durable and the publisher announces it.
type Outcome struct {
	Origin   Origin
	Raw      []byte // the original bytes, kept for the dead-letter topic
	Event    *Event // nil when the event could not be decoded
	Decision Decision
	Alerts   []Alert
	// IndexKey is the keyed hash that names the person in the index; ""
	// when the event names nobody (rejected, or no identifier at all).
	IndexKey string
	// WalletKey is the keyed hash of the event's wallet, for comparing
	// wallets without keeping the number.
	WalletKey string
	// HoldsRef says the enrolment holds its beneficiary ref in the index:
	// payments naming the ref are its person's. The record keeps it so that
	// a rebuilt index maps each ref to the person the live one did.
	HoldsRef bool
	// Links are the identity numbers the index links to this event's
	// person (see Event.Identifiers), as keyed hashes. The record keeps
	// them so that a rebuilt index finds the person by each number, as
	// the live one does.
	Links []Link
	// IndexTokens, when not nil, are the strong name tokens of a person
	// this enrolment first made a candidate of the fuzzy rules: the index
	// counts them, and the person, in its name-token frequencies once the
	// decision is durable, so that a batch decided again counts no one
	// twice.
	IndexTokens []string
	// Redecided says Decide found claims that an earlier decision of the
	// event's batch left in the index without a record of it, and undid
	// them before deciding the batch afresh. Should the record hold one of
	// the batch's events after all (another worker recorded it meanwhile),
	// a claim it holds may have been undone, and the index is rebuilt.
	Redecided bool
	// Redelivered is true when the decision was found already durable: the
	// event was seen before and is not decided again.
	Redelivered bool
	// Dead is true when the event goes to the dead-letter topic.
	Dead bool
}

// A Link ties an identity number to a person: Hash is the number's keyed
// hash, the index key it would give a person of its own; Core says it is
// the core of the person's NID, of which a person has one. New says the
// event made the link (and, for a core, gave the person its core), so
// that undoing the event's claims undoes it; the record does not keep it.
type Link struct {
	Hash string
	Core bool
	New  bool
}
