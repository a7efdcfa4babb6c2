package review

import (
	"testing"

	"github.com/ekjon/ekjon/domain"
)

func TestRoles(t *testing.T) {
	cases := []struct {
		role                       string
		valid                      bool
		reviewer, supervisor, sees bool
	}{
		{RoleViewer, true, false, false, false},
		{RoleReviewer, true, true, false, false},
		{RoleSupervisor, true, true, true, true},
		{RoleAdmin, true, true, true, true},
		{"auditor", false, false, false, false},
		{"", false, false, false, false},
	}
	for _, tc := range cases {
		if got := ValidRole(tc.role); got != tc.valid {
			t.Errorf("ValidRole(%q) = %v", tc.role, got)
		}
		if got := AtLeast(tc.role, RoleReviewer); got != tc.reviewer {
			t.Errorf("AtLeast(%q, reviewer) = %v", tc.role, got)
		}
		if got := AtLeast(tc.role, RoleSupervisor); got != tc.supervisor {
			t.Errorf("AtLeast(%q, supervisor) = %v", tc.role, got)
		}
		if got := SeesPersonalData(tc.role); got != tc.sees {
			t.Errorf("SeesPersonalData(%q) = %v", tc.role, got)
		}
	}
}

// TestMasking: personal data is masked below supervisor, but for its last
// digits; other fields never are.
func TestMasking(t *testing.T) {
	cases := []struct {
		role, field, value, want string
	}{
		{RoleViewer, "nid", "1000000004", "••••••0004"},
		{RoleReviewer, "nid", "1000000004", "••••••0004"},
		{RoleReviewer, "birth_reg_no", "20001234567890123", "•••••••••••••0123"},
		{RoleReviewer, "nid_smart", "4444001111", "••••••1111"},
		{RoleReviewer, "phone", "01712345678", "••••••••678"},
		{RoleReviewer, "wallet", "01712345678", "••••••••678"},
		{RoleReviewer, "name_bn", "মোঃ রফিকুল ইসলাম", "মোঃ রফিকুল ইসলাম"},
		{RoleReviewer, "wallet_key", "w-abc", "w-abc"},
		{"auditor", "nid", "1000000004", "••••••0004"},
		{RoleSupervisor, "nid", "1000000004", "1000000004"},
		{RoleAdmin, "phone", "01712345678", "01712345678"},
	}
	for _, tc := range cases {
		if got := MaskField(tc.role, tc.field, tc.value); got != tc.want {
			t.Errorf("MaskField(%s, %s, %s) = %s, want %s", tc.role, tc.field, tc.value, got, tc.want)
		}
	}

	p := domain.Person{NID: "1000000004", BirthRegNo: "20001234567890123", Phone: "01712345678", Wallet: "01799999999", NameEN: "Rafiqul Islam"}
	e := &Enrolment{PersonID: "P1", Record: p}
	v := &PersonView{PersonID: "P1", NID: p.NID, Enrolments: []Enrolment{*e}}
	MaskPersonView(RoleReviewer, v)
	m := MaskEnrolment(RoleReviewer, e)
	for _, got := range []domain.Person{MaskPerson(RoleReviewer, p), m.Record, v.Enrolments[0].Record} {
		if got.NID != "••••••0004" || got.BirthRegNo != "•••••••••••••0123" || got.Phone != "••••••••678" ||
			got.Wallet != "••••••••999" || got.NameEN != p.NameEN {
			t.Errorf("masked for a reviewer: %+v", got)
		}
	}
	if v.NID != "••••••0004" {
		t.Errorf("person view's NID: %s", v.NID)
	}
	if e.Record.NID != p.NID {
		t.Errorf("MaskEnrolment changed its argument: %+v", e.Record)
	}
	if got := MaskEnrolment(RoleSupervisor, e); got.Record != p {
		t.Errorf("masked for a supervisor: %+v", got.Record)
	}
	if MaskEnrolment(RoleViewer, nil) != nil {
		t.Errorf("a missing enrolment became one")
	}
}
