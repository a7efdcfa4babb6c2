package pipeline_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
	"github.com/ekjon/ekjon/pipeline"
)

// rejectForged stands in for the index: a card QR beginning "forged" is
// REJECTED INVALID_CARD, as the index rejects a QR it did not sign; any
// other event is admitted.
type rejectForged struct{ pipeline.Decider }

func (rejectForged) Decide(_ context.Context, outs []*domain.Outcome) (int64, error) {
	for _, o := range outs {
		if strings.HasPrefix(o.Event.CardQR, "forged") {
			o.Decision.Action = domain.ActionRejected
			o.Decision.Rules = append(o.Decision.Rules, domain.RuleInvalidCard)
			o.Dead = true
			continue
		}
		o.Decision.Action, o.Decision.PersonID = domain.ActionAdmit, "P-1"
	}
	return 1, nil
}

// scanAt is a scan of qr by dist on dev at 09:00 plus offset.
func scanAt(t *testing.T, id, qr, dist, dev string, offset time.Duration) *domain.Outcome {
	t.Helper()
	at := time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC).Add(offset)
	e := &domain.Event{EventID: id, Type: domain.TypeDistribution, OccurredAt: at.Format(time.RFC3339Nano), Source: "scan-api",
		Programme: "old_age", Cycle: "2026-11", CardQR: qr, Amount: 600, DistributorID: dist, DeviceID: dev,
		Location: &domain.Location{District: "ঢাকা", Upazila: "Savar"}}
	if err := domain.Validate(e, domain.DefaultPolicy()); err != nil {
		t.Fatal(err)
	}
	return &domain.Outcome{Event: e, Decision: domain.Decision{EventID: id, Rules: []string{}}}
}

// TestInvalidCardsAlertOncePerHour: cards rejected INVALID_CARD are
// counted per distributor and device within an hour; past the limit each
// decision says so, and one alert per distributor (or device) and clock
// hour is raised, with no QR in it, under the same id however often the
// events are decided.
func TestInvalidCardsAlertOncePerHour(t *testing.T) {
	rdb, prefix := redistest.MustClient(t)
	ix := redisindex.New(rdb, domain.NewPseudonymizer([]byte("invalid-cards-test")), redisindex.Config{Prefix: prefix, Policy: domain.DefaultPolicy()})
	a := &pipeline.Anomalies{Decider: rejectForged{}, Counter: ix,
		Config: pipeline.AnomalyConfig{Policy: domain.DefaultPolicy(), InvalidCardsPerHour: 3}}
	m := time.Minute
	burst := []*domain.Outcome{
		scanAt(t, "a1", "forged-1", "d1", "tab-1", 0),
		scanAt(t, "a2", "forged-2", "d1", "tab-1", 10*m),
		scanAt(t, "ok", "genuine", "d1", "tab-1", 12*m), // a live card: not counted
		scanAt(t, "a3", "forged-3", "d1", "tab-1", 20*m),
		scanAt(t, "a4", "forged-4", "d1", "tab-1", 30*m), // the fourth in the hour
		scanAt(t, "a5", "forged-5", "d1", "tab-1", 40*m),
		// Three by d2 on its own device: at the limit, not past it.
		scanAt(t, "b1", "forged-6", "d2", "tab-2", 0),
		scanAt(t, "b2", "forged-7", "d2", "tab-2", 5*m),
		scanAt(t, "b3", "forged-8", "d2", "tab-2", 9*m),
		// Two distributors on one device: the device is past it.
		scanAt(t, "c1", "forged-9", "d3", "tab-9", 0),
		scanAt(t, "c2", "forged-10", "d4", "tab-9", m),
		scanAt(t, "c3", "forged-11", "d3", "tab-9", 2*m),
		scanAt(t, "c4", "forged-12", "d4", "tab-9", 3*m),
		// d1 again two hours later: a new hour, a new alert.
		scanAt(t, "e1", "forged-13", "d1", "tab-1", 120*m),
		scanAt(t, "e2", "forged-14", "d1", "tab-1", 121*m),
		scanAt(t, "e3", "forged-15", "d1", "tab-1", 122*m),
		scanAt(t, "e4", "forged-16", "d1", "tab-1", 123*m),
	}
	type alert struct{ id, event string }
	run := func() ([]string, []alert) {
		decide(t, a, burst...)
		var alerts []alert
		for _, o := range burst {
			for _, al := range o.Alerts {
				if al.Rule != domain.RuleInvalidCards {
					t.Errorf("%s: alert %s", o.Event.EventID, al.Rule)
				}
				for k, v := range al.Evidence {
					if strings.Contains(v, "forged") || strings.Contains(v, "genuine") {
						t.Errorf("%s: evidence %s carries the QR: %q", al.AlertID, k, v)
					}
				}
				if al.PersonID != "" || al.District != "26" || al.Action != domain.ActionRejected {
					t.Errorf("alert %+v", al)
				}
				alerts = append(alerts, alert{al.AlertID, al.EventID})
			}
			if o.Event.EventID == "ok" && o.Decision.Action != domain.ActionAdmit {
				t.Errorf("the live card: %+v", o.Decision)
			}
		}
		return raised(burst, domain.RuleInvalidCards), alerts
	}
	wantRules := []string{"a4", "a5", "c4", "e4"}
	wantAlerts := []alert{
		{"invalid-cards:distributor:d1:2026-11-05T09Z/DISTRIBUTOR_INVALID_CARDS", "a4"},
		{"invalid-cards:device:tab-9:2026-11-05T09Z/DISTRIBUTOR_INVALID_CARDS", "c4"},
		{"invalid-cards:distributor:d1:2026-11-05T11Z/DISTRIBUTOR_INVALID_CARDS", "e4"},
	}
	for pass := 1; pass <= 2; pass++ {
		if pass == 2 {
			// Decided again, each card is counted once, and each
			// now meets every card of its hour: the rule is on the
			// whole of a burst past the limit, and the alerts are the
			// same ones (by id: the record keeps the first), raised on
			// the burst's first card.
			wantRules = []string{"a1", "a2", "a3", "a4", "a5", "c1", "c2", "c3", "c4", "e1", "e2", "e3", "e4"}
			wantAlerts[0].event, wantAlerts[1].event, wantAlerts[2].event = "a1", "c1", "e1"
		}
		withRule, alerts := run()
		var ruled []string
		for _, o := range burst {
			for _, r := range o.Decision.Rules {
				if r == domain.RuleInvalidCards {
					ruled = append(ruled, o.Event.EventID)
				}
			}
		}
		if strings.Join(ruled, ",") != strings.Join(wantRules, ",") {
			t.Errorf("pass %d: the rule on %v, want %v", pass, ruled, wantRules)
		}
		if len(withRule) != 3 || len(alerts) != len(wantAlerts) {
			t.Fatalf("pass %d: alerts %v (on %v), want %v", pass, alerts, withRule, wantAlerts)
		}
		for i := range alerts {
			if alerts[i] != wantAlerts[i] {
				t.Errorf("pass %d: alert %v, want %v", pass, alerts[i], wantAlerts[i])
			}
		}
	}
	// Off, no alert.
	a.Config.InvalidCardsPerHour = 0
	if withRule, alerts := run(); len(withRule) != 0 || len(alerts) != 0 {
		t.Errorf("with the rule off: %v %v", withRule, alerts)
	}
}
