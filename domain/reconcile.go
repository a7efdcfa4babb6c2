package domain

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// Reconciliation is what one distributor was allotted and handed out in
// one programme's cycle: the row of the distribution report. Its figures
// are counts of beneficiaries and amounts in taka.
type Reconciliation struct {
	Programme     string `json:"programme"`
	Cycle         string `json:"cycle"`
	DistributorID string `json:"distributor_id"`
	// Area names the areas the distributor was allotted, each once
	// however the allocations wrote it, smallest part first; Areas are
	// the same areas read by the gazetteer (stored form, key, label and
	// the parts it does not know). District is the first area's district
	// by BBS code (as given when unknown), DistrictName its name.
	Area         string       `json:"area"`
	Areas        []PlacedArea `json:"areas"`
	District     string       `json:"district"`
	DistrictName string       `json:"district_name"`
	// Allocated counts the beneficiaries allotted; AllocatedAmount is what
	// they are due in taka (each allocation's amount, else the programme's
	// entitlement).
	Allocated       int64   `json:"allocated"`
	AllocatedAmount float64 `json:"allocated_amount"`
	// Distributed counts the admitted hand-outs the distributor reported;
	// DistributedAmount is what they say was handed over.
	Distributed       int64   `json:"distributed"`
	DistributedAmount float64 `json:"distributed_amount"`
	// AllocatedItems and DistributedItems count the items (rice_kg …)
	// allotted and handed out, for programmes whose aid is in items: each
	// allocation's or hand-out's own, or else the programme's entitlement.
	AllocatedItems   map[string]float64 `json:"allocated_items,omitempty"`
	DistributedItems map[string]float64 `json:"distributed_items,omitempty"`
	// Blocked counts the distributor's attempts that were not admitted,
	// by the first rule of their decision.
	Blocked map[string]int64 `json:"blocked"`
	// Undistributed is what of Allocated was not handed out.
	Undistributed int64 `json:"undistributed"`
	// Phantom counts the admitted hand-outs no allocation covers.
	Phantom int64 `json:"phantom"`
	// ClosesAt is when the cycle closes (CycleCloses), zero if it does not
	// close by itself; Closed says it has.
	ClosesAt time.Time `json:"closes_at,omitzero"`
	Closed   bool      `json:"closed"`
	// ByArea splits the row by the areas allotted, in Areas' order: what
	// the allocations of each area allot, and the admitted hand-outs
	// whose location lies in it. Unplaced counts the admitted hand-outs
	// whose location lies in none of them, or says too little to tell
	// (an upazila alone, where a union was allotted).
	ByArea   []AreaFigures `json:"by_area,omitempty"`
	Unplaced int64         `json:"distributed_unplaced"`
	// AllocationID is the event id of the distributor's first allocation
	// in the cycle, which the cycle's alerts on it are raised on; "" for
	// a distributor allotted nothing.
	AllocationID string `json:"allocation_id,omitempty"`
}

// AreaFigures is one area of a reconciliation row: its key and label as
// the gazetteer reads it, the beneficiaries its allocations allot (as
// they give them, a ref listed twice counted twice), and the admitted
// hand-outs located in it.
type AreaFigures struct {
	Key         string `json:"key"`
	Label       string `json:"label"`
	Allocated   int64  `json:"allocated"`
	Distributed int64  `json:"distributed"`
}

// LocatedCount is a count of hand-outs at one location, as stored.
type LocatedCount struct {
	District string `json:"district"`
	Upazila  string `json:"upazila"`
	Union    string `json:"union"`
	N        int64  `json:"n"`
}

// SplitByArea fills in r's ByArea and Unplaced, after SettleAreas: allotted
// gives each allocation's area with what it allots, handed the admitted
// hand-outs by location. A hand-out lies in the first of r's areas whose
// every part it matches, places compared by code (unknown ones by their
// spelling).
func (g *Gazetteer) SplitByArea(r *Reconciliation, allotted []Area, counts []int64, handed []LocatedCount) {
	r.ByArea, r.Unplaced = nil, 0
	at := map[string]int{}
	parts := make([][]string, len(r.Areas))
	for i, a := range r.Areas {
		at[a.Key] = i
		parts[i] = strings.Split(a.Key, "/")
		r.ByArea = append(r.ByArea, AreaFigures{Key: a.Key, Label: a.Label})
	}
	for i, a := range allotted {
		if j, ok := at[g.PlaceArea(a).Key]; ok && i < len(counts) {
			r.ByArea[j].Allocated += counts[i]
		}
	}
	for _, h := range handed {
		key := strings.Split(g.PlaceArea(Area{District: h.District, Upazila: h.Upazila, Union: h.Union}).Key, "/")
		placed := false
		for j, ps := range parts {
			if within(key, ps) {
				r.ByArea[j].Distributed += h.N
				placed = true
				break
			}
		}
		if !placed {
			r.Unplaced += h.N
		}
	}
}

// within reports whether a location's key parts match every part an
// area's key gives.
func within(loc, area []string) bool {
	given := false
	for i, p := range area {
		if p == "" {
			continue
		}
		given = true
		if i >= len(loc) || loc[i] != p {
			return false
		}
	}
	return given
}

// BlockedTotal sums the blocked attempts over every rule.
func (r *Reconciliation) BlockedTotal() int64 {
	var n int64
	for _, c := range r.Blocked {
		n += c
	}
	return n
}

// BlockedRules lists the rules of r's blocked attempts, sorted.
func (r *Reconciliation) BlockedRules() []string {
	out := make([]string, 0, len(r.Blocked))
	for rule := range r.Blocked {
		out = append(out, rule)
	}
	sort.Strings(out)
	return out
}

// Settle fills in what follows from the counts: the undistributed aid and
// whether the cycle has closed at now.
func (r *Reconciliation) Settle(now time.Time) {
	covered := r.Distributed - r.Phantom
	r.Undistributed = max(r.Allocated-covered, 0)
	r.Closed = !r.ClosesAt.IsZero() && !now.Before(r.ClosesAt)
}

// ReconciliationAlerts returns the alerts r calls for at now:
// OVER_DISTRIBUTION as soon as a distributor has reported more hand-outs
// than were allotted to them, and UNDISTRIBUTED_AID once the cycle has
// closed with allotted aid not handed out. Each is raised on the
// distributor's first allocation and named by it, so that the
// reconciliation run again, by any process, raises none twice.
func ReconciliationAlerts(r Reconciliation, now time.Time) []Alert {
	if r.AllocationID == "" {
		return nil
	}
	evidence := func() map[string]string {
		return map[string]string{
			"distributor_id": r.DistributorID,
			"cycle":          r.Cycle,
			"area":           r.Area,
			"allocated":      strconv.FormatInt(r.Allocated, 10),
			"distributed":    strconv.FormatInt(r.Distributed, 10),
			"phantom":        strconv.FormatInt(r.Phantom, 10),
		}
	}
	var out []Alert
	if r.Distributed > r.Allocated {
		ev := evidence()
		ev["excess"] = strconv.FormatInt(r.Distributed-r.Allocated, 10)
		out = append(out, Alert{
			AlertID: AlertID(r.AllocationID, RuleOverDistribution), EventID: r.AllocationID,
			Rule: RuleOverDistribution, Action: ActionAdmit, Programme: r.Programme,
			District: r.District, Evidence: ev, CreatedAt: now,
		})
	}
	if r.Closed && r.Undistributed > 0 {
		ev := evidence()
		ev["undistributed"] = strconv.FormatInt(r.Undistributed, 10)
		ev["closed_at"] = r.ClosesAt.UTC().Format(time.RFC3339)
		out = append(out, Alert{
			AlertID: AlertID(r.AllocationID, RuleUndistributed), EventID: r.AllocationID,
			Rule: RuleUndistributed, Action: ActionAdmit, Programme: r.Programme,
			District: r.District, Evidence: ev, CreatedAt: now,
		})
	}
	return out
}

// Attempt is one distribution attempt counted against a distributor or a
// device for DISTRIBUTOR_VELOCITY: Scope is "distributor" or "device", ID
// the one counted, At when the hand-out was recorded. Window is the
// sliding window counted, a minute when zero; other scopes count other
// attempts (DISTRIBUTOR_INVALID_CARDS counts the cards rejected).
type Attempt struct {
	Scope, ID, EventID string
	At                 time.Time
	Window             time.Duration
}

// ReconcileFilter narrows the distribution report and the scorecards; an
// empty field matches all. District, in any spelling or by code, matches
// the district of a row's first area. Programmes, when not nil, bounds
// the programmes to those a ministry's user may see (empty: none).
type ReconcileFilter struct {
	Programme, Cycle, District, Distributor string
	Programmes                              []string
}

// Scorecard is one distributor's record over the cycles a filter selects:
// hand-outs admitted and their amount and items, the devices used,
// attempts not admitted by the first rule of their decision, and the
// alerts raised on their hand-outs and allocations, by rule. Items count
// a hand-out that names none at its programme's entitlement, as the
// reconciliation does.
type Scorecard struct {
	DistributorID string             `json:"distributor_id"`
	Payments      int64              `json:"payments"`
	Amount        float64            `json:"amount"`
	Items         map[string]float64 `json:"items,omitempty"`
	Devices       int64              `json:"devices"`
	Blocked       map[string]int64   `json:"blocked"`
	Alerts        map[string]int64   `json:"alerts"`
}
