package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/sinks/postgres"
)

// contactAlert is enrolment id, decided action, with a SHARED_CONTACT alert
// of the case of number contact.
func contactAlert(id string, action domain.Action, contact string) domain.Outcome {
	o := enrolment(id, "P"+id, "old_age", action)
	o.Decision.Rules = []string{domain.RuleSharedContact}
	o.Alerts = []domain.Alert{{AlertID: domain.AlertID(id, domain.RuleSharedContact), EventID: id,
		Rule: domain.RuleSharedContact, Action: action, Programme: "old_age", PersonID: "P" + id,
		CaseID: "contact-" + contact, CreatedAt: decidedAt}}
	return o
}

// caseStates returns each SHARED_CONTACT alert's event and its status, and
// its resolution when it has one.
func caseStates(t *testing.T, s *postgres.Store) map[string]string {
	t.Helper()
	rows, err := s.Pool().Query(context.Background(),
		`SELECT event_id, status, coalesce(resolution, '') FROM alerts WHERE rule = 'SHARED_CONTACT'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var ev, st, res string
		if err := rows.Scan(&ev, &st, &res); err != nil {
			t.Fatal(err)
		}
		out[ev] = st
		if res != "" {
			out[ev] += ": " + res
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// published returns the events whose SHARED_CONTACT alerts are in the
// outbox, each with how many times.
func published(t *testing.T, s *postgres.Store) map[string]int {
	t.Helper()
	rows, err := s.Pool().Query(context.Background(),
		`SELECT a->>'event_id' FROM outbox, jsonb_array_elements(alerts) a WHERE a->>'rule' = 'SHARED_CONTACT'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var ev string
		if err := rows.Scan(&ev); err != nil {
			t.Fatal(err)
		}
		out[ev]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func wantStates(t *testing.T, got, want map[string]string) {
	t.Helper()
	for ev, w := range want {
		if got[ev] != w {
			t.Errorf("%s: %q, want %q", ev, got[ev], w)
		}
	}
}

// TestSharedContactIsOneCase: the SHARED_CONTACT alerts of the persons
// tied to one number are one case. The first admitted event's alert opens
// it; every later admitted event's alert joins it while it is unresolved,
// in the same batch or a later one, and is not published again; a held
// event's alert stays open, since its event waits for a ruling; another
// number is another case; a batch delivered again changes nothing; once
// the case is resolved, the next alert opens a new one.
func TestSharedContactIsOneCase(t *testing.T) {
	ctx := context.Background()
	s := mustStore(t)
	w := s.AlertsOutboxed()
	batch1 := []domain.Outcome{contactAlert("e1", domain.ActionAdmit, "c1"), contactAlert("e2", domain.ActionAdmit, "c1"),
		contactAlert("e3", domain.ActionHold, "c1"), contactAlert("e4", domain.ActionAdmit, "c2")}
	for range 2 {
		if _, err := w.Write(ctx, batch1, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Write(ctx, []domain.Outcome{contactAlert("e5", domain.ActionAdmit, "c1")}, 0); err != nil {
		t.Fatal(err)
	}
	joined := "closed: joined case " + domain.AlertID("e1", domain.RuleSharedContact)
	wantStates(t, caseStates(t, s), map[string]string{"e1": "open", "e2": joined, "e3": "open", "e4": "open", "e5": joined})
	pub := published(t, s)
	for ev, n := range map[string]int{"e1": 1, "e2": 0, "e3": 1, "e4": 1, "e5": 0} {
		if pub[ev] != n {
			t.Errorf("%s's alert published %d times, want %d", ev, pub[ev], n)
		}
	}

	// Resolved, the case takes no more alerts.
	if _, err := s.Pool().Exec(ctx, `UPDATE alerts SET status = 'closed' WHERE event_id IN ('e1', 'e3')`); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(ctx, []domain.Outcome{contactAlert("e6", domain.ActionAdmit, "c1"),
		contactAlert("e7", domain.ActionAdmit, "c1")}, 0); err != nil {
		t.Fatal(err)
	}
	wantStates(t, caseStates(t, s), map[string]string{"e6": "open",
		"e7": "closed: joined case " + domain.AlertID("e6", domain.RuleSharedContact)})
}

// TestSharedContactRacesOpenOneCase: workers raising alerts of one new
// number at once, each in its own batch, open one case between them.
func TestSharedContactRacesOpenOneCase(t *testing.T) {
	ctx := context.Background()
	s := mustStore(t)
	w := s.AlertsOutboxed()
	const workers, rounds = 6, 5
	for r := range rounds {
		contact := fmt.Sprintf("race%d", r)
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for i := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o := contactAlert(fmt.Sprintf("r%d-%d", r, i), domain.ActionAdmit, contact)
				_, err := w.Write(ctx, []domain.Outcome{o}, 0)
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var open int
		if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM alerts WHERE case_id = $1 AND status = 'open'`,
			"contact-"+contact).Scan(&open); err != nil {
			t.Fatal(err)
		}
		if open != 1 {
			t.Fatalf("round %d: %d open alerts of one number, want 1", r, open)
		}
	}
}
