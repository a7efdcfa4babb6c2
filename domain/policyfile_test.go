package domain

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// goldenPolicy is the policy as it was written in Go before the policy
// file held it: the embedded file must say exactly this, so that moving
// the rules into YAML changed no decision.
func goldenPolicy() Policy {
	return Policy{
		Version: "2026-11.1",
		Programmes: []string{
			"old_age", "widow", "disability", "disability_stipend",
			"hijra", "bede", "backward_community", "tea_garden",
			"freedom_fighter", "vgd", "vgf", "gr", "oms", "emergency_cash",
		},
		Exclusive:              [][]string{{"old_age", "widow", "disability"}},
		RecentWalletChangeDays: 30,
		MaxAmount:              1_000_000_000,
		Cycles: map[string]CycleKind{
			"old_age": CycleMonthly, "widow": CycleMonthly, "disability": CycleMonthly,
			"disability_stipend": CycleMonthly, "hijra": CycleMonthly, "bede": CycleMonthly,
			"backward_community": CycleMonthly, "tea_garden": CycleMonthly,
			"freedom_fighter": CycleMonthly, "vgd": CycleMonthly,
			"vgf": CycleOneOff, "gr": CycleOneOff, "oms": CycleOneOff, "emergency_cash": CycleOneOff,
		},
		Catalogue: goldenCatalogue(),
	}
}

// goldenCatalogue is the catalogue as Go once held it.
func goldenCatalogue() map[string]Programme {
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

// TestDefaultPolicyIsTheGoldenPolicy compares every setting of the
// embedded policy file with the rules it replaced: programmes in order,
// exclusive groups, cycles, thresholds and the whole catalogue.
func TestDefaultPolicyIsTheGoldenPolicy(t *testing.T) {
	got, want := DefaultPolicy(), goldenPolicy()
	if got.Version != want.Version {
		t.Errorf("version %q, want %q", got.Version, want.Version)
	}
	if !reflect.DeepEqual(got.Programmes, want.Programmes) {
		t.Errorf("programmes %v, want %v", got.Programmes, want.Programmes)
	}
	if !reflect.DeepEqual(got.Exclusive, want.Exclusive) {
		t.Errorf("exclusive %v, want %v", got.Exclusive, want.Exclusive)
	}
	if got.RecentWalletChangeDays != want.RecentWalletChangeDays || got.MaxAmount != want.MaxAmount {
		t.Errorf("thresholds %d days, %v taka; want %d, %v", got.RecentWalletChangeDays, got.MaxAmount, want.RecentWalletChangeDays, want.MaxAmount)
	}
	if !reflect.DeepEqual(got.Cycles, want.Cycles) {
		t.Errorf("cycles %v, want %v", got.Cycles, want.Cycles)
	}
	for code, w := range want.Catalogue {
		if g := got.Catalogue[code]; !reflect.DeepEqual(g, w) {
			t.Errorf("%s: catalogue entry\n%+v\nwant\n%+v", code, g, w)
		}
	}
	if len(got.Catalogue) != len(want.Catalogue) {
		t.Errorf("catalogue has %d programmes, want %d", len(got.Catalogue), len(want.Catalogue))
	}
	for _, code := range got.Programmes {
		if _, ok := got.MinistryOf(code); !ok {
			t.Errorf("%s: its ministry %q is not among the ministries", code, got.Catalogue[code].Ministry)
		}
	}
}

// DefaultPolicy gives each caller its own copy.
func TestDefaultPolicyIsACopy(t *testing.T) {
	a := DefaultPolicy()
	a.Catalogue["old_age"].Eligibility.MinAge["male"] = 1
	a.Exclusive[0][0] = "x"
	if b := DefaultPolicy(); b.Catalogue["old_age"].Eligibility.MinAge["male"] != 65 || b.Exclusive[0][0] != "old_age" {
		t.Fatal("a change to one DefaultPolicy showed in the next")
	}
}

// A bad policy file is refused with every problem and the line it is on.
// TestParsePolicyMatchWeights: a policy's match weights are read as given.
func TestParsePolicyMatchWeights(t *testing.T) {
	p, err := ParsePolicy("p.yaml", append(DefaultPolicyYAML(), "match_weights:\n  - {field: dob, level: year_off_by_one, m: 0.05, u: 0.09}\n"...))
	if err != nil {
		t.Fatal(err)
	}
	if want := []MatchWeight{{Field: "dob", Level: "year_off_by_one", M: 0.05, U: 0.09}}; !slices.Equal(p.MatchWeights, want) {
		t.Fatalf("match weights %+v, want %+v", p.MatchWeights, want)
	}
	if len(DefaultPolicy().MatchWeights) != 0 {
		t.Fatal("the embedded policy names match weights; the scorer's own are the default")
	}
}

func TestParsePolicyProblems(t *testing.T) {
	base := string(DefaultPolicyYAML())
	cases := []struct {
		name, text string
		line       int
		want       string
	}{
		{"unknown key", "version: \"1\"\nmax_amount: 10\nrecent_wallet_change_days: 1\nmaxamount: 3\n", 4, "maxamount"},
		{"bad type", "version: \"1\"\nmax_amount: lots\nrecent_wallet_change_days: 1\n", 2, "`lots` into float64"},
		{"bad yaml", "version: \"1\"\nprogrammes: [\n", 0, ""},
		{"missing version", "max_amount: 10\nrecent_wallet_change_days: 1\n", 0, "version: required"},
		{"cycle kind", strings.Replace(base, "    cycle: one-off\n    entitlement: {amount: 2500}", "    cycle: weekly\n    entitlement: {amount: 2500}", 1), lineOf(base, "  - code: emergency_cash"), "cycle \"weekly\""},
		{"unknown ministry", strings.Replace(base, "ministry: food", "ministry: foods", 1), lineOf(base, "  - code: oms"), "ministry \"foods\""},
		{"exclusive unknown", strings.Replace(base, "[old_age, widow, disability]", "[old_age, widows]", 1), lineOf(base, "  - [old_age"), "\"widows\" is not among"},
		{"duplicate programme", strings.Replace(base, "code: bede", "code: hijra", 1), lineOf(base, "  - code: bede"), "listed twice"},
		{"min age", strings.Replace(base, "{male: 65, female: 62}", "{male: 65, female: 620}", 1), lineOf(base, "  - code: old_age"), "min_age 620"},
		{"gender", strings.Replace(base, "genders: [female]", "genders: [woman]", 1), lineOf(base, "  - code: widow"), "gender \"woman\""},
		{"negative amount", strings.Replace(base, "{amount: 850}", "{amount: -850}", 1), lineOf(base, "  - code: disability\n"), "amount -850"},
		{"max amount", strings.Replace(base, "max_amount: 1000000000", "max_amount: 1e13", 1), lineOf(base, "max_amount:"), "max_amount"},
		{"two documents", base + "---\nversion: x\n", 0, "more than one"},
		{"weight out of range", base + "match_weights:\n  - {field: dob, level: exact, m: 1, u: 0.001}\n", lineOf(base+"match_weights:\n  - {", "  - {"), "between 0 and 1"},
		{"weight without u", base + "match_weights:\n  - {field: dob, level: exact, m: 0.5}\n", 0, "m and u are required"},
		{"weight twice", base + "match_weights:\n  - {field: dob, level: exact, m: 0.5, u: 0.001}\n  - {field: dob, level: exact, m: 0.4, u: 0.001}\n", 0, "given twice"},
		{"weight unnamed", base + "match_weights:\n  - {level: exact, m: 0.5, u: 0.001}\n", 0, "field and level are required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParsePolicy("p.yaml", []byte(c.text))
			var pe *PolicyFileError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *PolicyFileError", err)
			}
			found := false
			for _, p := range pe.Problems {
				if strings.Contains(p.Msg, c.want) && (c.line == 0 || p.Line == c.line) {
					found = true
				}
			}
			if !found {
				t.Errorf("problems %+v: none at line %d says %q", pe.Problems, c.line, c.want)
			}
			if c.line > 0 && !strings.Contains(err.Error(), "p.yaml:") {
				t.Errorf("error %q does not name the file and line", err)
			}
		})
	}
}

// lineOf returns the 1-based line of text where s begins.
func lineOf(text, s string) int {
	i := strings.Index(text, s)
	if i < 0 {
		panic("lineOf: " + s + " not found")
	}
	return strings.Count(text[:i], "\n") + 1
}
