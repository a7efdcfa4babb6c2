package domain

import "testing"

func TestDistributorScopeAllows(t *testing.T) {
	savar := DistributorScope{Programmes: []string{"old_age", "widow"}, Areas: []string{"Savar", "26"}, Devices: []string{"tab-1"}}
	all := DistributorScope{Programmes: []string{"*"}, Areas: []string{"*"}}
	for _, c := range []struct {
		name                                 string
		scope                                DistributorScope
		programme, district, upazila, device string
		want                                 bool
	}{
		{"in scope", savar, "old_age", "Dhaka", "Savar", "tab-1", true},
		{"area by district code", savar, "widow", "26", "", "tab-1", true},
		{"area case and spaces", savar, "widow", "", " savar ", "tab-1", true},
		{"other programme", savar, "vgd", "Dhaka", "Savar", "tab-1", false},
		{"other area", savar, "old_age", "Sylhet", "Sylhet Sadar", "tab-1", false},
		{"other device", savar, "old_age", "Dhaka", "Savar", "tab-2", false},
		{"no location", savar, "old_age", "", "", "tab-1", false},
		{"everything", all, "vgf", "Sylhet", "", "any", true},
		{"no scope at all", DistributorScope{}, "old_age", "Dhaka", "Savar", "", false},
		{"empty programme never matches a list", savar, "", "Dhaka", "Savar", "tab-1", false},
	} {
		if got := c.scope.Allows(c.programme, c.district, c.upazila, c.device); got != c.want {
			t.Errorf("%s: Allows = %v, want %v", c.name, got, c.want)
		}
	}
}
