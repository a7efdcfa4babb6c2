package domain

import (
	"strings"
	"testing"
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

// FuzzDecodeEvent checks that no input makes decoding or validation panic
// and that every rejection carries a reason.
func FuzzDecodeEvent(f *testing.F) {
	f.Add([]byte(enrolmentJSON))
	f.Add([]byte(`{"event_id":"p","type":"distribution","amount":-1}`))
	f.Add([]byte("{\"type\":\"status\",\"nid\":\"\xff\"}"))
	f.Add([]byte(`[1,2,3]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEvent(b, 1<<16)
		if err == nil {
			err = Validate(e, DefaultPolicy())
		}
		if err != nil {
			if KindOf(err) != KindInvalid || err.Error() == "" {
				t.Fatalf("bad rejection: kind %v, %q", KindOf(err), err)
			}
			if !utf8.ValidString(err.Error()) {
				t.Fatalf("reason is not valid UTF-8: %q", err)
			}
			return
		}
		if e.EventID == "" || e.Occurred.IsZero() {
			t.Fatalf("accepted an event without id or time: %+v", e)
		}
	})
}
