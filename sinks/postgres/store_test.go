package postgres_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/sinks/postgres"
	"github.com/ekjon/ekjon/sinks/postgres/pgtest"
)

// mustStore opens a migrated store in a private schema.
func mustStore(tb testing.TB) *postgres.Store {
	tb.Helper()
	ctx := context.Background()
	s, err := postgres.Open(ctx, pgtest.MustSchema(tb), 4)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	if _, err := s.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return s
}

var decidedAt = time.Date(2026, 11, 5, 10, 0, 0, 0, time.UTC)

func decided(e *domain.Event, person string, action domain.Action, rules ...string) domain.Outcome {
	if rules == nil {
		rules = []string{}
	}
	e.Occurred = decidedAt.Add(-time.Hour)
	o := domain.Outcome{
		Origin: domain.Origin{Topic: "ekjon.events.v1", Offset: 7, Time: decidedAt},
		Event:  e,
		Decision: domain.Decision{EventID: e.EventID, EventType: e.Type, Source: e.Source, Programme: e.Programme,
			Action: action, Rules: rules, PersonID: person, DecidedAt: decidedAt, ConfigVersion: "test"},
		IndexKey: person[1:],
	}
	if action == domain.ActionHold || action == domain.ActionBlock {
		for _, r := range rules {
			o.Alerts = append(o.Alerts, domain.Alert{AlertID: domain.AlertID(e.EventID, r), EventID: e.EventID,
				Rule: r, Action: action, Programme: e.Programme, PersonID: person, CreatedAt: decidedAt})
		}
	}
	return o
}

func enrolment(id, person, prog string, action domain.Action, rules ...string) domain.Outcome {
	return decided(&domain.Event{EventID: id, Type: domain.TypeEnrolment, Source: "dss-mis", Programme: prog,
		BeneficiaryRef: "ref-" + id, Person: &domain.Person{NID: "1234567890", NameEN: "Rahima Begum",
			DOB: "1950-03-01", Gender: "female", Address: &domain.Address{District: "Savar"}}},
		person, action, rules...)
}

func payment(id, person, prog, cycle string, action domain.Action, rules ...string) domain.Outcome {
	return decided(&domain.Event{EventID: id, Type: domain.TypeDistribution, Source: "g2p", Programme: prog,
		Cycle: cycle, NID: "1234567890", Amount: 600, Channel: "mfs", DistributorID: "d1",
		Location: &domain.Location{District: "Savar"}}, person, action, rules...)
}

func rejected(id string) domain.Outcome {
	return domain.Outcome{Dead: true, Decision: domain.Decision{EventID: id, Action: domain.ActionRejected,
		Rules: []string{domain.RuleInvalidEvent}, Reason: "occurred_at: missing", DecidedAt: decidedAt, ConfigVersion: "test"}}
}

// counts returns the number of rows of each table Write fills.
func counts(t *testing.T, s *postgres.Store) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"decisions", "persons", "enrolments", "payments", "alerts"} {
		var n int
		if err := s.Pool().QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

// TestWriteRedelivered: a batch written again changes nothing, and Write
// returns every event's decision as it is on record, even when this attempt
// decided otherwise, leaving the outcomes it was given as they were.
func TestWriteRedelivered(t *testing.T) {
	ctx := context.Background()
	s := mustStore(t)
	batch := func() []domain.Outcome {
		return []domain.Outcome{
			enrolment("e1", "Pa", "old_age", domain.ActionAdmit),
			enrolment("e2", "Pb", "widow", domain.ActionBlock, domain.RuleMultiProgramme),
			payment("p1", "Pa", "old_age", "2026-11", domain.ActionAdmit),
			payment("p2", "Pc", "old_age", "2026-11", domain.ActionHold, domain.RuleWalletMismatch),
			rejected("bad1"),
		}
	}
	first := batch()
	recorded, err := s.Write(ctx, first, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recorded) != 0 {
		t.Fatalf("the first write found %v already recorded", slices.Collect(maps.Keys(recorded)))
	}
	want := map[string]int{"decisions": 5, "persons": 3, "enrolments": 2, "payments": 2, "alerts": 2}
	if got := counts(t, s); !maps.Equal(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}

	again := batch()
	again[2].Decision.Action, again[2].Decision.Rules = domain.ActionBlock, []string{domain.RuleDoublePayment}
	recorded, err = s.Write(ctx, again, 0)
	if err != nil {
		t.Fatalf("redelivered batch: %v", err)
	}
	if got := counts(t, s); !maps.Equal(got, want) {
		t.Fatalf("rows after redelivery %v, want %v", got, want)
	}
	if len(recorded) != len(first) {
		t.Fatalf("found %d decisions already recorded, want %d", len(recorded), len(first))
	}
	for _, o := range first {
		d, ok := recorded[o.Decision.EventID]
		if !ok || d.Action != o.Decision.Action || !slices.Equal(d.Rules, o.Decision.Rules) || !d.DecidedAt.Equal(o.Decision.DecidedAt) {
			t.Fatalf("%s: found %+v on record, want %s %v", o.Decision.EventID, d, o.Decision.Action, o.Decision.Rules)
		}
	}
	if o := again[2]; o.Redelivered || o.Decision.Action != domain.ActionBlock {
		t.Fatalf("Write changed its input: p1 is %s, redelivered %v", o.Decision.Action, o.Redelivered)
	}
}

// TestWriteSecondAdmittedPayment: the record refuses a second admitted
// payment of one person, programme and cycle as a conflict, whichever batch
// it comes in, and keeps nothing of the refused batch.
func TestWriteSecondAdmittedPayment(t *testing.T) {
	cases := []struct {
		name  string
		first []domain.Outcome
		then  []domain.Outcome
	}{
		{"in a later batch",
			[]domain.Outcome{payment("p1", "Pa", "old_age", "2026-11", domain.ActionAdmit)},
			[]domain.Outcome{enrolment("e9", "Pz", "widow", domain.ActionAdmit),
				payment("p2", "Pa", "old_age", "2026-11", domain.ActionAdmit)}},
		{"in the same batch",
			nil,
			[]domain.Outcome{enrolment("e9", "Pz", "widow", domain.ActionAdmit),
				payment("p1", "Pa", "old_age", "2026-11", domain.ActionAdmit),
				payment("p2", "Pa", "old_age", "2026-11", domain.ActionAdmit)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := mustStore(t)
			if _, err := s.Write(ctx, tc.first, 0); err != nil {
				t.Fatal(err)
			}
			before := counts(t, s)
			_, err := s.Write(ctx, tc.then, 0)
			if domain.KindOf(err) != domain.KindConflict {
				t.Fatalf("second admitted payment: %v (kind %v), want a conflict", err, domain.KindOf(err))
			}
			if got := counts(t, s); !maps.Equal(got, before) {
				t.Fatalf("rows %v after a refused batch, want %v", got, before)
			}
			// Blocked, held or of another cycle, the payment is recorded.
			ok := []domain.Outcome{
				payment("p3", "Pa", "old_age", "2026-11", domain.ActionBlock, domain.RuleDoublePayment),
				payment("p4", "Pa", "old_age", "2026-12", domain.ActionAdmit),
			}
			if _, err := s.Write(ctx, ok, 0); err != nil {
				t.Fatal(err)
			}
		})
	}
}
