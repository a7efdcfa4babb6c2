package domain

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// validEvents returns one valid event of each type, built afresh so that a
// test may change it.
func validEvents(t *testing.T) map[EventType]*Event {
	t.Helper()
	out := map[EventType]*Event{}
	for _, s := range []string{
		enrolmentJSON,
		`{"event_id":"pay-1","type":"distribution","occurred_at":"2026-11-05T09:12:00Z","source":"g2p-gateway",
		 "programme":"old_age","cycle":"2026-11","beneficiary_ref":"DSS-123","nid":"19502612345678901","card_qr":"card-1",
		 "amount":600,"channel":"mfs","wallet":"01712345678","distributor_id":"agent-5521","device_id":"dev-9",
		 "location":{"district":"Dhaka","upazila":"Savar"}}`,
		`{"event_id":"st-1","type":"status","occurred_at":"2026-11-07T00:00:00Z","source":"crvs",
		 "nid":"19502612345678901","status":"wallet_changed","programme":"old_age","wallet":"01812345678"}`,
	} {
		e, err := DecodeEvent([]byte(s), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if err := Validate(e, DefaultPolicy()); err != nil {
			t.Fatalf("the valid %s: %v", e.Type, err)
		}
		e2, _ := DecodeEvent([]byte(s), 1<<20)
		out[e.Type] = e2
	}
	return out
}

// fieldReasonBound is the most bytes a reason about one field may take.
const fieldReasonBound = 256

// textSetters names every text field of an event, with the event type
// that carries it and how to set it. It is written out here, apart from
// the validator, so that a field the validator forgets is caught.
var textSetters = []struct {
	field string
	typ   EventType
	set   func(e *Event, v string)
}{
	{"event_id", TypeStatus, func(e *Event, v string) { e.EventID = v }},
	{"type", TypeStatus, func(e *Event, v string) { e.Type = EventType(v) }},
	{"occurred_at", TypeStatus, func(e *Event, v string) { e.OccurredAt = v }},
	{"source", TypeStatus, func(e *Event, v string) { e.Source = v }},
	{"programme", TypeStatus, func(e *Event, v string) { e.Programme = v }},
	{"nid", TypeStatus, func(e *Event, v string) { e.NID = v }},
	{"nid_smart", TypeStatus, func(e *Event, v string) { e.NIDSmart = v }},
	{"status", TypeStatus, func(e *Event, v string) { e.Status = v }},
	{"wallet", TypeStatus, func(e *Event, v string) { e.Wallet = v }},
	{"beneficiary_ref", TypeDistribution, func(e *Event, v string) { e.BeneficiaryRef = v }},
	{"cycle", TypeDistribution, func(e *Event, v string) { e.Cycle = v }},
	{"card_qr", TypeDistribution, func(e *Event, v string) { e.CardQR = v }},
	{"channel", TypeDistribution, func(e *Event, v string) { e.Channel = v }},
	{"wallet", TypeDistribution, func(e *Event, v string) { e.Wallet = v }},
	{"distributor_id", TypeDistribution, func(e *Event, v string) { e.DistributorID = v }},
	{"device_id", TypeDistribution, func(e *Event, v string) { e.DeviceID = v }},
	{"location.district", TypeDistribution, func(e *Event, v string) { e.Location.District = v }},
	{"location.upazila", TypeDistribution, func(e *Event, v string) { e.Location.Upazila = v }},
	{"beneficiary_ref", TypeEnrolment, func(e *Event, v string) { e.BeneficiaryRef = v }},
	{"person.nid", TypeEnrolment, func(e *Event, v string) { e.Person.NID = v }},
	{"person.birth_reg_no", TypeEnrolment, func(e *Event, v string) { e.Person.BirthRegNo = v }},
	{"person.nid_smart", TypeEnrolment, func(e *Event, v string) { e.Person.NIDSmart = v }},
	{"person.name_bn", TypeEnrolment, func(e *Event, v string) { e.Person.NameBN = v }},
	{"person.name_en", TypeEnrolment, func(e *Event, v string) { e.Person.NameEN = v }},
	{"person.father_name", TypeEnrolment, func(e *Event, v string) { e.Person.FatherName = v }},
	{"person.mother_name", TypeEnrolment, func(e *Event, v string) { e.Person.MotherName = v }},
	{"person.spouse_name", TypeEnrolment, func(e *Event, v string) { e.Person.SpouseName = v }},
	{"person.dob", TypeEnrolment, func(e *Event, v string) { e.Person.DOB = v }},
	{"person.gender", TypeEnrolment, func(e *Event, v string) { e.Person.Gender = v }},
	{"person.phone", TypeEnrolment, func(e *Event, v string) { e.Person.Phone = v }},
	{"person.wallet", TypeEnrolment, func(e *Event, v string) { e.Person.Wallet = v }},
	{"person.address.division", TypeEnrolment, func(e *Event, v string) { e.Person.Address.Division = v }},
	{"person.address.district", TypeEnrolment, func(e *Event, v string) { e.Person.Address.District = v }},
	{"person.address.upazila", TypeEnrolment, func(e *Event, v string) { e.Person.Address.Upazila = v }},
	{"person.address.union", TypeEnrolment, func(e *Event, v string) { e.Person.Address.Union = v }},
	{"person.address.ward", TypeEnrolment, func(e *Event, v string) { e.Person.Address.Ward = v }},
	{"person.address.village", TypeEnrolment, func(e *Event, v string) { e.Person.Address.Village = v }},
	// Fields an event of this type does not use are checked all the same:
	// what cannot be stored is refused wherever it comes.
	{"card_qr", TypeStatus, func(e *Event, v string) { e.CardQR = v }},
	{"channel", TypeEnrolment, func(e *Event, v string) { e.Channel = v }},
}

// TestEveryTextFieldIsChecked puts into each text field, in turn, what
// PostgreSQL refuses (NUL), other control characters, a value too long
// and bytes that are not UTF-8: each is refused on that field, with a
// reason that is printable and bounded.
func TestEveryTextFieldIsChecked(t *testing.T) {
	for _, bad := range []struct{ name, value string }{
		{"NUL", "Ashu\x00lia"},
		{"escape", "\x1b[31mred"},
		{"newline", "two\nlines"},
		{"DEL", "x\x7f"},
		{"C1 control", "x\u0085y"},
		{"too long", strings.Repeat("ক", 4000)},
		{"not UTF-8", "x\xffy"},
	} {
		for _, f := range textSetters {
			t.Run(bad.name+"/"+string(f.typ)+"/"+f.field, func(t *testing.T) {
				e := validEvents(t)[f.typ]
				f.set(e, bad.value)
				err := Validate(e, DefaultPolicy())
				if err == nil {
					t.Fatalf("accepted %q in %s", bad.value, f.field)
				}
				if KindOf(err) != KindInvalid {
					t.Errorf("kind %v", KindOf(err))
				}
				found := false
				for _, fe := range FieldsOf(err) {
					if fe.Field == f.field {
						found = true
					}
					checkReason(t, fe.Reason, fieldReasonBound)
				}
				if !found {
					t.Errorf("error %q does not name %s", err, f.field)
				}
			})
		}
	}
}

// TestPersonRefusedByJSONB: a person with \u0000 in a field PostgreSQL's
// jsonb would refuse is refused by validation, wherever the NUL is.
func TestPersonRefusedByJSONB(t *testing.T) {
	for _, field := range []string{"name_en", "father_name", "mother_name", "spouse_name", "dob"} {
		in := strings.Replace(enrolmentJSON, `"`+field+`":"`, `"`+field+`":"\u0000`, 1)
		e, err := DecodeEvent([]byte(in), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if err := Validate(e, DefaultPolicy()); err == nil {
			b, _ := json.Marshal(e.Person)
			t.Errorf("%s: accepted a person whose record would be %s", field, b)
		}
	}
	in := strings.Replace(enrolmentJSON, `"village":""`, `"village":"Bai\u0000pail"`, 1)
	e, _ := DecodeEvent([]byte(in), 1<<20)
	if err := Validate(e, DefaultPolicy()); err == nil {
		t.Error("accepted \\u0000 in the address")
	}
}

func TestAmountBounds(t *testing.T) {
	p := DefaultPolicy()
	for _, tc := range []struct {
		amount float64
		ok     bool
	}{
		{0, true}, {600, true}, {1_000_000_000, true},
		{1_000_000_000.01, false}, {1e12, false}, {1e300, false}, {-0.01, false},
	} {
		e := validEvents(t)[TypeDistribution]
		e.Amount = tc.amount
		err := Validate(e, p)
		if (err == nil) != tc.ok {
			t.Errorf("amount %v: err %v, want ok %v", tc.amount, err, tc.ok)
		}
		if err != nil && !hasField(err, "amount") {
			t.Errorf("amount %v: error %q does not name amount", tc.amount, err)
		}
	}
	p.MaxAmount = 5000
	e := validEvents(t)[TypeDistribution]
	e.Amount = 5000.5
	if err := Validate(e, p); err == nil || !strings.Contains(err.Error(), "5000") {
		t.Errorf("a policy's lower cap: %v", err)
	}
}

func TestPolicyAmountCap(t *testing.T) {
	for _, max := range []float64{0, -1, 1e12, 2e12} {
		p := DefaultPolicy()
		p.MaxAmount = max
		if p.Validate() == nil {
			t.Errorf("MaxAmount %v accepted", max)
		}
	}
}

func TestOccurredAtRange(t *testing.T) {
	for _, tc := range []struct {
		at string
		ok bool
	}{
		{"2026-11-01T10:00:00+06:00", true},
		{"2000-01-01T00:00:00Z", true},
		{"2100-12-31T23:59:59Z", true},
		{"1999-12-31T23:59:59Z", false},
		{"2101-01-01T00:00:00Z", false},
		{"0001-01-01T00:00:00Z", false},
		{"9999-12-31T23:59:59Z", false},
	} {
		e := validEvents(t)[TypeStatus]
		e.OccurredAt = tc.at
		err := Validate(e, DefaultPolicy())
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v, want ok %v", tc.at, err, tc.ok)
		}
		if err != nil && !hasField(err, "occurred_at") {
			t.Errorf("%s: error %q does not name occurred_at", tc.at, err)
		}
	}
}

// TestEchoedValuesAreQuotedAndClipped: a bad value repeated in a reason is
// quoted, so that what it holds cannot pass for the reason's own words,
// and clipped, so that a reason stays short.
func TestEchoedValuesAreQuotedAndClipped(t *testing.T) {
	for _, tc := range []struct {
		field string
		set   func(e *Event)
	}{
		{"type", func(e *Event) { e.Type = EventType(`grant"; source: fine; x` + strings.Repeat("y", 30)) }},
		{"status", func(e *Event) { e.Status = "gone; " + strings.Repeat("ও", 19) }},
		{"programme", func(e *Event) { e.Programme = "lottery\u200f" + strings.Repeat("x", 20) }},
	} {
		e := validEvents(t)[TypeStatus]
		tc.set(e)
		err := Validate(e, DefaultPolicy())
		var reason string
		for _, f := range FieldsOf(err) {
			if f.Field == tc.field {
				reason = f.Reason
			}
		}
		if reason == "" {
			t.Errorf("%s: no reason in %v", tc.field, err)
			continue
		}
		checkReason(t, reason, fieldReasonBound)
		if !strings.Contains(reason, `"`) || strings.Contains(reason, "\u200f") ||
			strings.Contains(reason, "source: fine") && !strings.Contains(reason, `grant\"; source: fine`) {
			t.Errorf("%s: the echoed value is not quoted: %s", tc.field, reason)
		}
		if strings.Contains(reason, "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy") || strings.Count(reason, "ও") > 14 {
			t.Errorf("%s: the echoed value is not clipped: %s", tc.field, reason)
		}
	}
	// A number too large for any amount is named without its digits.
	in := `{"event_id":"p1","type":"distribution","amount":1` + strings.Repeat("0", 5000) + `}`
	_, err := DecodeEvent([]byte(in), 1<<20)
	if err == nil || !hasField(err, "amount") {
		t.Fatalf("a 5000-digit amount: %v", err)
	}
	checkReason(t, err.Error(), MaxReasonBytes)
}

// TestReject: what is recorded of a rejected event is safe to store,
// whatever the event held.
func TestReject(t *testing.T) {
	e := validEvents(t)[TypeEnrolment]
	e.Source = "dss\x00mis"
	e.Programme = "old_age\x1b"
	e.Type = "enrolment\x00"
	err := Validate(e, DefaultPolicy())
	r := Reject(e, err)
	if r.Type != "" || r.Source != "" || r.Programme != "" {
		t.Errorf("unsafe fields kept: %+v", r)
	}
	if r.Rule != RuleInvalidEvent {
		t.Errorf("rule %s", r.Rule)
	}
	checkReason(t, r.Reason, MaxReasonBytes)

	e = validEvents(t)[TypeEnrolment]
	e.Person.NID = "12345"
	r = Reject(e, Validate(e, DefaultPolicy()))
	if r.Type != TypeEnrolment || r.Source != "dss-mis" || r.Programme != "old_age" || r.Rule != RuleInvalidID {
		t.Errorf("safe fields lost: %+v", r)
	}

	e = validEvents(t)[TypeEnrolment]
	e.Source = strings.Repeat("s", 65)
	e.Programme = strings.Repeat("p", 10_000)
	r = Reject(e, Validate(e, DefaultPolicy()))
	if r.Source != "" || r.Programme != "" {
		t.Errorf("long fields kept: %d and %d bytes", len(r.Source), len(r.Programme))
	}

	// An event that could not be decoded at all.
	_, err = DecodeEvent([]byte("{\"event_id\":\"x\",\"type\":\"status\",\"source\":\"a\\u0000\",\"amount\":\"lots\"}"), 1<<20)
	r = Reject(nil, err)
	if r.Rule != RuleInvalidEvent || r.Type != "" || r.Source != "" || r.Reason == "" {
		t.Errorf("undecodable: %+v", r)
	}

	// A reason of many long fields stays bounded.
	var fields []FieldError
	for i := 0; i < 200; i++ {
		fields = append(fields, FieldError{Field: fmt.Sprintf("f%d", i), Reason: strings.Repeat("ৎ\x00", 100)})
	}
	r = Reject(nil, &Error{Kind: KindInvalid, Op: "validate event", Fields: fields})
	checkReason(t, r.Reason, MaxReasonBytes)
}

func TestSafeText(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		max      int
	}{
		{"dss-mis", "dss-mis", 64},
		{"ঢাকা", "ঢাকা", 64},
		{"", "", 64},
		{"a\x00b", "", 64},
		{"a\tb", "", 64},
		{"a\xffb", "", 64},
		{strings.Repeat("x", 65), "", 64},
		{strings.Repeat("x", 64), strings.Repeat("x", 64), 64},
	} {
		if got := SafeText(tc.in, tc.max); got != tc.want {
			t.Errorf("SafeText(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

// checkReason fails the test unless reason is non-empty, valid UTF-8, free
// of control characters and at most max bytes.
func checkReason(tb testing.TB, reason string, max int) {
	tb.Helper()
	switch {
	case reason == "":
		tb.Error("empty reason")
	case !utf8.ValidString(reason):
		tb.Errorf("reason is not UTF-8: %.200q…", reason)
	case len(reason) > max:
		tb.Errorf("reason is %d bytes, more than %d: %.200q…", len(reason), max, reason)
	}
	for _, r := range reason {
		if unicode.IsControl(r) || !unicode.IsPrint(r) && r != ' ' {
			tb.Errorf("reason holds %U: %.200q…", r, reason)
			return
		}
	}
}

func hasField(err error, field string) bool {
	for _, f := range FieldsOf(err) {
		if f.Field == field {
			return true
		}
	}
	return false
}
