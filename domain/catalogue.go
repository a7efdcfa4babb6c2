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

// defaultCatalogue is the catalogue of DefaultPolicy: the Department of
// Social Services' allowances at their 2024-25 monthly rates, and the
// relief programmes, whose entitlements a cycle's allocation sets.
func defaultCatalogue() map[string]Programme {
	const dss = "Ministry of Social Welfare"
	const relief = "Ministry of Disaster Management and Relief"
	const women = "Ministry of Women and Children Affairs"
	const food = "Ministry of Food"
	const liberation = "Ministry of Liberation War Affairs"
	list := []Programme{
		{Code: "old_age", NameBN: "বয়স্ক ভাতা", NameEN: "Old Age Allowance", Ministry: dss, Cycle: CycleMonthly,
			Entitlement: Entitlement{Amount: 600},
			Eligibility: Eligibility{MinAge: map[string]int{"male": 65, "female": 62}}},
		{Code: "widow", NameBN: "বিধবা ও স্বামী নিগৃহীতা ভাতা", NameEN: "Widow and Husband-Deserted Women Allowance", Ministry: dss, Cycle: CycleMonthly,
			Entitlement: Entitlement{Amount: 550},
			Eligibility: Eligibility{Genders: []string{"female"}, MinAge: map[string]int{"female": 18}}},
		{Code: "disability", NameBN: "প্রতিবন্ধী ভাতা", NameEN: "Disability Allowance", Ministry: dss, Cycle: CycleMonthly,
			Entitlement: Entitlement{Amount: 850}},
		{Code: "disability_stipend", NameBN: "প্রতিবন্ধী শিক্ষার্থীদের উপবৃত্তি", NameEN: "Disability Education Stipend", Ministry: dss, Cycle: CycleMonthly,
			Entitlement: Entitlement{Amount: 900}},
		{Code: "hijra", NameBN: "হিজড়া জনগোষ্ঠীর ভাতা", NameEN: "Hijra Livelihood Allowance", Ministry: dss, Cycle: CycleMonthly,
			Entitlement: Entitlement{Amount: 600}},
		{Code: "bede", NameBN: "বেদে জনগোষ্ঠীর ভাতা", NameEN: "Bede Livelihood Allowance", Ministry: dss, Cycle: CycleMonthly,
			Entitlement: Entitlement{Amount: 500}},
		{Code: "backward_community", NameBN: "অনগ্রসর জনগোষ্ঠীর ভাতা", NameEN: "Backward Community Allowance", Ministry: dss, Cycle: CycleMonthly,
			Entitlement: Entitlement{Amount: 500}},
		{Code: "tea_garden", NameBN: "চা শ্রমিক জীবনমান উন্নয়ন", NameEN: "Tea Garden Workers' Support", Ministry: dss, Cycle: CycleMonthly,
			Entitlement: Entitlement{Amount: 5000}},
		{Code: "freedom_fighter", NameBN: "বীর মুক্তিযোদ্ধা সম্মানী ভাতা", NameEN: "Freedom Fighters' Honorarium", Ministry: liberation, Cycle: CycleMonthly,
			Entitlement: Entitlement{Amount: 20000}},
		{Code: "vgd", NameBN: "ভিজিডি", NameEN: "Vulnerable Group Development", Ministry: women, Cycle: CycleMonthly,
			Entitlement: Entitlement{Items: map[string]float64{"rice_kg": 30}},
			Eligibility: Eligibility{Genders: []string{"female"}}},
		{Code: "vgf", NameBN: "ভিজিএফ", NameEN: "Vulnerable Group Feeding", Ministry: relief, Cycle: CycleOneOff,
			Entitlement: Entitlement{Items: map[string]float64{"rice_kg": 10}}},
		{Code: "gr", NameBN: "জিআর", NameEN: "Gratuitous Relief", Ministry: relief, Cycle: CycleOneOff},
		{Code: "oms", NameBN: "ওএমএস", NameEN: "Open Market Sales", Ministry: food, Cycle: CycleOneOff},
		{Code: "emergency_cash", NameBN: "জরুরি নগদ সহায়তা", NameEN: "Emergency Cash Transfer", Ministry: relief, Cycle: CycleOneOff,
			Entitlement: Entitlement{Amount: 2500}},
	}
	out := make(map[string]Programme, len(list))
	for _, p := range list {
		out[p.Code] = p
	}
	return out
}
