package domain

import (
	"strings"
	"testing"
)

func TestNormalizeCycle(t *testing.T) {
	for _, tc := range []struct {
		kind     CycleKind
		in, want string // want "" means refused
	}{
		{CycleMonthly, "2026-11", "2026-11"},
		{CycleMonthly, "2026-1", "2026-01"},
		{CycleMonthly, "2026-01", "2026-01"},
		{CycleMonthly, "2026/11", "2026-11"},
		{CycleMonthly, "2026.11", "2026-11"},
		{CycleMonthly, "11/2026", "2026-11"},
		{CycleMonthly, "11-2026", "2026-11"},
		{CycleMonthly, "1/2026", "2026-01"},
		{CycleMonthly, "Nov 2026", "2026-11"},
		{CycleMonthly, "nov 2026", "2026-11"},
		{CycleMonthly, "NOVEMBER 2026", "2026-11"},
		{CycleMonthly, "November 2026", "2026-11"},
		{CycleMonthly, "2026 Nov", "2026-11"},
		{CycleMonthly, "Sept 2026", "2026-09"},
		{CycleMonthly, "2026-11 ", "2026-11"},
		{CycleMonthly, "  2026-11\t", "2026-11"},
		{CycleMonthly, "২০২৬-১১", "2026-11"},
		{CycleMonthly, "১১/২০২৬", "2026-11"},
		{CycleMonthly, "নভেম্বর ২০২৬", ""},
		{CycleMonthly, "2026-13", ""},
		{CycleMonthly, "2026-0", ""},
		{CycleMonthly, "2026-00", ""},
		{CycleMonthly, "2026-011", ""},
		{CycleMonthly, "1999-12", ""},
		{CycleMonthly, "2101-01", ""},
		{CycleMonthly, "2026-11-05", ""},
		{CycleMonthly, "202611", ""},
		{CycleMonthly, "26-11", ""},
		{CycleMonthly, "Nov", ""},
		{CycleMonthly, "Novem 2026", ""},
		{CycleMonthly, "2026-Q4", ""},
		{CycleMonthly, "", ""},
		{CycleMonthly, "   ", ""},
		{CycleMonthly, "11/12", ""},
		{CycleMonthly, "2026 2027", ""},

		{CycleQuarterly, "2026-Q4", "2026-Q4"},
		{CycleQuarterly, "2026Q4", "2026-Q4"},
		{CycleQuarterly, "2026-q4", "2026-Q4"},
		{CycleQuarterly, "Q4 2026", "2026-Q4"},
		{CycleQuarterly, "q1-2026", "2026-Q1"},
		{CycleQuarterly, " 2026 Q2 ", "2026-Q2"},
		{CycleQuarterly, "২০২৬-Q৩", "2026-Q3"},
		{CycleQuarterly, "2026-Q5", ""},
		{CycleQuarterly, "2026-Q0", ""},
		{CycleQuarterly, "2026-11", ""},
		{CycleQuarterly, "1999-Q4", ""},
		{CycleQuarterly, "Q4", ""},
		{CycleQuarterly, "2026-QQ4", ""},

		{CycleOneOff, "flood-2026", "flood-2026"},
		{CycleOneOff, " Eid.2026_Relief ", "eid.2026_relief"},
		{CycleOneOff, "2026-11", "2026-11"},
		{CycleOneOff, "r২", "r2"},
		{CycleOneOff, strings.Repeat("x", 40), strings.Repeat("x", 40)},
		{CycleOneOff, strings.Repeat("x", 41), ""},
		{CycleOneOff, "flood 2026", ""},
		{CycleOneOff, "flood/2026", ""},
		{CycleOneOff, "বন্যা", ""},
		{CycleOneOff, "", ""},
		{CycleOneOff, "x\x00", ""},

		{"weekly", "2026-11", ""},
	} {
		got, err := NormalizeCycle(tc.kind, tc.in)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("NormalizeCycle(%s, %q) = %q, want an error", tc.kind, tc.in, got)
		case tc.want != "" && err != nil:
			t.Errorf("NormalizeCycle(%s, %q): %v, want %q", tc.kind, tc.in, err, tc.want)
		case got != tc.want:
			t.Errorf("NormalizeCycle(%s, %q) = %q, want %q", tc.kind, tc.in, got, tc.want)
		}
		if err != nil {
			if KindOf(err) != KindInvalid || !hasField(err, "cycle") {
				t.Errorf("NormalizeCycle(%s, %q): error %v is not an invalid cycle", tc.kind, tc.in, err)
			}
			for _, f := range FieldsOf(err) {
				checkReason(t, f.Reason, fieldReasonBound)
			}
			continue
		}
		// The canonical form is a fixed point.
		if again, err := NormalizeCycle(tc.kind, got); err != nil || again != got {
			t.Errorf("NormalizeCycle(%s, %q) = %q, %v; not a fixed point", tc.kind, got, again, err)
		}
	}
}

// TestValidateStoresTheCanonicalCycle: a payment's cycle is normalised by
// its programme's kind, so that the index's claim and the record's unique
// index see one spelling; a cycle that does not parse is refused on the
// field cycle.
func TestValidateStoresTheCanonicalCycle(t *testing.T) {
	p := DefaultPolicy()
	for _, tc := range []struct {
		programme, cycle, want string
	}{
		{"old_age", "Nov 2026", "2026-11"},
		{"widow", "2026/1", "2026-01"},
		{"vgd", "11-2026 ", "2026-11"},
		{"tea_garden", "২০২৬-১১", "2026-11"},
		{"vgf", " Eid-2026 ", "eid-2026"},
		{"emergency_cash", "Flood.Sylhet.2026", "flood.sylhet.2026"},
		{"old_age", "Eid-2026", ""},
		{"old_age", "", ""},
		{"gr", "flood 2026", ""},
	} {
		e := validEvents(t)[TypeDistribution]
		e.Programme, e.Cycle = tc.programme, tc.cycle
		err := Validate(e, p)
		if tc.want == "" {
			if err == nil || !hasField(err, "cycle") {
				t.Errorf("%s %q: %v, want a cycle error", tc.programme, tc.cycle, err)
			}
			if err != nil && IsIDError(err) {
				t.Errorf("%s %q: a bad cycle is not an identity error", tc.programme, tc.cycle)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %q: %v", tc.programme, tc.cycle, err)
		} else if e.Cycle != tc.want {
			t.Errorf("%s %q: cycle %q, want %q", tc.programme, tc.cycle, e.Cycle, tc.want)
		}
	}
}

func TestPolicyCycleKinds(t *testing.T) {
	p := DefaultPolicy()
	for _, prog := range p.Programmes {
		if _, ok := p.Cycles[prog]; !ok {
			t.Errorf("programme %s has no cycle kind", prog)
		}
	}
	for prog, want := range map[string]CycleKind{
		"old_age": CycleMonthly, "freedom_fighter": CycleMonthly, "vgd": CycleMonthly,
		"vgf": CycleOneOff, "gr": CycleOneOff, "oms": CycleOneOff, "emergency_cash": CycleOneOff,
	} {
		if got := p.CycleKind(prog); got != want {
			t.Errorf("%s: %s, want %s", prog, got, want)
		}
	}
	p.Cycles = map[string]CycleKind{"old_age": "fortnightly"}
	if p.Validate() == nil {
		t.Error("an unknown cycle kind was accepted")
	}
}
