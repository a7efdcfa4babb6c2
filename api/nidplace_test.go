package api

import (
	"testing"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
)

// TestCaseShowsTheNIDsDistrict: the case page names the district whose
// code opens the NID, and says when the address is in another.
func TestCaseShowsTheNIDsDistrict(t *testing.T) {
	for _, c := range []struct {
		nid, district, want string
	}{
		{"19502612345678901", "Dhaka", "Dhaka (26)"},
		{"2612345678901", "ঢাকা", "Dhaka (26)"},
		{"3312345678901", "Dhaka", "Gazipur (33), not the address's district"},
		{"3312345678901", "", "Gazipur (33)"},
		{"4444001111", "Dhaka", ""},
	} {
		e := &review.Enrolment{Record: domain.Person{NID: c.nid, Address: &domain.Address{District: c.district}}}
		if got := enrolmentFields(e)["nid_place"]; got != c.want {
			t.Errorf("NID %s, address %q: %q, want %q", c.nid, c.district, got, c.want)
		}
	}
}
