package domain

import "time"

// IndexFact is one fact the matching index holds, as read back from the
// record to rebuild a lost index. Kind says which fields matter:
//
//	enrolment: Key, Programme, EventID, State (an Enrolment state, not
//	           blocked), Wallet: the person's claim on the programme
//	ref:       Programme, Ref, Key (a beneficiary ref and the person
//	           holding it)
//	payment:   Key, Programme, Cycle, EventID
//	deceased:  Key, EventID
//	wallet:    Key, At (the last wallet change)
//	clock:     Key, Programme ("" for all), At: the latest status event
//	           of the person naming that programme, or none
//	life:      Key, At: the latest status event that marked the person
//	           dead or alive again
//	card:      Key, Ref (the card number), State (a Card state), Cycle
//	           (the card's version, in decimal)
//	candidate: PersonID, Person (as enrolled), EventID, At (when it was
//	           decided): an enrolment, not blocked, that made its person a
//	           candidate for the fuzzy rules; in the order they were decided
type IndexFact struct {
	PersonID  string
	Person    *Person
	Kind      string
	Key       string
	Programme string
	EventID   string
	State     string
	Wallet    string
	Ref       string
	Cycle     string
	At        time.Time
}
