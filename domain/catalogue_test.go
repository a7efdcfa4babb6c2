package domain

import "testing"

// The default catalogue must describe exactly the programmes the default
// policy accepts, with the same cycle kind, or a programme would be paid
// by one rule and described by another.
func TestDefaultCatalogueAgreesWithPolicy(t *testing.T) {
	p := DefaultPolicy()
	if len(p.Catalogue) != len(p.Programmes) {
		t.Fatalf("catalogue has %d programmes, policy accepts %d", len(p.Catalogue), len(p.Programmes))
	}
	for _, code := range p.Programmes {
		prog, ok := p.Programme(code)
		if !ok {
			t.Errorf("%s: not in the catalogue", code)
			continue
		}
		if prog.Code != code || prog.NameBN == "" || prog.NameEN == "" || prog.Ministry == "" {
			t.Errorf("%s: incomplete entry %+v", code, prog)
		}
		if prog.Cycle != p.CycleKind(code) {
			t.Errorf("%s: catalogue cycle %q, policy cycle %q", code, prog.Cycle, p.CycleKind(code))
		}
	}
	if e, ok := p.EntitlementOf("old_age"); !ok || e.Amount != 600 {
		t.Errorf("old_age entitlement = %+v, %v; want 600 taka", e, ok)
	}
	if _, ok := p.EntitlementOf("gr"); ok {
		t.Error("gr has no fixed entitlement, but EntitlementOf says it has")
	}
}
