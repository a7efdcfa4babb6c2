package pipeline_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
	"github.com/ekjon/ekjon/pipeline"
)

// admitAll stands in for the index: it admits every event, naming its
// person after the event's nid, so that the anomalies are seen alone.
type admitAll struct{ pipeline.Decider }

func (admitAll) Decide(_ context.Context, outs []*domain.Outcome) (int64, error) {
	for _, o := range outs {
		o.Decision.Action, o.Decision.PersonID = domain.ActionAdmit, "P-"+o.Event.BeneficiaryRef
	}
	return 7, nil
}

// homes says every person lives in Savar, but P-coded in the upazila
// written as BBS code 72.
type homes struct{}

func (homes) HomeUpazilas(_ context.Context, persons []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range persons {
		out[p] = "Savar"
		if p == "P-coded" {
			out[p] = "72"
		}
	}
	return out, nil
}

func newAnomalies(t *testing.T, v int) *pipeline.Anomalies {
	t.Helper()
	rdb, prefix := redistest.MustClient(t)
	ix := redisindex.New(rdb, domain.NewPseudonymizer([]byte("anomaly-test-secret")), redisindex.Config{Prefix: prefix, Policy: domain.DefaultPolicy()})
	return &pipeline.Anomalies{Decider: admitAll{}, Counter: ix, Homes: homes{},
		Config: pipeline.AnomalyConfig{Policy: domain.DefaultPolicy(), VelocityPerMinute: v}}
}

// handOut is a valid old-age hand-out (entitlement 600) by dist on dev
// at t0 plus offset.
func handOut(t *testing.T, id, dist, dev string, amount float64, upazila string, offset time.Duration) *domain.Outcome {
	t.Helper()
	at := time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC).Add(offset)
	e := &domain.Event{EventID: id, Type: domain.TypeDistribution, OccurredAt: at.Format(time.RFC3339Nano), Source: "app",
		Programme: "old_age", Cycle: "2026-11", BeneficiaryRef: id, Amount: amount, DistributorID: dist, DeviceID: dev,
		Location: &domain.Location{District: "Dhaka", Upazila: upazila}}
	if err := domain.Validate(e, domain.DefaultPolicy()); err != nil {
		t.Fatal(err)
	}
	return &domain.Outcome{Event: e, Decision: domain.Decision{EventID: id, Rules: []string{}}}
}

func decide(t *testing.T, a *pipeline.Anomalies, outs ...*domain.Outcome) {
	t.Helper()
	for _, o := range outs {
		o.Decision.Rules, o.Alerts = []string{}, nil
	}
	if _, err := a.Decide(context.Background(), outs); err != nil {
		t.Fatal(err)
	}
}

// raised lists the events among outs that carry rule, with an alert of it.
func raised(outs []*domain.Outcome, rule string) []string {
	var ids []string
	for _, o := range outs {
		if slices.Contains(o.Decision.Rules, rule) && slices.ContainsFunc(o.Alerts, func(a domain.Alert) bool { return a.Rule == rule }) {
			ids = append(ids, o.Event.EventID)
		}
	}
	return ids
}

// TestVelocityAttacks runs the ways a fast distributor would hide their
// pace: rotating devices, rotating distributor ids on one device,
// straddling a minute's boundary, sending the batch again, dating one
// hand-out far in the future to flush the count. V is 3.
func TestVelocityAttacks(t *testing.T) {
	sec := time.Second
	tests := []struct {
		name string
		outs func(t *testing.T) []*domain.Outcome
		want []string
	}{
		{"a new device for every hand-out", func(t *testing.T) []*domain.Outcome {
			var o []*domain.Outcome
			for i := range 5 {
				o = append(o, handOut(t, fmt.Sprintf("a%d", i), "agent-1", fmt.Sprintf("dev-%d", i), 600, "Savar", time.Duration(i)*10*sec))
			}
			return o
		}, []string{"a3", "a4"}},
		{"a new distributor id on one device", func(t *testing.T) []*domain.Outcome {
			var o []*domain.Outcome
			for i := range 5 {
				o = append(o, handOut(t, fmt.Sprintf("b%d", i), fmt.Sprintf("agent-b%d", i), "dev-shared", 600, "Savar", time.Duration(i)*10*sec))
			}
			return o
		}, []string{"b3", "b4"}},
		{"across a minute's boundary", func(t *testing.T) []*domain.Outcome {
			var o []*domain.Outcome
			for i := range 4 {
				o = append(o, handOut(t, fmt.Sprintf("c%d", i), "agent-c", "", 600, "Savar", 50*sec+time.Duration(i)*5*sec))
			}
			return o
		}, []string{"c3"}},
		{"at the pace allowed", func(t *testing.T) []*domain.Outcome {
			var o []*domain.Outcome
			for i := range 6 {
				o = append(o, handOut(t, fmt.Sprintf("d%d", i), "agent-d", "dev-d", 600, "Savar", time.Duration(i)*21*sec))
			}
			return o
		}, nil},
	}
	// One counter for all: each case has distributors and devices of its
	// own.
	a := newAnomalies(t, 3)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			outs := tc.outs(t)
			decide(t, a, outs...)
			if got := raised(outs, domain.RuleDistributorVel); !slices.Equal(got, tc.want) {
				t.Errorf("DISTRIBUTOR_VELOCITY on %v, want %v", got, tc.want)
			}
			// The batch decided again (a retry, a redelivery) counts
			// each hand-out once; every hand-out of a burst now sees the
			// whole burst, as one arriving late sees those before it.
			decide(t, a, outs...)
			got := raised(outs, domain.RuleDistributorVel)
			if len(tc.want) == 0 && len(got) != 0 || len(tc.want) > 0 && len(got) != len(outs) {
				t.Errorf("decided again: DISTRIBUTOR_VELOCITY on %v", got)
			}
			for _, o := range outs {
				for _, al := range o.Alerts {
					for k, v := range al.Evidence {
						if strings.HasSuffix(k, "_attempts_in_minute") && v != fmt.Sprint(len(outs)) {
							t.Errorf("decided again, %s counts %s %s of %d hand-outs", o.Event.EventID, v, k, len(outs))
						}
					}
				}
			}
		})
	}

	t.Run("hand-outs arriving in reverse order", func(t *testing.T) {
		var outs []*domain.Outcome
		for i := range 5 {
			outs = append(outs, handOut(t, fmt.Sprintf("r%d", i), "agent-r", "", 600, "Savar", time.Duration(40-i*10)*sec))
		}
		for _, o := range outs {
			decide(t, a, o) // one batch each, the latest first
		}
		if got := raised(outs, domain.RuleDistributorVel); !slices.Equal(got, []string{"r3", "r4"}) {
			t.Errorf("DISTRIBUTOR_VELOCITY on %v, want [r3 r4]", got)
		}
	})

	t.Run("a hand-out dated in the future does not flush the count", func(t *testing.T) {
		var outs []*domain.Outcome
		for i := range 3 {
			outs = append(outs, handOut(t, fmt.Sprintf("f%d", i), "agent-f", "", 600, "Savar", time.Duration(i)*sec))
		}
		decide(t, a, outs...)
		decide(t, a, handOut(t, "future", "agent-f", "", 600, "Savar", 24*365*time.Hour))
		late := handOut(t, "f3", "agent-f", "", 600, "Savar", 4*sec)
		decide(t, a, late)
		if got := raised([]*domain.Outcome{late}, domain.RuleDistributorVel); len(got) != 1 {
			t.Errorf("the fourth hand-out in a minute raised nothing after a future-dated one")
		}
		if ev := late.Alerts[0].Evidence; ev["distributor_attempts_in_minute"] != "4" || ev["limit_per_minute"] != "3" {
			t.Errorf("evidence %v", ev)
		}
	})
}

// TestSkimAttacks runs the ways a distributor would hand over less than
// the entitlement (600 taka) unseen.
func TestSkimAttacks(t *testing.T) {
	a := newAnomalies(t, 0)
	outs := []*domain.Outcome{
		handOut(t, "full", "agent-1", "", 600, "Savar", 0),
		handOut(t, "rounded", "agent-1", "", 599.999, "Savar", 0),
		handOut(t, "skim", "agent-1", "", 450, "Savar", 0),
		// Half now, half "later": the second half is a DOUBLE_PAYMENT
		// for the index; the first is a skim here.
		handOut(t, "half", "agent-1", "", 300, "Savar", 0),
		// No amount at all reads as 0: below the entitlement.
		handOut(t, "none", "agent-1", "", 0, "Savar", 0),
		handOut(t, "paisa", "agent-1", "", 599.99, "Savar", 0),
	}
	decide(t, a, outs...)
	want := []string{"skim", "half", "none", "paisa"}
	if got := raised(outs, domain.RuleAmountBelow); !slices.Equal(got, want) {
		t.Errorf("AMOUNT_BELOW_ENTITLEMENT on %v, want %v", got, want)
	}
	if ev := outs[2].Alerts[0].Evidence; ev["shortfall"] != "150.00" || ev["entitlement"] != "600.00" || ev["distributor_id"] != "agent-1" {
		t.Errorf("evidence %v", ev)
	}
	// An amount written as a string is not a number: the event is
	// refused before any rule sees it.
	_, err := domain.DecodeEvent([]byte(`{"event_id":"s","type":"distribution","amount":"600"}`), 0)
	if domain.KindOf(err) != domain.KindInvalid || !strings.Contains(err.Error(), "amount") {
		t.Errorf("an amount as a string: %v", err)
	}
	// A hand-out that was blocked handed nothing over: no skim alert.
	blocked := handOut(t, "blocked", "agent-1", "", 100, "Savar", 0)
	a.Decider = blockAll{}
	decide(t, a, blocked)
	if len(blocked.Alerts) != 0 {
		t.Errorf("a blocked hand-out raised %v", blocked.Alerts)
	}
}

type blockAll struct{ pipeline.Decider }

func (blockAll) Decide(_ context.Context, outs []*domain.Outcome) (int64, error) {
	for _, o := range outs {
		o.Decision.Action = domain.ActionBlock
	}
	return 0, nil
}

// TestFarAttacks hands out aid away from the beneficiary's upazila, and
// near it under other spellings.
func TestFarAttacks(t *testing.T) {
	a := newAnomalies(t, 0)
	outs := []*domain.Outcome{
		handOut(t, "home", "agent-1", "", 600, "Savar", 0),
		handOut(t, "spelt", "agent-1", "", 600, "  SAVAR ", 0),
		handOut(t, "far", "agent-1", "dev-9", 600, "Dhamrai", 0),
		// A BBS code against a name cannot be judged without a
		// gazetteer: not raised rather than raised wrongly.
		handOut(t, "code", "agent-1", "", 600, "72", 0),
		handOut(t, "coded", "agent-1", "", 600, "০৭৩", 0), // NID "coded": lives in 72
	}
	decide(t, a, outs...)
	if got, want := raised(outs, domain.RuleDistributorFar), []string{"far", "coded"}; !slices.Equal(got, want) {
		t.Errorf("DISTRIBUTOR_FAR on %v, want %v", got, want)
	}
	if ev := outs[2].Alerts[0].Evidence; ev["location_upazila"] != "Dhamrai" || ev["home_upazila"] != "Savar" || ev["device_id"] != "dev-9" {
		t.Errorf("evidence %v", ev)
	}
}

// TestAllocationsAreDecidedHere admits a valid allocation without the
// index and leaves the batch's other events to it.
func TestAllocationsAreDecidedHere(t *testing.T) {
	a := newAnomalies(t, 3)
	e := &domain.Event{EventID: "al", Type: domain.TypeAllocation, OccurredAt: "2026-11-01T00:00:00Z", Source: "dss",
		Programme: "old_age", Cycle: "2026-11", DistributorID: "agent-1", Area: &domain.Area{Union: "Ashulia"}, Count: 40}
	if err := domain.Validate(e, domain.DefaultPolicy()); err != nil {
		t.Fatal(err)
	}
	al := &domain.Outcome{Event: e, Decision: domain.Decision{EventID: "al", Rules: []string{}}}
	pay := handOut(t, "p", "agent-1", "", 600, "Savar", 0)
	decide(t, a, al, pay)
	if al.Decision.Action != domain.ActionAdmit || al.Decision.PersonID != "" || !strings.Contains(al.Decision.Reason, "40") {
		t.Errorf("allocation decided %+v", al.Decision)
	}
	if pay.Decision.PersonID != "P-p" {
		t.Errorf("the hand-out was not decided by the index")
	}
}

// TestFarFromAUnion: a location that gives only its union is judged by
// the union's upazila, and its alerts name the union's district.
func TestFarFromAUnion(t *testing.T) {
	g, err := domain.ParsePlaces(strings.NewReader("division,district,upazila,union,name_en,name_bn\n,26,72,,Savar,সাভার\n,26,72,17,Ashulia,আশুলিয়া\n,26,14,,Dhamrai,ধামরাই\n,26,14,21,Kulla,কুল্লা\n"), "places.csv")
	if err != nil {
		t.Fatal(err)
	}
	old := domain.UsePlaces(g)
	t.Cleanup(func() { domain.UsePlaces(old) })
	a := newAnomalies(t, 0)
	at := func(id, union string) *domain.Outcome {
		o := handOut(t, id, "agent-1", "", 500, "", 0)
		o.Event.Location = &domain.Location{Union: union}
		return o
	}
	outs := []*domain.Outcome{at("home", "আশুলিয়া"), at("far", "261421"), at("unknown", "Ghoshpara")}
	decide(t, a, outs...)
	if got, want := raised(outs, domain.RuleDistributorFar), []string{"far"}; !slices.Equal(got, want) {
		t.Errorf("DISTRIBUTOR_FAR on %v, want %v", got, want)
	}
	if ev := outs[1].Alerts[0].Evidence; ev["location_upazila"] != "Dhamrai" {
		t.Errorf("evidence %v", ev)
	}
	// AMOUNT_BELOW_ENTITLEMENT on each: the district is the union's.
	for _, o := range outs[:2] {
		for _, al := range o.Alerts {
			if al.District != "26" {
				t.Errorf("%s: %s names district %q, want 26", o.Event.EventID, al.Rule, al.District)
			}
		}
	}
}
