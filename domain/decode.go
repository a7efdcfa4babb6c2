package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// DecodeEvent parses one v1 event. Any error is of KindInvalid and carries
// field-level reasons. It does not validate the event's content; see
// Validate.
func DecodeEvent(b []byte, maxBytes int) (*Event, error) {
	const op = "decode event"
	if maxBytes > 0 && len(b) > maxBytes {
		return nil, invalid(op, FieldError{"", fmt.Sprintf("event is %d bytes; the limit is %d", len(b), maxBytes)})
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, invalid(op, FieldError{"", "event is empty"})
	}
	if !utf8.Valid(b) {
		return nil, invalid(op, FieldError{"", fmt.Sprintf("event is not valid UTF-8 (first bad byte at offset %d)", firstInvalidUTF8(b))})
	}
	var e Event
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, invalid(op, jsonFieldError(err))
	}
	return &e, nil
}

// PeekEventID returns the event_id of a message that may not decode as a
// whole, so that a rejection can still name the event; "" if there is none.
func PeekEventID(b []byte) string {
	if !utf8.Valid(b) {
		return ""
	}
	var probe struct {
		EventID json.RawMessage `json:"event_id"`
	}
	if json.Unmarshal(b, &probe) != nil {
		return ""
	}
	var id string
	if json.Unmarshal(probe.EventID, &id) != nil || validEventID(id) != "" {
		return ""
	}
	return id
}

func invalid(op string, fields ...FieldError) error {
	return &Error{Kind: KindInvalid, Op: op, Fields: fields}
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

func jsonFieldError(err error) FieldError {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return FieldError{te.Field, fmt.Sprintf("must be a %s, got a JSON %s", jsonKind(te.Type.Kind().String()), te.Value)}
	case errors.As(err, &se):
		return FieldError{"", fmt.Sprintf("not JSON: %v (at byte %d)", se, se.Offset)}
	}
	return FieldError{"", "not a JSON object: " + err.Error()}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "float64", "int", "int64":
		return "number"
	case "ptr", "struct":
		return "object"
	}
	return goKind
}

// Validation limits.
const (
	maxIDLen   = 128
	maxTextLen = 256
)

var validGenders = map[string]bool{"": true, "male": true, "female": true, "hijra": true, "other": true}

// Validate checks e against the v1 contract and the policy and normalises its
// identifiers in place: NIDs to ASCII digits, phones to 01XXXXXXXXX, wallets
// to their canonical form. The error, of KindInvalid, lists every bad field.
// IsIDError tells whether the failure concerns an identity number.
func Validate(e *Event, p Policy) error {
	var v validator
	v.str("event_id", validEventID(e.EventID))
	switch e.Type {
	case TypeEnrolment, TypeDistribution, TypeStatus:
	case "":
		v.add("type", "is required")
	default:
		v.add("type", fmt.Sprintf("unknown event type %q; want enrolment, distribution or status", clip(string(e.Type))))
	}
	if e.OccurredAt == "" {
		v.add("occurred_at", "is required")
	} else if t, err := time.Parse(time.RFC3339, e.OccurredAt); err != nil {
		v.add("occurred_at", "must be an RFC 3339 time such as 2026-11-01T10:00:00+06:00")
	} else {
		e.Occurred = t
	}
	v.str("source", requiredText(e.Source))
	switch e.Type {
	case TypeEnrolment:
		v.programme(e.Programme, p, true)
		v.str("beneficiary_ref", optionalText(e.BeneficiaryRef))
		v.person(e.Person)
	case TypeDistribution:
		v.programme(e.Programme, p, true)
		v.str("cycle", requiredText(e.Cycle))
		v.str("beneficiary_ref", optionalText(e.BeneficiaryRef))
		v.str("card_qr", optionalText(e.CardQR))
		if e.NID == "" && e.BeneficiaryRef == "" && e.CardQR == "" {
			v.add("nid", "one of nid, beneficiary_ref or card_qr is required")
		}
		e.NID = v.nid("nid", e.NID)
		if e.Amount < 0 {
			v.add("amount", "must not be negative")
		}
		e.Wallet = NormalizeWallet(e.Wallet)
	case TypeStatus:
		if _, ok := TransitionOf(e.Status, e.Programme); !ok {
			v.add("status", fmt.Sprintf("unknown status %q; want deceased, exited, suspended, reinstated or wallet_changed", clip(e.Status)))
		}
		if e.NID == "" {
			v.add("nid", "is required")
		}
		e.NID = v.nid("nid", e.NID)
		v.programme(e.Programme, p, false)
		e.Wallet = NormalizeWallet(e.Wallet)
		if e.Status == StatusWalletChanged && e.Wallet == "" {
			v.add("wallet", "is required for wallet_changed")
		}
	}
	return v.err()
}

// IsIDError reports whether a validation error concerns an identity number
// (the INVALID_ID rule) rather than the event's shape.
func IsIDError(err error) bool {
	for _, f := range FieldsOf(err) {
		if f.Field == "nid" || f.Field == "person.nid" || f.Field == "person.birth_reg_no" {
			return true
		}
	}
	return false
}

type validator struct{ fields []FieldError }

func (v *validator) add(field, reason string) {
	v.fields = append(v.fields, FieldError{field, reason})
}

func (v *validator) str(field, reason string) {
	if reason != "" {
		v.add(field, reason)
	}
}

func (v *validator) err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return invalid("validate event", v.fields...)
}

func (v *validator) programme(prog string, p Policy, required bool) {
	switch {
	case prog == "" && required:
		v.add("programme", "is required")
	case prog != "" && !p.Known(prog):
		v.add("programme", fmt.Sprintf("unknown programme %q", clip(prog)))
	}
}

func (v *validator) nid(field, s string) string {
	if s == "" {
		return ""
	}
	n, ok := NormalizeNID(s)
	if !ok {
		v.add(field, "must be 10, 13 or 17 digits (Bangla or ASCII)")
		return s
	}
	return n
}

func (v *validator) person(p *Person) {
	if p == nil {
		v.add("person", "is required")
		return
	}
	p.NID = v.nid("person.nid", p.NID)
	if p.BirthRegNo != "" {
		if d, ok := digitsOnly(p.BirthRegNo); !ok || len(d) != 17 {
			v.add("person.birth_reg_no", "must be 17 digits")
		} else {
			p.BirthRegNo = d
		}
	}
	if strings.TrimSpace(p.NameBN) == "" && strings.TrimSpace(p.NameEN) == "" {
		v.add("person.name_bn", "a name in Bangla or English is required")
	}
	for _, f := range []struct{ name, val string }{
		{"person.name_bn", p.NameBN}, {"person.name_en", p.NameEN},
		{"person.father_name", p.FatherName}, {"person.mother_name", p.MotherName},
		{"person.spouse_name", p.SpouseName},
	} {
		v.str(f.name, optionalText(f.val))
	}
	if p.DOB != "" {
		dob, err := time.Parse("2006-01-02", p.DOB)
		switch {
		case err != nil:
			v.add("person.dob", "must be a date such as 1950-03-01")
		case dob.Year() < 1900 || dob.After(time.Now()):
			v.add("person.dob", "is not a plausible date of birth")
		case len(p.NID) == 17 && p.NID[:4] != strconv.Itoa(dob.Year()):
			v.add("person.nid", fmt.Sprintf("17-digit NID begins with birth year %s but dob is in %d", p.NID[:4], dob.Year()))
		}
	}
	if !validGenders[p.Gender] {
		v.add("person.gender", "must be male, female, hijra or other")
	}
	if p.Phone != "" {
		if ph, ok := NormalizePhone(p.Phone); ok {
			p.Phone = ph
		} else {
			v.add("person.phone", "is not a Bangladeshi mobile number (01[3-9] and 8 digits, or +880…)")
		}
	}
	p.Wallet = NormalizeWallet(p.Wallet)
}

func validEventID(id string) string {
	switch {
	case id == "":
		return "is required"
	case len(id) > maxIDLen:
		return fmt.Sprintf("is longer than %d bytes", maxIDLen)
	}
	for _, r := range id {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return "must be printable, without spaces"
		}
	}
	return ""
}

func requiredText(s string) string {
	if strings.TrimSpace(s) == "" {
		return "is required"
	}
	return optionalText(s)
}

func optionalText(s string) string {
	if len(s) > maxTextLen {
		return fmt.Sprintf("is longer than %d bytes", maxTextLen)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "contains control characters"
		}
	}
	return ""
}

// clip shortens an echoed bad value so a reason never grows unbounded.
func clip(s string) string {
	if len(s) > 40 {
		return strings.ToValidUTF8(s[:40], "") + "…"
	}
	return s
}
