package domain

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func allocationJSON(extra string) []byte {
	return []byte(`{"event_id":"al-1","type":"allocation","occurred_at":"2026-11-01T08:00:00+06:00","source":"dss",
		"programme":"old_age","cycle":"Nov 2026","distributor_id":"agent-1","area":{"upazila":"Savar","union":"Ashulia"}` + extra + `}`)
}

// TestAllocationValidation feeds allocations a hostile or careless source
// would send; each must be refused on the right field, or accepted
// normalised.
func TestAllocationValidation(t *testing.T) {
	many := make([]string, MaxAllocationBeneficiaries+1)
	for i := range many {
		many[i] = fmt.Sprintf("ref-%d", i)
	}
	manyJSON, _ := json.Marshal(many)
	tests := []struct {
		name, extra string
		field       string // "" means valid
	}{
		{"a count", `,"count":40,"amount":600`, ""},
		{"listed refs and card numbers", `,"beneficiaries":["DSS-1","CARD-7K2Q","DSS-৩"]`, ""},
		{"items", `,"count":5,"items":{"rice_kg":30,"lentils_kg":2}`, ""},
		{"neither list nor count", ``, "beneficiaries"},
		{"a negative count", `,"count":-5`, "count"},
		{"a count past the cap", `,"count":10000001`, "count"},
		{"both a list and a count", `,"beneficiaries":["a"],"count":1`, "count"},
		{"a ref listed twice", `,"beneficiaries":["DSS-1","DSS-2"," DSS-1 "]`, "beneficiaries[2]"},
		{"a ref listed twice in two scripts", `,"beneficiaries":["DSS-3","DSS-৩"]`, "beneficiaries[1]"},
		{"an empty ref", `,"beneficiaries":["DSS-1",""]`, "beneficiaries[1]"},
		{"a control character", `,"beneficiaries":["DSS\u0000-1"]`, "beneficiaries[0]"},
		{"a ref too long", `,"beneficiaries":["` + strings.Repeat("x", 200) + `"]`, "beneficiaries[0]"},
		{"a huge list", `,"beneficiaries":` + string(manyJSON), "beneficiaries"},
		{"a negative amount", `,"count":3,"amount":-600`, "amount"},
		{"a negative item", `,"count":3,"items":{"rice_kg":-30}`, "items"},
		{"no distributor", `,"count":3,"distributor_id":""`, "distributor_id"},
		{"a bad closes_at", `,"count":3,"closes_at":"next week"`, "closes_at"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := allocationJSON(tc.extra)
			if tc.name == "no distributor" {
				b = []byte(strings.Replace(string(b), `"distributor_id":"agent-1",`, "", 1))
				b = []byte(strings.Replace(string(b), `,"distributor_id":""`, "", 1))
			}
			e, err := DecodeEvent(b, 0)
			if err == nil {
				err = Validate(e, DefaultPolicy())
			}
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if e.Cycle != "2026-11" {
					t.Errorf("cycle %q, want 2026-11", e.Cycle)
				}
				return
			}
			if KindOf(err) != KindInvalid {
				t.Fatalf("accepted, or refused as %v: %v", KindOf(err), err)
			}
			found := false
			for _, f := range FieldsOf(err) {
				found = found || f.Field == tc.field
			}
			if !found {
				t.Errorf("refused on %v, want %s", FieldsOf(err), tc.field)
			}
			if r := Reject(e, err); r.Type != TypeAllocation || len(r.Reason) > MaxReasonBytes {
				t.Errorf("rejection %+v", r)
			}
		})
	}
}

func TestCycleCloses(t *testing.T) {
	bst := time.FixedZone("BST", 6*3600)
	week := 7 * 24 * time.Hour
	given := time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		kind   CycleKind
		cycle  string
		closes time.Time
		want   time.Time
		ok     bool
	}{
		{CycleMonthly, "2026-11", time.Time{}, time.Date(2026, 12, 1, 0, 0, 0, 0, bst).Add(week), true},
		{CycleMonthly, "2026-12", time.Time{}, time.Date(2027, 1, 1, 0, 0, 0, 0, bst).Add(week), true},
		{CycleQuarterly, "2026-Q4", time.Time{}, time.Date(2027, 1, 1, 0, 0, 0, 0, bst).Add(week), true},
		{CycleQuarterly, "2026-Q1", time.Time{}, time.Date(2026, 4, 1, 0, 0, 0, 0, bst).Add(week), true},
		{CycleOneOff, "eid-2026", time.Time{}, time.Time{}, false},
		{CycleOneOff, "eid-2026", given, given, true},
		{CycleMonthly, "2026-11", given, given, true},
	}
	for _, tc := range tests {
		got, ok := CycleCloses(tc.kind, tc.cycle, tc.closes, week)
		if ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("%s %s: %v %v, want %v %v", tc.kind, tc.cycle, got, ok, tc.want, tc.ok)
		}
	}
}

func TestReconciliationAlerts(t *testing.T) {
	now := time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)
	r := Reconciliation{Programme: "old_age", Cycle: "2026-11", DistributorID: "agent-1", AllocationID: "al-1",
		Allocated: 10, Distributed: 7, Phantom: 1, ClosesAt: now}
	r.Settle(now.Add(-time.Second))
	if r.Undistributed != 4 || r.Closed || len(ReconciliationAlerts(r, now)) != 0 {
		t.Errorf("open cycle: undistributed %d, closed %v, alerts %v", r.Undistributed, r.Closed, ReconciliationAlerts(r, now))
	}
	r.Settle(now)
	al := ReconciliationAlerts(r, now)
	if len(al) != 1 || al[0].Rule != RuleUndistributed || al[0].Evidence["undistributed"] != "4" || al[0].AlertID != "al-1/UNDISTRIBUTED_AID" {
		t.Errorf("closed cycle: %+v", al)
	}
	r.Distributed = 12
	r.Settle(now)
	al = ReconciliationAlerts(r, now)
	if len(al) != 1 || al[0].Rule != RuleOverDistribution || al[0].Evidence["excess"] != "2" {
		t.Errorf("more handed out than allotted: %+v", al)
	}
	r.AllocationID = ""
	if al := ReconciliationAlerts(r, now); len(al) != 0 {
		t.Errorf("a distributor allotted nothing: %+v", al)
	}
}
