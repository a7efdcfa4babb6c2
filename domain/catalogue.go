package domain

// Programme is one entry of the programme catalogue: who runs it, what it
// gives each cycle and who may draw it.
type Programme struct {
	Code     string
	NameBN   string
	NameEN   string
	Ministry string
	Cycle    CycleKind
	// Entitlement is what one beneficiary is due each cycle.
	Entitlement Entitlement
	// Eligibility is who may be enrolled.
	Eligibility Eligibility
}

// Entitlement is what one beneficiary is due in one cycle: an amount in
// taka, items in kind, or both.
type Entitlement struct {
	Amount float64
	// Items maps an item code (rice_kg, lentils_kg) to its quantity.
	Items map[string]float64
}

// Eligibility is a programme's rule of who may be enrolled. Zero values
// mean no restriction.
type Eligibility struct {
	// Genders lists the genders the programme accepts; empty means any.
	Genders []string
	// MinAge gives the minimum age in whole years by gender (male, female,
	// other); a gender not listed has no minimum.
	MinAge map[string]int
}

// Programme returns programme code's catalogue entry.
func (p Policy) Programme(code string) (Programme, bool) {
	prog, ok := p.Catalogue[code]
	return prog, ok
}

// EntitlementOf returns what programme code gives one beneficiary each
// cycle, and false when the catalogue does not say.
func (p Policy) EntitlementOf(code string) (Entitlement, bool) {
	prog, ok := p.Catalogue[code]
	if !ok || (prog.Entitlement.Amount == 0 && len(prog.Entitlement.Items) == 0) {
		return Entitlement{}, false
	}
	return prog.Entitlement, true
}
