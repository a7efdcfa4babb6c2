package domain

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The caps, in bytes, of an event's text fields; docs/events.md lists
// them field by field. Each is well within what the record and the index
// keep, and far above what a real value needs.
const (
	maxIDBytes     = 128 // event_id, beneficiary_ref, distributor_id, device_id
	maxCodeBytes   = 64  // type, occurred_at, source, programme, cycle, status, channel, dob, gender
	maxNumberBytes = 64  // NIDs, birth registration numbers, phones and wallets as written
	maxNameBytes   = 256 // a person's names and their parents' and spouse's
	maxPlaceBytes  = 128 // address parts and a distribution's location
	maxCardBytes   = 512 // an aid card's QR payload
)

// The times an event may have occurred at: from 2000 to 2100, so that a
// mistyped year is caught before it ages a payment or a death by centuries.
const (
	minEventYear = 2000
	maxEventYear = 2100
)

// A textField is one text field of an event: its name on the wire, its
// cap and where it is.
type textField struct {
	name string
	max  int
	p    *string
}

// textFields lists every text field of e, nested parts included (fields of
// an absent person, address or location are left out). Every field is
// checked whatever the event's type: what the record cannot store is
// refused wherever it comes.
func textFields(e *Event) []textField {
	fs := make([]textField, 0, 40)
	fs = append(fs,
		textField{"event_id", maxIDBytes, &e.EventID},
		textField{"type", maxCodeBytes, (*string)(&e.Type)},
		textField{"occurred_at", maxCodeBytes, &e.OccurredAt},
		textField{"source", maxCodeBytes, &e.Source},
		textField{"programme", maxCodeBytes, &e.Programme},
		textField{"beneficiary_ref", maxIDBytes, &e.BeneficiaryRef},
		textField{"cycle", maxCodeBytes, &e.Cycle},
		textField{"nid", maxNumberBytes, &e.NID},
		textField{"nid_smart", maxNumberBytes, &e.NIDSmart},
		textField{"card_qr", maxCardBytes, &e.CardQR},
		textField{"channel", maxCodeBytes, &e.Channel},
		textField{"wallet", maxNumberBytes, &e.Wallet},
		textField{"distributor_id", maxIDBytes, &e.DistributorID},
		textField{"device_id", maxIDBytes, &e.DeviceID},
		textField{"status", maxCodeBytes, &e.Status},
		textField{"closes_at", maxCodeBytes, &e.ClosesAt},
	)
	if l := e.Location; l != nil {
		fs = append(fs,
			textField{"location.district", maxPlaceBytes, &l.District},
			textField{"location.upazila", maxPlaceBytes, &l.Upazila},
			textField{"location.union", maxPlaceBytes, &l.Union},
		)
	}
	if a := e.Area; a != nil {
		fs = append(fs,
			textField{"area.division", maxPlaceBytes, &a.Division},
			textField{"area.district", maxPlaceBytes, &a.District},
			textField{"area.upazila", maxPlaceBytes, &a.Upazila},
			textField{"area.union", maxPlaceBytes, &a.Union},
		)
	}
	if p := e.Person; p != nil {
		fs = append(fs,
			textField{"person.nid", maxNumberBytes, &p.NID},
			textField{"person.nid_smart", maxNumberBytes, &p.NIDSmart},
			textField{"person.birth_reg_no", maxNumberBytes, &p.BirthRegNo},
			textField{"person.name_bn", maxNameBytes, &p.NameBN},
			textField{"person.name_en", maxNameBytes, &p.NameEN},
			textField{"person.father_name", maxNameBytes, &p.FatherName},
			textField{"person.mother_name", maxNameBytes, &p.MotherName},
			textField{"person.spouse_name", maxNameBytes, &p.SpouseName},
			textField{"person.dob", maxCodeBytes, &p.DOB},
			textField{"person.gender", maxCodeBytes, &p.Gender},
			textField{"person.phone", maxNumberBytes, &p.Phone},
			textField{"person.wallet", maxNumberBytes, &p.Wallet},
		)
		if a := p.Address; a != nil {
			fs = append(fs,
				textField{"person.address.division", maxPlaceBytes, &a.Division},
				textField{"person.address.district", maxPlaceBytes, &a.District},
				textField{"person.address.upazila", maxPlaceBytes, &a.Upazila},
				textField{"person.address.union", maxPlaceBytes, &a.Union},
				textField{"person.address.ward", maxPlaceBytes, &a.Ward},
				textField{"person.address.village", maxPlaceBytes, &a.Village},
			)
		}
	}
	return fs
}

// textReason says why s cannot be stored as a field capped at max bytes,
// or "" if it can: PostgreSQL refuses NUL in text and \u0000 in jsonb, and
// no control character belongs in a name, a code or an id.
func textReason(s string, max int) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	if len(s) > max {
		return fmt.Sprintf("is %d bytes; the limit is %d", len(s), max)
	}
	for i, r := range s {
		if unicode.IsControl(r) {
			return fmt.Sprintf("holds the control character %U at byte %d", r, i)
		}
	}
	return ""
}

// Validate checks e against the v1 contract and the policy and normalises
// it in place: NIDs to ASCII digits, phones to 01XXXXXXXXX, wallets to
// their canonical form, a distribution's cycle to its programme's
// canonical spelling. Every text field must be valid UTF-8, free of
// control characters and within its cap; an amount must lie between 0 and
// the policy's MaxAmount; occurred_at must fall in the years 2000 to 2100.
// The error, of KindInvalid, lists every bad field; a reason repeats a bad
// value only quoted and clipped. IsIDError tells whether the failure
// concerns an identity number.
func Validate(e *Event, p Policy) error {
	var v validator
	for _, f := range textFields(e) {
		if r := textReason(*f.p, f.max); r != "" {
			v.add(f.name, r)
		}
	}
	if v.ok("event_id") {
		v.str("event_id", validEventID(e.EventID))
	}
	if v.ok("type") {
		switch e.Type {
		case TypeEnrolment, TypeDistribution, TypeStatus, TypeAllocation:
		case "":
			v.add("type", "is required")
		default:
			v.add("type", fmt.Sprintf("unknown event type %s; want enrolment, distribution, status or allocation", quote(string(e.Type))))
		}
	}
	if v.ok("occurred_at") {
		v.occurred(e)
	}
	if v.ok("source") && strings.TrimSpace(e.Source) == "" {
		v.add("source", "is required")
	}
	switch e.Type {
	case TypeEnrolment:
		v.programme(e.Programme, p, true)
		v.person(e.Person)
	case TypeDistribution:
		v.programme(e.Programme, p, true)
		v.cycle(e, p)
		if e.NID == "" && e.BeneficiaryRef == "" && e.CardQR == "" {
			v.add("nid", "one of nid, beneficiary_ref or card_qr is required")
		}
		e.NID = v.nid("nid", e.NID)
		e.NIDSmart = v.smart("nid_smart", e.NIDSmart, e.NID)
		v.amount(e.Amount, p)
		v.items(e.Items)
		e.Wallet = NormalizeWallet(e.Wallet)
	case TypeAllocation:
		v.programme(e.Programme, p, true)
		v.cycle(e, p)
		v.allocation(e, p)
	case TypeStatus:
		if _, known := TransitionOf(e.Status, e.Programme); v.ok("status") && !known {
			v.add("status", fmt.Sprintf("unknown status %s; want deceased, exited, suspended, reinstated or wallet_changed", quote(e.Status)))
		}
		if e.NID == "" {
			v.add("nid", "is required")
		}
		e.NID = v.nid("nid", e.NID)
		e.NIDSmart = v.smart("nid_smart", e.NIDSmart, e.NID)
		v.programme(e.Programme, p, false)
		e.Wallet = NormalizeWallet(e.Wallet)
		if e.Status == StatusWalletChanged && e.Wallet == "" && v.ok("wallet") {
			v.add("wallet", "is required for wallet_changed")
		}
	}
	return v.err()
}

// IsIDError reports whether a validation error concerns an identity number
// (the INVALID_ID rule) rather than the event's shape.
func IsIDError(err error) bool {
	for _, f := range FieldsOf(err) {
		switch f.Field {
		case "nid", "nid_smart", "person.nid", "person.nid_smart", "person.birth_reg_no":
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

// ok reports whether field has no reason yet: a field that cannot be
// stored is not looked at further, so that no reason repeats it.
func (v *validator) ok(field string) bool {
	return !slices.ContainsFunc(v.fields, func(f FieldError) bool { return f.Field == field })
}

func (v *validator) err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return invalid("validate event", v.fields...)
}

func (v *validator) occurred(e *Event) {
	if e.OccurredAt == "" {
		v.add("occurred_at", "is required")
		return
	}
	t, err := time.Parse(time.RFC3339, e.OccurredAt)
	if err != nil {
		v.add("occurred_at", "must be an RFC 3339 time such as 2026-11-01T10:00:00+06:00")
		return
	}
	if y := t.UTC().Year(); y < minEventYear || y > maxEventYear {
		v.add("occurred_at", fmt.Sprintf("is in %d; ekjon accepts times from %d to %d", y, minEventYear, maxEventYear))
		return
	}
	e.Occurred = t
}

func (v *validator) programme(prog string, p Policy, required bool) {
	switch {
	case !v.ok("programme"):
	case prog == "" && required:
		v.add("programme", "is required")
	case prog != "" && !p.Known(prog):
		v.add("programme", fmt.Sprintf("unknown programme %s", quote(prog)))
	}
}

// cycle replaces a distribution's cycle by its canonical spelling for the
// programme's kind of cycle.
func (v *validator) cycle(e *Event, p Policy) {
	if !v.ok("cycle") || !v.ok("programme") {
		return
	}
	c, err := NormalizeCycle(p.CycleKind(e.Programme), e.Cycle)
	if err != nil {
		v.fields = append(v.fields, FieldsOf(err)...)
		return
	}
	e.Cycle = c
}

func (v *validator) amount(a float64, p Policy) {
	switch {
	case math.IsNaN(a) || a < 0:
		v.add("amount", "must not be negative")
	case a > p.MaxAmount:
		v.add("amount", "must be at most "+strconv.FormatFloat(p.MaxAmount, 'f', -1, 64))
	}
}

func (v *validator) nid(field, s string) string {
	if s == "" || !v.ok(field) {
		return s
	}
	n, ok := NormalizeNID(s)
	if !ok {
		v.add(field, "must be 10, 13 or 17 digits (Bangla or ASCII)")
		return s
	}
	return n
}

// smart normalises a 10-digit smart-card number given beside the NID
// nid (normalised): it names the same person, so a 10-digit nid that is
// another number is refused rather than guessed between.
func (v *validator) smart(field, s, nid string) string {
	if s == "" || !v.ok(field) {
		return s
	}
	d, ok := digitsOnly(s)
	if !ok || !IsSmartNID(d) {
		v.add(field, "must be 10 digits (Bangla or ASCII)")
		return s
	}
	if IsSmartNID(nid) && nid != d {
		v.add(field, "differs from the 10-digit NID beside it")
	}
	return d
}

// birthYear is the year a 17-digit NID or birth registration number
// begins with, or 0.
func birthYear(n string) int {
	if len(n) != 17 {
		return 0
	}
	y, _ := strconv.Atoi(n[:4])
	return y
}

func (v *validator) person(p *Person) {
	if p == nil {
		v.add("person", "is required")
		return
	}
	p.NID = v.nid("person.nid", p.NID)
	p.NIDSmart = v.smart("person.nid_smart", p.NIDSmart, p.NID)
	if p.BirthRegNo != "" && v.ok("person.birth_reg_no") {
		d, ok := digitsOnly(p.BirthRegNo)
		switch y := birthYear(d); {
		case !ok || len(d) != 17:
			v.add("person.birth_reg_no", "must be 17 digits")
		case y < 1900 || y > time.Now().Year():
			v.add("person.birth_reg_no", fmt.Sprintf("must begin with a birth year; %d is not one", y))
		default:
			p.BirthRegNo = d
		}
	}
	if strings.TrimSpace(p.NameBN) == "" && strings.TrimSpace(p.NameEN) == "" {
		v.add("person.name_bn", "a name in Bangla or English is required")
	}
	if p.DOB != "" && v.ok("person.dob") {
		p.DOB = foldDigits(strings.TrimSpace(p.DOB))
		dob, err := time.Parse("2006-01-02", p.DOB)
		switch {
		case err != nil:
			v.add("person.dob", "must be a date such as 1950-03-01")
		case dob.Year() < 1900 || dob.After(time.Now()):
			v.add("person.dob", "is not a plausible date of birth")
		case len(p.NID) == 17 && v.ok("person.nid") && p.NID[:4] != strconv.Itoa(dob.Year()):
			v.add("person.nid", fmt.Sprintf("17-digit NID begins with birth year %s but dob is in %d", p.NID[:4], dob.Year()))
		case len(p.BirthRegNo) == 17 && v.ok("person.birth_reg_no") && birthYear(p.BirthRegNo) != dob.Year():
			v.add("person.birth_reg_no", fmt.Sprintf("begins with birth year %s but dob is in %d", p.BirthRegNo[:4], dob.Year()))
		case len(p.NID) == 13 && v.ok("person.nid"):
			// The record keeps the full form: the year is known, and a
			// 17-digit NID shows a reader the same number a card does.
			p.NID = strconv.Itoa(dob.Year()) + p.NID
		}
	}
	if v.ok("person.gender") {
		if g, ok := NormalizeGender(p.Gender); ok {
			p.Gender = g
		} else {
			v.add("person.gender", "must be male, female, hijra or other (or M, F, পুরুষ, মহিলা, হিজড়া...)")
		}
	}
	if p.Phone != "" && v.ok("person.phone") {
		if ph, ok := NormalizePhone(p.Phone); ok {
			p.Phone = ph
		} else {
			v.add("person.phone", "is not a Bangladeshi mobile number (01[3-9] and 8 digits, or +880…)")
		}
	}
	p.Wallet = NormalizeWallet(p.Wallet)
}

func validEventID(id string) string {
	if id == "" {
		return "is required"
	}
	for _, r := range id {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return "must be printable, without spaces"
		}
	}
	return ""
}
