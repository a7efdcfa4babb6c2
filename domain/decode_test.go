package domain

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

const enrolmentJSON = `{"event_id":"dss-2026-000123","type":"enrolment","occurred_at":"2026-11-01T10:00:00+06:00",
 "source":"dss-mis","programme":"old_age","beneficiary_ref":"DSS-123",
 "person":{"nid":"১৯৫০২৬১২৩৪৫৬৭৮৯০১","name_bn":"মোঃ রফিকুল ইসলাম","name_en":"Md. Rafiqul Islam",
   "father_name":"মৃত আব্দুল করিম","mother_name":"","spouse_name":"","dob":"1950-03-01",
   "gender":"male","phone":"+8801712345678","wallet":"01712345678",
   "address":{"division":"Dhaka","district":"Dhaka","upazila":"Savar","union":"Ashulia","ward":"3","village":""}}}`

func TestDecodeValidateV1Examples(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want func(t *testing.T, e *Event)
	}{
		{"enrolment with Bangla digits", enrolmentJSON, func(t *testing.T, e *Event) {
			if e.Person.NID != "19502612345678901" {
				t.Errorf("nid = %q, want ASCII digits", e.Person.NID)
			}
			if e.Person.Phone != "01712345678" {
				t.Errorf("phone = %q", e.Person.Phone)
			}
			if e.Person.NameBN != "মোঃ রফিকুল ইসলাম" {
				t.Errorf("name_bn changed: %q", e.Person.NameBN)
			}
		}},
		{"distribution", `{"event_id":"pay-2026-11-000777","type":"distribution","occurred_at":"2026-11-05T09:12:00Z",
			"source":"g2p-gateway","programme":"old_age","cycle":"2026-11","beneficiary_ref":"DSS-123",
			"nid":"19502612345678901","card_qr":"","amount":600,"channel":"mfs","wallet":"01712345678",
			"distributor_id":"agent-5521","device_id":"","location":{"district":"Dhaka","upazila":"Savar"}}`,
			func(t *testing.T, e *Event) {
				if e.Amount != 600 || e.Cycle != "2026-11" || e.Location.Upazila != "Savar" {
					t.Errorf("decoded %+v", e)
				}
			}},
		{"status", `{"event_id":"st-000042","type":"status","occurred_at":"2026-11-07T00:00:00Z","source":"crvs",
			"nid":"19502612345678901","status":"deceased","programme":"","wallet":""}`,
			func(t *testing.T, e *Event) {
				if e.Status != StatusDeceased || e.Occurred.IsZero() {
					t.Errorf("decoded %+v", e)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := DecodeEvent([]byte(tc.in), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if err := Validate(e, DefaultPolicy()); err != nil {
				t.Fatal(err)
			}
			tc.want(t, e)
		})
	}
}

func TestRejections(t *testing.T) {
	valid := func(edit func(string) string) string { return edit(enrolmentJSON) }
	for _, tc := range []struct {
		name, in, field, reason string
		idError                 bool
	}{
		{"invalid JSON", `{"event_id":`, "", "not JSON", false},
		{"invalid UTF-8", "{\"event_id\":\"a\xff\"}", "", "not valid UTF-8", false},
		{"empty", "  ", "", "empty", false},
		{"wrong type", valid(func(s string) string { return strings.Replace(s, `"programme":"old_age"`, `"programme":7`, 1) }),
			"programme", "must be a string", false},
		{"amount as string", `{"event_id":"p1","type":"distribution","amount":"600"}`, "amount", "must be a number", false},
		{"missing event_id", valid(func(s string) string { return strings.Replace(s, `"dss-2026-000123"`, `""`, 1) }),
			"event_id", "is required", false},
		{"unknown type", valid(func(s string) string { return strings.Replace(s, `"type":"enrolment"`, `"type":"grant"`, 1) }),
			"type", "unknown event type", false},
		{"bad time", valid(func(s string) string { return strings.Replace(s, "2026-11-01T10:00:00+06:00", "1 Nov 2026", 1) }),
			"occurred_at", "RFC 3339", false},
		{"unknown programme", valid(func(s string) string { return strings.Replace(s, `"old_age"`, `"lottery"`, 1) }),
			"programme", "unknown programme", false},
		{"short NID", valid(func(s string) string {
			return strings.Replace(s, "১৯৫০২৬১২৩৪৫৬৭৮৯০১", "12345", 1)
		}),
			"person.nid", "10, 13 or 17 digits", true},
		{"NID birth year disagrees with dob", valid(func(s string) string { return strings.Replace(s, `"1950-03-01"`, `"1952-03-01"`, 1) }),
			"person.nid", "birth year 1950", true},
		{"bad phone", valid(func(s string) string { return strings.Replace(s, "+8801712345678", "12345", 1) }),
			"person.phone", "not a Bangladeshi mobile", false},
		{"no person", `{"event_id":"e1","type":"enrolment","occurred_at":"2026-11-01T10:00:00Z","source":"s","programme":"widow"}`,
			"person", "is required", false},
		{"payment names nobody", `{"event_id":"p1","type":"distribution","occurred_at":"2026-11-01T10:00:00Z","source":"s","programme":"widow","cycle":"2026-11"}`,
			"nid", "one of nid", true},
		{"bad status", `{"event_id":"s1","type":"status","occurred_at":"2026-11-01T10:00:00Z","source":"s","nid":"1234567890","status":"gone"}`,
			"status", "unknown status", false},
		{"too large", `{"event_id":"` + strings.Repeat("x", 2<<20) + `"}`, "", "limit is", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := DecodeEvent([]byte(tc.in), 1<<20)
			if err == nil {
				err = Validate(e, DefaultPolicy())
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if KindOf(err) != KindInvalid {
				t.Errorf("kind = %v, want invalid", KindOf(err))
			}
			found := false
			for _, f := range FieldsOf(err) {
				if f.Field == tc.field && strings.Contains(f.Reason, tc.reason) {
					found = true
				}
			}
			if !found {
				t.Errorf("error %q lacks field %q with %q", err, tc.field, tc.reason)
			}
			if IsIDError(err) != tc.idError {
				t.Errorf("IsIDError = %v, want %v", IsIDError(err), tc.idError)
			}
		})
	}
}

func TestNormalizeIDs(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"+8801712345678", "01712345678", true},
		{"8801712345678", "01712345678", true},
		{"008801712345678", "01712345678", true},
		{"01712-345678", "01712345678", true},
		{"০১৭১২৩৪৫৬৭৮", "01712345678", true},
		{"1712345678", "01712345678", true},
		{"01212345678", "", false},
		{"0171234567", "", false},
		{"call me", "", false},
	} {
		got, ok := NormalizePhone(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"১৯৫০ ২৬১২ ৩৪৫৬ ৭৮৯০১", "19502612345678901", true},
		{"2612345678901", "2612345678901", true},
		{"1234567890", "1234567890", true},
		{"12345678901", "12345678901", false},
		{"12a4567890", "", false},
	} {
		got, ok := NormalizeNID(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("NormalizeNID(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestPseudonymizerHidesAndIsStable(t *testing.T) {
	p := NewPseudonymizer([]byte("0123456789abcdef"))
	a, b := p.PersonID("nid", "19502612345678901"), p.PersonID("nid", "19502612345678901")
	if a != b {
		t.Fatal("person id is not stable")
	}
	if strings.Contains(a, "1950261") || a == NewPseudonymizer([]byte("another secret!!")).PersonID("nid", "19502612345678901") {
		t.Fatalf("person id %q reveals the NID or ignores the secret", a)
	}
}

// FuzzDecodeEvent checks that no input makes decoding or validation panic,
// that every rejection carries a reason that is printable and bounded and
// leaves only safe fields to record, and that an accepted event holds
// only what validation promises: every text field valid UTF-8, free of
// control characters and within its cap, the amount within bounds, the
// time within range, the cycle canonical, and a person PostgreSQL's jsonb
// accepts.
func FuzzDecodeEvent(f *testing.F) {
	f.Add([]byte(enrolmentJSON))
	f.Add([]byte(`{"event_id":"p","type":"distribution","amount":-1}`))
	f.Add([]byte("{\"type\":\"status\",\"nid\":\"\xff\"}"))
	f.Add([]byte(`[1,2,3]`))
	f.Add([]byte(`{"event_id":"pay-1","type":"distribution","occurred_at":"2026-11-05T09:12:00Z","source":"g2p",
		"programme":"old_age","cycle":"Nov 2026","nid":"1950261234","amount":600,"channel":"mfs","wallet":"01712345678",
		"distributor_id":"a-1","device_id":"d","card_qr":"q","location":{"district":"Dhaka","upazila":"Savar"}}`))
	f.Add([]byte(`{"event_id":"pay-2","type":"distribution","occurred_at":"2026-11-05T09:12:00Z","source":"g2p",
		"programme":"vgf","cycle":" Eid-2026 ","nid":"1950261234","amount":1e12}`))
	f.Add([]byte(`{"event_id":"st-1","type":"status","occurred_at":"2026-11-07T00:00:00Z","source":"crvs\u0000",
		"nid":"1950261234","status":"wallet_changed","programme":"old_age","wallet":"01812345678"}`))
	f.Add([]byte(strings.Replace(enrolmentJSON, `"village":""`, `"village":"\u0000"`, 1)))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := DefaultPolicy()
		e, err := DecodeEvent(b, 1<<16)
		if err == nil {
			err = Validate(e, p)
		}
		if err != nil {
			if KindOf(err) != KindInvalid || err.Error() == "" {
				t.Fatalf("bad rejection: kind %v, %q", KindOf(err), err)
			}
			checkRejection(t, Reject(e, err))
			return
		}
		checkAccepted(t, e, p)
	})
}

// checkRejection fails the test unless what r leaves to record is safe.
func checkRejection(t *testing.T, r Rejection) {
	t.Helper()
	checkReason(t, r.Reason, MaxReasonBytes)
	switch r.Type {
	case "", TypeEnrolment, TypeDistribution, TypeStatus:
	default:
		t.Fatalf("rejection keeps type %q", r.Type)
	}
	if r.Rule != RuleInvalidEvent && r.Rule != RuleInvalidID {
		t.Fatalf("rejection rule %q", r.Rule)
	}
	for _, s := range []string{r.Source, r.Programme} {
		if s != "" {
			checkReason(t, s, 64)
		}
	}
}

// checkAccepted fails the test unless e, accepted by Validate under p,
// holds what validation promises.
func checkAccepted(t *testing.T, e *Event, p Policy) {
	t.Helper()
	caps := map[string]int{}
	for _, f := range textFields(e) {
		caps[f.name] = f.max
	}
	walkText(reflect.ValueOf(e).Elem(), "", func(field, s string) {
		max, ok := caps[field]
		switch {
		case !ok:
			t.Fatalf("text field %s has no cap", field)
		case !utf8.ValidString(s):
			t.Fatalf("%s is not UTF-8: %q", field, s)
		case len(s) > max:
			t.Fatalf("%s is %d bytes, more than its cap %d", field, len(s), max)
		}
		for _, r := range s {
			if unicode.IsControl(r) {
				t.Fatalf("%s holds %U: %q", field, r, s)
			}
		}
	})
	if e.EventID == "" || e.Occurred.IsZero() {
		t.Fatalf("accepted an event without id or time: %+v", e)
	}
	if y := e.Occurred.UTC().Year(); y < 2000 || y > 2100 {
		t.Fatalf("accepted a time in %d", y)
	}
	if e.Type == TypeDistribution {
		if !(e.Amount >= 0 && e.Amount <= p.MaxAmount) {
			t.Fatalf("accepted amount %v", e.Amount)
		}
		if c, err := NormalizeCycle(p.CycleKind(e.Programme), e.Cycle); err != nil || c != e.Cycle {
			t.Fatalf("accepted cycle %q is not canonical (%q, %v)", e.Cycle, c, err)
		}
	}
	if e.Person != nil {
		b, err := json.Marshal(e.Person)
		if err != nil || bytes.Contains(b, []byte(`\u0000`)) {
			t.Fatalf("the person's record would be refused by jsonb: %s (%v)", b, err)
		}
	}
}

// walkText calls fn with the wire name and value of every string field
// of the struct v, nested parts included.
func walkText(v reflect.Value, prefix string, fn func(field, s string)) {
	for i := 0; i < v.NumField(); i++ {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			fn(prefix+name, f.String())
		case reflect.Pointer:
			if !f.IsNil() && f.Elem().Kind() == reflect.Struct {
				walkText(f.Elem(), prefix+name+".", fn)
			}
		}
	}
}

// TestDecodeErrorNamesNoEmptyField: an error about the event as a whole
// reads "decode event: not JSON: ...", not with an empty field name.
func TestDecodeErrorNamesNoEmptyField(t *testing.T) {
	for _, in := range []string{"not json", "", `{"event_id": 1`} {
		_, err := DecodeEvent([]byte(in), 0)
		if err == nil {
			t.Fatalf("%q decoded", in)
		}
		if msg := err.Error(); strings.Contains(msg, ": : ") || strings.HasSuffix(msg, ": ") {
			t.Errorf("%q: %q names an empty field", in, msg)
		}
	}
}
