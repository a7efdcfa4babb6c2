package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
	"github.com/ekjon/ekjon/sinks/postgres"
)

// TestDistributionRecordsItems hands out a programme whose entitlement is
// in items (VGD: 30 kg of rice a month) by scan and through Kafka, with
// items given and left to default, and reads what the record holds of
// each hand-out and what the reconciliation counts: items allotted and
// handed out, beside amounts.
func TestDistributionRecordsItems(t *testing.T) {
	e := newEnv(t)
	tc := e.withCards()
	e.rv.SetDistributionReports(postgres.Reports{Store: e.store, Policy: tc.policy})
	newServed(t, e)

	persons := map[string]string{}
	for _, id := range []string{"v1", "v2", "v3", "v4"} {
		ev := enrolment(id, "vgd", "14000000"+id[1:]+"0", "0171400000"+id[1:])
		d := e.feed(ev)
		if d[id].Action != domain.ActionAdmit {
			t.Fatalf("%s: %+v", id, d[id])
		}
		persons[id] = d[id].PersonID
	}
	const cycle = "2026-11"
	e.feed(map[string]any{"event_id": "al-v", "type": "allocation", "occurred_at": "2026-11-01T08:00:00+06:00", "source": "mis",
		"programme": "vgd", "cycle": cycle, "distributor_id": "dp-v", "count": 4,
		"area": map[string]any{"district": "Dhaka", "upazila": "Savar", "union": "Ashulia"}})

	// Through Kafka: one with the items handed over, one without.
	hand := func(id, nid string, items map[string]float64) map[string]any {
		m := map[string]any{"event_id": id, "type": "distribution", "occurred_at": "2026-11-05T09:00:00Z", "source": "union-office",
			"programme": "vgd", "cycle": cycle, "nid": nid, "channel": "in_person", "distributor_id": "dp-v",
			"location": map[string]any{"district": "Dhaka", "upazila": "Savar"}}
		if items != nil {
			m["items"] = items
		}
		return m
	}
	d := e.feed(hand("k1", "1400000010", map[string]float64{"rice_kg": 25, "lentils_kg": 2}), hand("k2", "1400000020", nil))
	if d["k1"].Action != domain.ActionAdmit || d["k2"].Action != domain.ActionAdmit {
		t.Fatalf("hand-outs: %+v", d)
	}

	// By scan: one with items, one defaulting to the entitlement.
	e.addUser("dp-v", review.RoleDistributor, "dp-v-password")
	tok, hash := NewToken(TokenPrefix)
	if err := e.store.CreateToken(e.ctx, review.APIToken{Hash: hash, Username: "dp-v", Label: "t", ID: TokenID(tok)}, review.Actor{Username: "test"}); err != nil {
		t.Fatal(err)
	}
	e.tokens["dp-v"] = tok
	if err := e.store.SetDistributorScope(e.ctx, "dp-v", domain.DistributorScope{Programmes: []string{"vgd"}, Areas: []string{"Savar"}}); err != nil {
		t.Fatal(err)
	}
	if err := tc.flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	scan := func(scanID, person string, items map[string]float64) {
		t.Helper()
		c, err := e.store.CardOf(e.ctx, person)
		if err != nil {
			t.Fatal(err)
		}
		body := map[string]any{"scan_id": scanID, "qr": tc.Token(c), "programme": "vgd", "cycle": cycle, "device_id": "tab-1",
			"location": map[string]any{"district": "Dhaka", "upazila": "Savar"}}
		if items != nil {
			body["items"] = items
		}
		r := e.call("dp-v", http.MethodPost, "/api/v1/scans", body)
		mustStatus(t, "scan "+scanID, r, 200)
		if a := r.body["decision"].(map[string]any)["action"]; a != "ADMIT" {
			t.Fatalf("scan %s: %s", scanID, r.raw)
		}
	}
	scan("s3", persons["v3"], map[string]float64{"rice_kg": 20})
	scan("s4", persons["v4"], nil)

	for id, want := range map[string]string{
		"k1": `{"lentils_kg": 2, "rice_kg": 25}`, "k2": "", "scan:dp-v:s3": `{"rice_kg": 20}`, "scan:dp-v:s4": `{"rice_kg": 30}`,
	} {
		if same := e.queryString(`SELECT (items IS NOT DISTINCT FROM NULLIF($2, '')::jsonb)::text FROM payments WHERE event_id = $1`, id, want); same != "true" {
			t.Errorf("%s recorded items %s, want %q", id, e.queryString(`SELECT COALESCE(items::text, 'none') FROM payments WHERE event_id = $1`, id), want)
		}
	}

	rows, err := e.store.Reconcile(e.ctx, domain.ReconcileFilter{Programme: "vgd", Cycle: cycle}, tc.policy, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("rows %+v", rows)
	}
	r := rows[0]
	// Four allotted at the entitlement; handed out 25 + 30 (k2, the
	// entitlement) + 20 + 30 kg of rice and 2 of lentils.
	if r.Allocated != 4 || r.Distributed != 4 || r.AllocatedItems["rice_kg"] != 120 || r.DistributedItems["rice_kg"] != 105 ||
		r.DistributedItems["lentils_kg"] != 2 || r.AllocatedAmount != 0 {
		t.Errorf("reconciliation %+v", r)
	}
	c := e.call(review.RoleViewer, http.MethodGet, "/api/v1/reports/distribution.csv?programme=vgd", nil)
	mustStatus(t, "csv", c, 200)
	if !strings.Contains(c.raw, "allocated_items") || !strings.Contains(c.raw, "rice_kg=120") || !strings.Contains(c.raw, "lentils_kg=2;rice_kg=105") {
		t.Errorf("distribution.csv lacks the items:\n%s", c.raw)
	}
	// The report's JSON totals them.
	j := e.call(review.RoleViewer, http.MethodGet, "/api/v1/reports/distribution?programme=vgd", nil)
	mustStatus(t, "json", j, 200)
	totals, _ := j.body["totals"].(map[string]any)
	ai, _ := totals["allocated_items"].(map[string]any)
	di, _ := totals["distributed_items"].(map[string]any)
	if ai["rice_kg"] != 120.0 || di["rice_kg"] != 105.0 || di["lentils_kg"] != 2.0 {
		t.Errorf("the report's totals lack the items: %s", j.raw)
	}
	// The page shows them, per row and in total.
	b, res := e.login("viewer", "viewer-password")
	mustStatus(t, "login", res, http.StatusSeeOther)
	page := b.get("/distribution?programme=vgd")
	mustStatus(t, "page", page, 200)
	for _, want := range []string{`id="t-items-distributed"`, "rice_kg 120", "lentils_kg 2, rice_kg 105"} {
		if !strings.Contains(page.raw, want) {
			t.Errorf("the distribution page lacks %q", want)
		}
	}
	// The distributor's scorecard counts the items they handed out:
	// JSON, CSV and page.
	sc := e.call(review.RoleViewer, http.MethodGet, "/api/v1/reports/distributors?programme=vgd", nil)
	mustStatus(t, "scorecards", sc, 200)
	cards, _ := sc.body["distributors"].([]any)
	if len(cards) != 1 {
		t.Fatalf("scorecards: %s", sc.raw)
	}
	items, _ := cards[0].(map[string]any)["items"].(map[string]any)
	if items["rice_kg"] != 105.0 || items["lentils_kg"] != 2.0 {
		t.Errorf("dp-v's scorecard lacks the items: %s", sc.raw)
	}
	scsv := e.call(review.RoleViewer, http.MethodGet, "/api/v1/reports/distributors.csv?programme=vgd", nil)
	mustStatus(t, "scorecards csv", scsv, 200)
	if !strings.Contains(scsv.raw, ",items") || !strings.Contains(scsv.raw, "lentils_kg=2;rice_kg=105") {
		t.Errorf("distributors.csv lacks the items:\n%s", scsv.raw)
	}
	sp := b.get("/distributors?programme=vgd")
	mustStatus(t, "scorecards page", sp, 200)
	if !strings.Contains(sp.raw, "lentils_kg 2, rice_kg 105") {
		t.Errorf("the scorecards page lacks the items")
	}
}
