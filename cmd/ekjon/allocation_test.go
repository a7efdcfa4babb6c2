package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ekjon/ekjon/api"
	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
)

func allocationEvent(id, dist, cycle, closes string, refs []string, count int) string {
	b, _ := json.Marshal(refs)
	if refs == nil {
		b = []byte("[]")
	}
	return fmt.Sprintf(`{"event_id":%q,"type":"allocation","occurred_at":"2026-10-01T08:00:00+06:00","source":"dss-mis",
		"programme":"old_age","cycle":%q,"distributor_id":%q,"area":{"district":"Dhaka","upazila":"Savar","union":"Ashulia"},
		"beneficiaries":%s,"count":%d,"amount":600,"closes_at":%q}`, id, cycle, dist, b, count, closes)
}

func handOut(id, nid, dist, cycle string, amount float64, upazila, at string) string {
	return fmt.Sprintf(`{"event_id":%q,"type":"distribution","occurred_at":%q,"source":"union-office","programme":"old_age",
		"cycle":%q,"nid":%q,"amount":%v,"channel":"in_person","distributor_id":%q,"device_id":"dev-%s",
		"location":{"district":"Dhaka","upazila":%q}}`, id, at, cycle, nid, amount, dist, dist, upazila)
}

// TestReconciliationEndToEnd allots a closed cycle to three distributors,
// hands out aid through Kafka with a skim, a double payment, an unknown
// payee, a hand-out to someone not allotted, an over-distribution and a
// distributor allotted nothing, and reads the reconciliation from the
// record, the API (JSON and CSV) and the alerts it raises, once.
func TestReconciliationEndToEnd(t *testing.T) {
	h := newHarness(t, 3)
	a := h.start(func(c *app.Config) { c.Rules.ReconcileEvery, c.Rules.DistributorVelocity = 0, 3 })
	topics := h.cfg.Kafka.Topics
	ctx := context.Background()

	nids := make([]string, 7)
	var enrol []string
	for i := range nids {
		nids[i] = fmt.Sprintf("26%011d", 1000+i)
		enrol = append(enrol, distinctEnrolment(fmt.Sprintf("en%d", i), nids[i], "old_age", i))
	}
	h.produce(topics.Enrolments, enrol...)
	h.decisions("en0", "en1", "en2", "en3", "en4", "en5", "en6")

	const closed = "2026-01-01T00:00:00Z" // the cycle has closed, whatever today is
	h.produce(topics.Distributions,
		allocationEvent("al-a", "agent-a", "Oct 2026", closed, []string{"ref-en0", "ref-en1", "ref-en2"}, 0),
		allocationEvent("al-b", "agent-b", "2026-10", closed, nil, 2),
		// Hostile allocations: a beneficiary listed twice, a negative
		// count, both a list and a count.
		allocationEvent("al-dup", "agent-x", "2026-10", closed, []string{"ref-en0", " ref-en0"}, 0),
		allocationEvent("al-neg", "agent-x", "2026-10", closed, nil, -5),
		allocationEvent("al-both", "agent-x", "2026-10", closed, []string{"ref-en0"}, 3),
	)
	got := h.decisions("al-a", "al-b", "al-dup", "al-neg", "al-both")
	for id, want := range map[string]string{"al-a": "ADMIT []", "al-b": "ADMIT []", "al-dup": "REJECTED [INVALID_EVENT]",
		"al-neg": "REJECTED [INVALID_EVENT]", "al-both": "REJECTED [INVALID_EVENT]"} {
		if v := verdictOf(got[id]); v != want {
			t.Errorf("%s: %s (%s), want %s", id, v, got[id].Reason, want)
		}
	}
	// The same id for other content is refused, and changes nothing.
	h.produce(topics.Distributions, allocationEvent("al-b", "agent-b", "2026-10", closed, nil, 200))
	h.waitFor("the reused allocation id's rejection", `SELECT count(*) FROM decisions WHERE rules @> '{EVENT_ID_REUSED}'`, 1)

	const at = "2026-10-05T09:%02d:00Z"
	h.produce(topics.Distributions,
		handOut("d1", nids[0], "agent-a", "2026-10", 600, "Savar", fmt.Sprintf(at, 0)),
		handOut("d2", nids[1], "agent-a", "2026-10", 400, "Savar", fmt.Sprintf(at, 2)), // a skim
		handOut("d3", nids[3], "agent-a", "2026-10", 600, "Savar", fmt.Sprintf(at, 4)), // not allotted to agent-a
		handOut("d4", nids[0], "agent-a", "2026-10", 600, "Savar", fmt.Sprintf(at, 6)), // paid already
		handOut("d5", nids[4], "agent-b", "2026-10", 600, "Savar", fmt.Sprintf(at, 0)),
		handOut("d6", nids[5], "agent-b", "2026-10", 600, "Dhamrai", fmt.Sprintf(at, 2)), // far from home
		handOut("d7", nids[6], "agent-b", "2026-10", 600, "Savar", fmt.Sprintf(at, 4)),   // more than allotted
		handOut("d8", "2699999999999", "agent-b", "2026-10", 600, "Savar", fmt.Sprintf(at, 6)),
		handOut("d9", nids[2], "agent-c", "2026-10", 600, "Savar", fmt.Sprintf(at, 8)), // allotted nothing
	)
	got = h.decisions("d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9")
	// agent-c, fast: four hand-outs (three refused) within a minute, more
	// than the three allowed; some raise DISTRIBUTOR_VELOCITY, whichever
	// partition's batch comes last.
	var fast []string
	for i := range 3 {
		fast = append(fast, handOut(fmt.Sprintf("v%d", i), nids[2], "agent-c", "2026-10", 600, "Savar", fmt.Sprintf("2026-10-05T09:08:%02dZ", 10+i*10)))
	}
	h.produce(topics.Distributions, fast...)
	vel := h.decisions("v0", "v1", "v2")
	raisedVel := 0
	for _, d := range vel {
		if d.Action != domain.ActionBlock || d.Rules[0] != domain.RuleDoublePayment {
			t.Errorf("%s: %s, want BLOCK [DOUBLE_PAYMENT …]", d.EventID, verdictOf(d))
		}
		if slices.Contains(d.Rules, domain.RuleDistributorVel) {
			raisedVel++
		}
	}
	if raisedVel == 0 {
		t.Errorf("four hand-outs in a minute by agent-c raised no DISTRIBUTOR_VELOCITY: %v", vel)
	}
	for id, want := range map[string]string{
		"d1": "ADMIT []", "d2": "ADMIT [AMOUNT_BELOW_ENTITLEMENT]", "d3": "ADMIT []", "d4": "BLOCK [DOUBLE_PAYMENT]",
		"d5": "ADMIT []", "d6": "ADMIT [DISTRIBUTOR_FAR]", "d7": "ADMIT []", "d8": "BLOCK [UNKNOWN_PAYEE]", "d9": "ADMIT []",
	} {
		if v := verdictOf(got[id]); v != want {
			t.Errorf("%s: %s (%s), want %s", id, v, got[id].Reason, want)
		}
	}

	rows, err := a.Store.Reconcile(ctx, domain.ReconcileFilter{Programme: "old_age", Cycle: "2026-10"}, domain.DefaultPolicy(), 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	type fig struct {
		alloc, dist, undist, phantom int64
		blocked                      string
	}
	want := map[string]fig{
		"agent-a": {3, 3, 1, 1, "DOUBLE_PAYMENT=1"},
		"agent-b": {2, 3, 0, 0, "UNKNOWN_PAYEE=1"},
		"agent-c": {0, 1, 0, 1, "DOUBLE_PAYMENT=3"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(rows), len(want), rows)
	}
	for _, r := range rows {
		w := want[r.DistributorID]
		g := fig{r.Allocated, r.Distributed, r.Undistributed, r.Phantom, blockedString(r.Blocked)}
		if g != w {
			t.Errorf("%s: %+v, want %+v", r.DistributorID, g, w)
		}
		if r.DistributorID != "agent-c" && (!r.Closed || r.Area != "Ashulia, Savar, Dhaka (ঢাকা)" || r.AllocatedAmount != float64(r.Allocated)*600) {
			t.Errorf("%s: closed %v, area %q, allotted %v taka", r.DistributorID, r.Closed, r.Area, r.AllocatedAmount)
		}
	}

	raised, err := a.ReconcileOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, al := range raised {
		ids = append(ids, al.AlertID)
		if len(al.Evidence) == 0 {
			t.Errorf("%s carries no evidence", al.AlertID)
		}
	}
	slices.Sort(ids)
	wantIDs := []string{"al-a/UNDISTRIBUTED_AID", "al-b/OVER_DISTRIBUTION", "d3/PHANTOM_DISTRIBUTION", "d9/PHANTOM_DISTRIBUTION"}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("the reconciliation raised %v, want %v", ids, wantIDs)
	}
	if again, err := a.ReconcileOnce(ctx); err != nil || len(again) != 0 {
		t.Errorf("run again, the reconciliation raised %v (err %v), want none", again, err)
	}

	// The report through the API, as a viewer: JSON, then CSV both ways.
	tok := viewerToken(t, a)
	url := "http://" + a.HTTPAddr + "/api/v1/reports/distribution?programme=old_age&cycle=October+2026&district=dhaka"
	var body struct {
		Rows   []domain.Reconciliation `json:"rows"`
		Totals api.DistributionTotals  `json:"totals"`
	}
	res := getWith(t, url, tok, "")
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	// agent-c has no allocation, so no district: the district filter
	// leaves it out.
	if tt := body.Totals; len(body.Rows) != 2 || tt.Allocated != 5 || tt.Distributed != 6 || tt.Undistributed != 1 || tt.Phantom != 1 {
		t.Errorf("the API's report: %d rows, totals %+v", len(body.Rows), tt)
	}
	for _, u := range []struct{ url, accept string }{
		{strings.Replace(url, "distribution?", "distribution.csv?", 1), ""},
		{url, "text/csv"},
	} {
		res := getWith(t, u.url, tok, u.accept)
		recs, err := csv.NewReader(res.Body).ReadAll()
		res.Body.Close()
		if err != nil || res.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Fatalf("CSV: %v, content type %q", err, res.Header.Get("Content-Type"))
		}
		if len(recs) != 3 || recs[0][4] != "distributor_id" || recs[1][4] != "agent-a" || recs[1][11] != "1" {
			t.Errorf("CSV report: %q", recs)
		}
	}
	cards, err := a.Store.Scorecards(ctx, domain.ReconcileFilter{Distributor: "agent-b"}, domain.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	if len(cards) != 1 || cards[0].Payments != 3 || cards[0].Blocked[domain.RuleUnknownPayee] != 1 ||
		cards[0].Alerts[domain.RuleOverDistribution] != 1 || cards[0].Alerts[domain.RuleDistributorFar] != 1 {
		t.Errorf("agent-b's scorecard: %+v", cards)
	}
}

// waitFor polls query, a count, until it gives want.
func (h *harness) waitFor(what, query string, want int) {
	h.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var n int
		if err := h.db.QueryRow(context.Background(), query).Scan(&n); err != nil {
			h.t.Fatal(err)
		}
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s: %d after 60s, want %d", what, n, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func blockedString(m map[string]int64) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s=%d", k, v))
	}
	slices.Sort(parts)
	return strings.Join(parts, ";")
}

// viewerToken makes a viewer and an API token for it.
func viewerToken(t *testing.T, a *app.App) string {
	t.Helper()
	ctx := context.Background()
	if err := a.Store.CreateUser(ctx, review.User{Username: "viewer", Role: review.RoleViewer, PasswordHash: "x"}, review.Actor{Username: "test"}); err != nil {
		t.Fatal(err)
	}
	tok, hash := api.NewToken(api.TokenPrefix)
	if err := a.Store.CreateToken(ctx, review.APIToken{Hash: hash, Username: "viewer", Label: "test", ID: api.TokenID(tok)}, review.Actor{Username: "test"}); err != nil {
		t.Fatal(err)
	}
	return tok
}

func getWith(t *testing.T, url, token, accept string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		t.Fatalf("GET %s: %s", url, res.Status)
	}
	return res
}
