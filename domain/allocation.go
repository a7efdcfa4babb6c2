package domain

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Area is where an allocation's aid is to be handed out: a union or an
// upazila, by name or BBS code, with the district and division above it
// where the source gives them.
type Area struct {
	Division string `json:"division,omitempty"`
	District string `json:"district,omitempty"`
	Upazila  string `json:"upazila,omitempty"`
	Union    string `json:"union,omitempty"`
}

// Label names the area by its parts from the smallest, for reports.
func (a *Area) Label() string {
	if a == nil {
		return ""
	}
	var parts []string
	for _, s := range []string{a.Union, a.Upazila, a.District} {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

// The bounds of an allocation event. A union allots a few thousand
// beneficiaries a cycle; the caps stop one event from costing the record
// more than a batch of ordinary events does.
const (
	// MaxAllocationBeneficiaries bounds the beneficiaries one allocation
	// lists; a larger allotment is split over several events or given as a
	// count.
	MaxAllocationBeneficiaries = 10_000
	// MaxAllocationCount bounds an allocation's count.
	MaxAllocationCount = 10_000_000
	// maxAllocationItems bounds the kinds of item an allocation gives.
	maxAllocationItems = 16
	// maxItemQuantity bounds one item's quantity per beneficiary.
	maxItemQuantity = 1_000_000
)

// allocation checks what an allocation event says beyond its programme and
// cycle: its distributor, area, beneficiaries or count, and what each is
// due. Beneficiary refs and card numbers are trimmed, and must be unique:
// a ref listed twice would allot one person twice.
func (v *validator) allocation(e *Event, p Policy) {
	if v.ok("distributor_id") && strings.TrimSpace(e.DistributorID) == "" {
		v.add("distributor_id", "is required")
	}
	switch a := e.Area; {
	case a == nil:
		v.add("area", "is required (a union or an upazila, by name or BBS code)")
	case strings.TrimSpace(a.Union) == "" && strings.TrimSpace(a.Upazila) == "":
		if v.ok("area.union") && v.ok("area.upazila") {
			v.add("area", "names neither a union nor an upazila")
		}
	}
	n := len(e.Beneficiaries)
	switch {
	case n > MaxAllocationBeneficiaries:
		v.add("beneficiaries", fmt.Sprintf("lists %d beneficiaries; the limit is %d (split the allocation, or give a count)", n, MaxAllocationBeneficiaries))
	case n > 0 && e.Count != 0:
		v.add("count", "give beneficiaries or a count, not both")
	case n == 0 && e.Count == 0:
		v.add("beneficiaries", "beneficiaries or a count is required")
	case e.Count < 0:
		v.add("count", "must not be negative")
	case e.Count > MaxAllocationCount:
		v.add("count", "must be at most "+strconv.Itoa(MaxAllocationCount))
	}
	if n > 0 && n <= MaxAllocationBeneficiaries {
		seen := make(map[string]int, n)
		for i, b := range e.Beneficiaries {
			field := fmt.Sprintf("beneficiaries[%d]", i)
			b = strings.TrimSpace(foldDigits(b))
			if r := textReason(b, maxIDBytes); r != "" {
				v.add(field, r)
				continue
			}
			if b == "" {
				v.add(field, "is empty")
				continue
			}
			if j, dup := seen[b]; dup {
				v.add(field, fmt.Sprintf("repeats beneficiaries[%d]", j))
				continue
			}
			seen[b] = i
			e.Beneficiaries[i] = b
		}
	}
	v.amount(e.Amount, p)
	v.items(e.Items)
	if e.ClosesAt != "" && v.ok("closes_at") {
		t, err := time.Parse(time.RFC3339, e.ClosesAt)
		if err != nil || t.Year() < minEventYear || t.Year() > maxEventYear {
			v.add("closes_at", "must be an RFC 3339 time from 2000 to 2100")
		}
	}
}

// items checks the items of an allocation or a hand-out: a few codes, each
// with a quantity above 0.
func (v *validator) items(items map[string]float64) {
	if len(items) > maxAllocationItems {
		v.add("items", fmt.Sprintf("lists %d items; the limit is %d", len(items), maxAllocationItems))
		return
	}
	for code, q := range items {
		switch {
		case textReason(code, maxCodeBytes) != "" || strings.TrimSpace(code) == "":
			v.add("items", "an item code is empty, too long or not printable")
		case math.IsNaN(q) || q <= 0 || q > maxItemQuantity:
			v.add("items", fmt.Sprintf("%s must be more than 0 and at most %d", quote(code), maxItemQuantity))
		}
	}
}

// Allotted returns how many beneficiaries an allocation allots: those it
// lists, else its count.
func (e *Event) Allotted() int64 {
	if len(e.Beneficiaries) > 0 {
		return int64(len(e.Beneficiaries))
	}
	return e.Count
}

// dhaka is Bangladesh Standard Time, in which cycles begin and end.
var dhaka = time.FixedZone("BST", 6*3600)

// CycleEnd returns when a monthly or quarterly cycle's period ends (the
// first instant of the next month or quarter, Bangladesh time), and false
// for a one-off cycle, which has no period of its own.
func CycleEnd(kind CycleKind, cycle string) (time.Time, bool) {
	switch kind {
	case CycleMonthly:
		t, err := time.ParseInLocation("2006-01", cycle, dhaka)
		if err != nil {
			return time.Time{}, false
		}
		return t.AddDate(0, 1, 0), true
	case CycleQuarterly:
		if len(cycle) != 7 || cycle[4:6] != "-Q" {
			return time.Time{}, false
		}
		y, err := strconv.Atoi(cycle[:4])
		q := int(cycle[6] - '0')
		if err != nil || q < 1 || q > 4 {
			return time.Time{}, false
		}
		return time.Date(y, time.Month(3*q+1), 1, 0, 0, 0, 0, dhaka), true
	}
	return time.Time{}, false
}

// CurrentCycle returns the monthly or quarterly cycle whose period holds
// t (Bangladesh time), as NormalizeCycle spells it, and false for a
// one-off programme, which has no current cycle.
func CurrentCycle(kind CycleKind, t time.Time) (string, bool) {
	t = t.In(dhaka)
	switch kind {
	case CycleMonthly:
		return t.Format("2006-01"), true
	case CycleQuarterly:
		return fmt.Sprintf("%04d-Q%d", t.Year(), (int(t.Month())-1)/3+1), true
	}
	return "", false
}

// CycleCloses returns when a cycle closes for the reconciliation: the
// latest closes_at its allocations give, else the end of its period
// (CycleEnd) plus grace, the time distributors have to report late
// hand-outs. A one-off cycle whose allocations give no closes_at never
// closes by itself: false.
func CycleCloses(kind CycleKind, cycle string, closesAt time.Time, grace time.Duration) (time.Time, bool) {
	if !closesAt.IsZero() {
		return closesAt, true
	}
	end, ok := CycleEnd(kind, cycle)
	if !ok {
		return time.Time{}, false
	}
	return end.Add(grace), true
}
