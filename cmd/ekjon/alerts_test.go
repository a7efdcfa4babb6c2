package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ekjon/ekjon/api"
	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
)

// TestDistributionAlertsReachKafkaOnce raises every alert of the
// distribution side, through scans, Kafka hand-outs, a refused scan and
// the reconciliation, each also retried, redelivered or run twice at once,
// and reads ekjon.alerts on the broker: every alert the record holds is
// on the topic exactly once, and no payload carries an NID, phone or
// wallet.
func TestDistributionAlertsReachKafkaOnce(t *testing.T) {
	h := newHarness(t, 3)
	e := newScanEnvWith(t, h, func(c *app.Config) { c.Rules.ReconcileEvery, c.Rules.DistributorVelocity = 0, 3 })
	ctx := context.Background()
	topics := h.cfg.Kafka.Topics
	st := storeOn(h.db)

	// A distributor allowed anywhere in Dhaka district.
	actor := review.Actor{Username: "test", Role: review.RoleAdmin}
	if err := st.CreateUser(ctx, review.User{Username: "roam", Role: review.RoleDistributor}, actor); err != nil {
		t.Fatal(err)
	}
	roam, hash := api.NewToken(api.TokenPrefix)
	if err := st.CreateToken(ctx, review.APIToken{Hash: hash, Username: "roam", Label: "test", ID: api.TokenID(roam)}, actor); err != nil {
		t.Fatal(err)
	}
	if err := st.SetDistributorScope(ctx, "roam", domain.DistributorScope{Programmes: []string{"old_age"}, Areas: []string{"Dhaka"}}); err != nil {
		t.Fatal(err)
	}

	var secrets []string // what no alert may carry
	nid := func(i int) string { return fmt.Sprintf("26%011d", 7000+i) }
	cards := make([]cardJSON, 4)
	for i := range cards {
		_, cards[i] = e.enrol(fmt.Sprintf("ka-%d", i), nid(i), i)
	}
	for i := range 7 {
		secrets = append(secrets, nid(i), fmt.Sprintf("017%08d", i))
	}
	var kafkaEnrol []string
	for i := 4; i < 7; i++ {
		kafkaEnrol = append(kafkaEnrol, distinctEnrolment(fmt.Sprintf("ka-%d", i), nid(i), "old_age", i))
	}
	h.produce(topics.Enrolments, kafkaEnrol...)
	h.decisions("ka-4", "ka-5", "ka-6")

	const closed = "2026-01-01T00:00:00Z"
	h.produce(topics.Distributions,
		allocationEvent("al-dist", "dist", "2026-10", closed, []string{"ref-ka-0", "ref-ka-1", "ref-ka-2"}, 0),
		allocationEvent("al-over", "agent-o", "2026-10", closed, nil, 1))
	h.decisions("al-dist", "al-over")

	scan := func(token, scanID string, card cardJSON, upazila string, amount float64) domain.Decision {
		t.Helper()
		body := map[string]any{"scan_id": scanID, "qr": card.QR, "programme": "old_age", "cycle": "2026-10", "device_id": "dev-1",
			"location": map[string]string{"district": "Dhaka", "upazila": upazila}}
		if amount > 0 {
			body["amount"] = amount
		}
		var r api.ScanResponse
		if code := e.call("POST", "/api/v1/scans", token, body, &r); code != http.StatusOK {
			t.Fatalf("scan %s: HTTP %d", scanID, code)
		}
		return r.Decision
	}
	if code := e.call("POST", "/api/v1/persons/"+cardPerson(t, e, cards[1])+"/card/replace", e.sup, map[string]string{"reason": "lost"}, nil); code != http.StatusOK {
		t.Fatalf("replace: HTTP %d", code)
	}
	for range 2 { // each scan retried
		if d := scan(e.dist, "s-below", cards[0], "Savar", 300); !slices.Contains(d.Rules, domain.RuleAmountBelow) {
			t.Errorf("s-below: %s", verdictOf(d))
		}
		if d := scan(e.dist, "s-revoked", cards[1], "Savar", 0); d.Action != domain.ActionBlock || d.Rules[0] != domain.RuleCardRevoked {
			t.Errorf("s-revoked: %s", verdictOf(d))
		}
		if d := scan(e.dist, "s-phantom", cards[3], "Savar", 0); d.Action != domain.ActionAdmit {
			t.Errorf("s-phantom: %s", verdictOf(d))
		}
		scan(e.dist, "s-double", cards[0], "Savar", 0) // the fourth in a minute
		if d := scan(roam, "s-far", cards[2], "Dhamrai", 0); !slices.Contains(d.Rules, domain.RuleDistributorFar) {
			t.Errorf("s-far: %s", verdictOf(d))
		}
		if code := e.call("POST", "/api/v1/scans", e.far, e.scan("s-scope", cards[2].QR, "2026-10"), nil); code != http.StatusForbidden {
			t.Errorf("out of scope: HTTP %d", code)
		}
	}
	// Through Kafka: more than allotted, one far from home; redelivered.
	const at = "2026-10-05T10:%02d:00Z"
	outs := []string{
		handOut("k-4", nid(4), "agent-o", "2026-10", 600, "Savar", fmt.Sprintf(at, 0)),
		handOut("k-5", nid(5), "agent-o", "2026-10", 600, "Dhamrai", fmt.Sprintf(at, 1)),
	}
	h.produce(topics.Distributions, outs...)
	h.decisions("k-4", "k-5")
	h.produce(topics.Distributions, outs...)
	h.waitFor("redelivered hand-outs", `SELECT count(*) FROM decisions WHERE event_id IN ('k-4', 'k-5')`, 2)

	// The reconciliation, run by two workers at once.
	var wg sync.WaitGroup
	var raised [2]int
	for w := range 2 {
		wg.Go(func() {
			var got []domain.Alert
			var err error
			if w == 0 {
				got, err = e.app.ReconcileOnce(ctx)
			} else {
				got, err = storeOn(h.db).RaiseReconciliationAlerts(ctx, domain.DefaultPolicy(), e.app.CycleGrace(), time.Now())
			}
			if err != nil {
				t.Error(err)
			}
			raised[w] = len(got)
		})
	}
	wg.Wait()
	if _, err := e.app.ReconcileOnce(ctx); err != nil {
		t.Fatal(err)
	}

	var ids []string
	rows, err := h.db.Query(ctx, `SELECT alert_id FROM alerts ORDER BY alert_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	rules := map[string]bool{}
	for _, id := range ids {
		rules[id[strings.LastIndex(id, "/")+1:]] = true
	}
	for _, r := range []string{domain.RuleCardRevoked, domain.RuleDistributorScope, domain.RuleUndistributed, domain.RuleOverDistribution,
		domain.RulePhantomDistribution, domain.RuleDistributorVel, domain.RuleDistributorFar, domain.RuleAmountBelow} {
		if !rules[r] {
			t.Errorf("no %s alert on record: %v", r, ids)
		}
	}

	h.waitFor("alerts waiting in the outbox", `SELECT count(*) FROM outbox WHERE sent_at IS NULL`, 0)
	seen := map[string]int{}
	for _, m := range h.readTopic(topics.Alerts, len(ids)) {
		var a domain.Alert
		if err := json.Unmarshal(m.Value, &a); err != nil {
			t.Fatalf("an alert on the topic is not JSON: %v", err)
		}
		seen[a.AlertID]++
		for _, s := range secrets {
			if strings.Contains(string(m.Value), s) || strings.Contains(string(m.Key), s) {
				t.Errorf("alert %s carries personal data in clear: %s", a.AlertID, m.Value)
			}
		}
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("alert %s is on ekjon.alerts %d times, want once", id, seen[id])
		}
		delete(seen, id)
	}
	for id, n := range seen {
		t.Errorf("alert %s is on ekjon.alerts (%d times) but not on record", id, n)
	}
}

// cardPerson returns the person whose card c is.
func cardPerson(t *testing.T, e *scanEnv, c cardJSON) string {
	t.Helper()
	var id string
	if err := e.h.db.QueryRow(context.Background(), `SELECT person_id FROM cards WHERE card_no = $1`, c.CardNo).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}
