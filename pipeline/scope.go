package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ekjon/ekjon/domain"
)

// ScopeFinder says what ekjon's distributors may hand out (see
// postgres.Store.DistributorScopes): a name that is no distributor of
// ekjon's is left out of the answer.
type ScopeFinder interface {
	DistributorScopes(ctx context.Context, usernames []string) (map[string]domain.DistributorScope, error)
}

// outOfScope blocks, before anything is claimed, the card hand-outs from
// the stream whose distributor is one of ekjon's distributors and who may
// not hand out the programme at the event's location (read through the
// gazetteer, as a scan's is) or from its device: BLOCK DISTRIBUTOR_SCOPE
// with an alert, the card neither resolved nor claimed, so that the
// person's rightful hand-out still pays. A hand-out naming a distributor
// ekjon does not know (a payment system's own agents) is not checked. It
// returns the outcomes left to decide.
func (a *Anomalies) outOfScope(ctx context.Context, outs []*domain.Outcome) ([]*domain.Outcome, error) {
	if a.Scopes == nil {
		return outs, nil
	}
	var names []string
	for _, o := range outs {
		if e := o.Event; e.Type == domain.TypeDistribution && e.CardQR != "" && strings.TrimSpace(e.DistributorID) != "" &&
			!slices.Contains(names, e.DistributorID) {
			names = append(names, e.DistributorID)
		}
	}
	if len(names) == 0 {
		return outs, nil
	}
	scopes, err := a.Scopes.DistributorScopes(ctx, names)
	if err != nil {
		return nil, fmt.Errorf("read distributors' scopes: %w", err)
	}
	rest := make([]*domain.Outcome, 0, len(outs))
	for _, o := range outs {
		e := o.Event
		sc, known := scopes[e.DistributorID]
		if e.Type != domain.TypeDistribution || e.CardQR == "" || !known {
			rest = append(rest, o)
			continue
		}
		var at domain.Location
		if e.Location != nil {
			at = *e.Location
		}
		if sc.Allows(e.Programme, at, e.DeviceID) {
			rest = append(rest, o)
			continue
		}
		d := &o.Decision
		d.Action = domain.ActionBlock
		d.Rules = append(d.Rules, domain.RuleDistributorScope)
		d.Reason = "distributor " + e.DistributorID + " may not hand out this programme at this location, or from this device"
		placed := domain.Places().PlaceArea(at.Area())
		evidence := map[string]string{"distributor_id": e.DistributorID}
		for k, v := range map[string]string{"device_id": e.DeviceID, "location_district": placed.District,
			"location_upazila": placed.Upazila, "location_union": placed.Union} {
			if v != "" {
				evidence[k] = v
			}
		}
		o.Alerts = append(o.Alerts, domain.Alert{
			AlertID: domain.AlertID(e.EventID, domain.RuleDistributorScope), EventID: e.EventID,
			Rule: domain.RuleDistributorScope, Action: d.Action, Programme: e.Programme,
			District: placed.District, Evidence: evidence, CreatedAt: d.DecidedAt,
		})
	}
	return rest, nil
}
