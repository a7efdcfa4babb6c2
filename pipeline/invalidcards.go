package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ekjon/ekjon/domain"
)

// invalidCardsWindow is the window DISTRIBUTOR_INVALID_CARDS counts in: a
// distributor who scans a few forged or foreign cards over an afternoon is
// worth a look as much as one who scans them in a minute.
const invalidCardsWindow = time.Hour

// InvalidCards counts the distributions rejected INVALID_CARD per
// distributor and per device within invalidCardsWindow, and raises
// DISTRIBUTOR_INVALID_CARDS on those past the limit: the rule on each such
// decision (its action stays REJECTED), and one alert per distributor, or
// per device when the distributor is not past it, per clock hour, so that
// a reviewer sees one alert for a burst rather than one per card. The
// alert's evidence names the distributor, the device and the counts; it
// never carries the QR. Decide calls it on every batch; a caller that
// rejects a card outside a batch (a distributor's verify) may call it on
// that outcome. It is safe for concurrent use.
func (a *Anomalies) InvalidCards(ctx context.Context, outs []*domain.Outcome) error {
	limit := a.Config.InvalidCardsPerHour
	if limit <= 0 || a.Counter == nil {
		return nil
	}
	var attempts []domain.Attempt
	var owners []*domain.Outcome
	for _, o := range outs {
		e := o.Event
		if e == nil || e.Type != domain.TypeDistribution || o.Decision.Action != domain.ActionRejected ||
			!slices.Contains(o.Decision.Rules, domain.RuleInvalidCard) {
			continue
		}
		for _, s := range []struct{ scope, id string }{{"invalid-card-distributor", e.DistributorID}, {"invalid-card-device", e.DeviceID}} {
			if id := strings.TrimSpace(s.id); id != "" {
				attempts = append(attempts, domain.Attempt{Scope: s.scope, ID: id, EventID: e.EventID, At: e.Occurred, Window: invalidCardsWindow})
				owners = append(owners, o)
			}
		}
	}
	if len(attempts) == 0 {
		return nil
	}
	counts, err := a.Counter.CountAttempts(ctx, attempts)
	if err != nil {
		return fmt.Errorf("count invalid cards: %w", err)
	}
	past := make(map[*domain.Outcome]map[string]string)
	for i, n := range counts {
		if n <= int64(limit) {
			continue
		}
		o, at := owners[i], attempts[i]
		ev := past[o]
		if ev == nil {
			ev = map[string]string{"limit_per_hour": strconv.Itoa(limit), "distributor_id": o.Event.DistributorID,
				"device_id": o.Event.DeviceID}
			past[o] = ev
		}
		who := strings.TrimPrefix(at.Scope, "invalid-card-")
		ev[who+"_invalid_cards_in_hour"] = strconv.FormatInt(n, 10)
	}
	raised := map[string]bool{}
	for _, o := range outs {
		ev, ok := past[o]
		if !ok {
			continue
		}
		d := &o.Decision
		d.Rules = append(d.Rules, domain.RuleInvalidCards)
		// One alert per distributor (or device) and clock hour: its id
		// is theirs, whichever of their cards raised it.
		who, id := "distributor", strings.TrimSpace(o.Event.DistributorID)
		if ev["distributor_invalid_cards_in_hour"] == "" {
			who, id = "device", strings.TrimSpace(o.Event.DeviceID)
		}
		hour := o.Event.Occurred.UTC().Truncate(time.Hour).Format("2006-01-02T15Z")
		key := domain.InvalidCardsKey(who, id, hour)
		if raised[key] {
			continue
		}
		raised[key] = true
		for k, v := range ev {
			if v == "" {
				delete(ev, k)
			}
		}
		ev["hour"] = hour
		district := ""
		if o.Event.Location != nil {
			district = domain.Places().PlaceArea(o.Event.Location.Area()).District
		}
		o.Alerts = append(o.Alerts, domain.Alert{
			AlertID:   domain.AlertID(key, domain.RuleInvalidCards),
			EventID:   o.Event.EventID,
			Rule:      domain.RuleInvalidCards,
			Action:    d.Action,
			Programme: o.Event.Programme,
			District:  district,
			Evidence:  ev,
			CreatedAt: d.DecidedAt,
		})
	}
	return nil
}
