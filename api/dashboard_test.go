package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
)

// The dashboard counts persons enrolled and active, holds waiting and the
// amounts paid this cycle by ministry, programme, division and district,
// one district under every spelling, and names each row in English and
// Bangla; the overview page draws it and each table exports as CSV.
func TestDashboard(t *testing.T) {
	e := newEnv(t)
	widow := enrolment("w1", "widow", "1200000003", "01712000003")
	widow["person"].(map[string]any)["address"] = map[string]any{"division": "Chittagong", "district": "Chittagong"}
	old := enrolment("o1", "old_age", "1200000001", "01712000001")
	old["person"].(map[string]any)["address"] = map[string]any{"division": "ঢাকা", "district": "ঢাকা"}
	d := e.feed(old, youngEnrolment("o2", "1200000002", "26"), widow)
	if d["o1"].Action != domain.ActionAdmit || d["o2"].Action != domain.ActionHold || d["w1"].Action != domain.ActionAdmit {
		t.Fatalf("decisions %+v", d)
	}
	pay := payment("p1", "old_age", "1200000001", "01712000001")
	pay["occurred_at"] = time.Now().UTC().Format(time.RFC3339)
	if d := e.feed(pay); d["p1"].Action != domain.ActionAdmit {
		t.Fatalf("p1: %+v", d["p1"])
	}

	r := e.call("viewer", http.MethodGet, "/api/v1/dashboard", nil)
	mustStatus(t, "dashboard", r, 200)
	rows := func(table string) map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, x := range r.body[table].([]any) {
			m := x.(map[string]any)
			out[m["key"].(string)] = m
		}
		return out
	}
	num := func(m map[string]any, k string) float64 { f, _ := m[k].(float64); return f }
	progs := rows("programmes")
	if o := progs["old_age"]; num(o, "persons_enrolled") != 2 || num(o, "persons_active") != 1 || num(o, "holds_waiting") != 1 ||
		num(o, "amount_paid") != 600 || num(o, "payments") != 1 || o["name_bn"] != "বয়স্ক ভাতা" {
		t.Errorf("old_age row %v", o)
	}
	if w := progs["widow"]; num(w, "persons_enrolled") != 1 || num(w, "persons_active") != 1 || num(w, "holds_waiting") != 0 {
		t.Errorf("widow row %v", w)
	}
	mins := rows("ministries")
	if m := mins["social_welfare"]; len(mins) != 1 || num(m, "persons_enrolled") != 3 || m["name_en"] != "Ministry of Social Welfare" {
		t.Errorf("ministries %v", mins)
	}
	dists := rows("districts")
	if dh := dists["26"]; len(dists) != 2 || num(dh, "persons_enrolled") != 2 || num(dh, "amount_paid") != 600 || dh["name_bn"] != "ঢাকা" {
		t.Errorf("districts %v", dists)
	}
	divs := rows("divisions")
	if len(divs) != 2 || num(divs["30"], "persons_enrolled") != 2 || num(divs["20"], "persons_enrolled") != 1 || divs["20"]["name_en"] != "Chattogram" {
		t.Errorf("divisions %v", divs)
	}
	byRule := map[string]float64{}
	for _, x := range r.body["decisions_by_rule"].([]any) {
		m := x.(map[string]any)
		byRule[m["programme"].(string)+"/"+m["rule"].(string)+"/"+m["action"].(string)] += num(m, "count")
	}
	if byRule["old_age/INELIGIBLE/HOLD"] != 1 || byRule["old_age//ADMIT"] != 2 || byRule["widow//ADMIT"] != 1 {
		t.Errorf("decisions by rule %v", byRule)
	}

	c := e.call("viewer", http.MethodGet, "/api/v1/dashboard/districts.csv", nil)
	mustStatus(t, "csv", c, 200)
	want := "26,Dhaka,ঢাকা,2,1,1,"
	if !strings.Contains(c.raw, want) || !strings.HasPrefix(c.raw, "code,name_en,name_bn,persons_enrolled") {
		t.Errorf("districts.csv lacks %q:\n%s", want, c.raw)
	}

	b, res := e.login("viewer", "viewer-password")
	mustStatus(t, "login", res, http.StatusSeeOther)
	o := b.get("/overview")
	mustStatus(t, "overview", o, 200)
	for _, s := range []string{`<svg class="chart bars-h"`, "Old Age Allowance (বয়স্ক ভাতা)", "Ministry of Social Welfare (সমাজকল্যাণ মন্ত্রণালয়)",
		`Chattogram <span lang="bn">চট্টগ্রাম</span>`, `href="/overview/districts.csv"`} {
		if !strings.Contains(o.raw, s) {
			t.Errorf("overview lacks %q", s)
		}
	}
	if strings.Contains(o.raw, "<script") {
		t.Error("overview carries a script")
	}
}

// The dashboard shows the aid of the current cycle allotted and not yet
// handed out, by ministry, programme, division and district, in its
// JSON, its CSV tables and a chart of the overview; a ministry's user sees
// its own programmes' alone.
func TestDashboardUndistributedAid(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	cycle := now.In(time.FixedZone("BST", 6*3600)).Format("2006-01")
	for i, nid := range []string{"1300000001", "1300000002"} {
		if d := e.feed(enrolment(fmt.Sprintf("o%d", i), "old_age", nid, fmt.Sprintf("0171300000%d", i))); d[fmt.Sprintf("o%d", i)].Action != domain.ActionAdmit {
			t.Fatalf("o%d: %+v", i, d)
		}
	}
	allot := func(id, prog, cycle, district string, count int, amount float64) map[string]any {
		return map[string]any{"event_id": id, "type": "allocation", "occurred_at": now.UTC().Format(time.RFC3339), "source": "mis",
			"programme": prog, "cycle": cycle, "distributor_id": "dp-" + id, "count": count, "amount": amount,
			"area": map[string]any{"district": district, "upazila": "Savar"}}
	}
	e.feed(
		allot("al-now", "old_age", cycle, "Dhaka", 5, 600),
		allot("al-old", "old_age", "2020-01", "Dhaka", 9, 600), // an earlier cycle: not this one's
		allot("al-vgd", "vgd", cycle, "Chittagong", 2, 0),      // priced at the entitlement
		// A one-off programme's cycles are as allotted: one still open
		// counts, one closed before this month does not.
		allot("al-flood", "emergency_cash", "flood-2026", "Sylhet", 3, 0),
		func() map[string]any {
			a := allot("al-cyclone", "emergency_cash", "cyclone-2025", "Sylhet", 7, 0)
			a["closes_at"] = "2025-06-30T00:00:00+06:00"
			return a
		}(),
	)
	pay := payment("p1", "old_age", "1300000001", "01713000000")
	pay["occurred_at"], pay["cycle"], pay["distributor_id"] = now.UTC().Format(time.RFC3339), cycle, "dp-al-now"
	if d := e.feed(pay); d["p1"].Action != domain.ActionAdmit {
		t.Fatalf("p1: %+v", d["p1"])
	}
	ent, _ := domain.DefaultPolicy().EntitlementOf("vgd")
	cash, _ := domain.DefaultPolicy().EntitlementOf("emergency_cash")

	r := e.call("viewer", http.MethodGet, "/api/v1/dashboard", nil)
	mustStatus(t, "dashboard", r, 200)
	row := func(table, key string) map[string]any {
		for _, x := range r.body[table].([]any) {
			if m := x.(map[string]any); m["key"] == key {
				return m
			}
		}
		t.Fatalf("%s has no row %s: %s", table, key, r.raw)
		return nil
	}
	num := func(m map[string]any, k string) float64 { f, _ := m[k].(float64); return f }
	for _, c := range []struct {
		table, key           string
		allotted, undist     float64
		amountAllotted, left float64
	}{
		{"programmes", "old_age", 5, 4, 3000, 2400},
		{"programmes", "vgd", 2, 2, 2 * ent.Amount, 2 * ent.Amount},
		{"districts", "26", 5, 4, 3000, 2400},
		{"divisions", "30", 5, 4, 3000, 2400},
		{"ministries", "social_welfare", 5, 4, 3000, 2400},
		{"programmes", "emergency_cash", 3, 3, 3 * cash.Amount, 3 * cash.Amount},
		{"ministries", "disaster_relief", 3, 3, 3 * cash.Amount, 3 * cash.Amount},
		{"districts", "91", 3, 3, 3 * cash.Amount, 3 * cash.Amount},
		{"divisions", "60", 3, 3, 3 * cash.Amount, 3 * cash.Amount},
	} {
		m := row(c.table, c.key)
		if num(m, "allotted") != c.allotted || num(m, "undistributed") != c.undist ||
			num(m, "amount_allotted") != c.amountAllotted || num(m, "amount_undistributed") != c.left {
			t.Errorf("%s %s: %v, want %v allotted (৳%v), %v undistributed (৳%v)", c.table, c.key, m, c.allotted, c.amountAllotted, c.undist, c.left)
		}
	}

	csv := e.call("viewer", http.MethodGet, "/api/v1/dashboard/programmes.csv", nil)
	mustStatus(t, "csv", csv, 200)
	if !strings.Contains(csv.raw, "allotted,amount_allotted,undistributed,amount_undistributed") || !strings.Contains(csv.raw, ",5,3000.00,4,2400.00") {
		t.Errorf("programmes.csv lacks the undistributed aid:\n%s", csv.raw)
	}

	b, res := e.login("viewer", "viewer-password")
	mustStatus(t, "login", res, http.StatusSeeOther)
	o := b.get("/overview")
	mustStatus(t, "overview", o, 200)
	for _, s := range []string{`aria-label="Undistributed aid this cycle by programme"`, "৳2400 of ৳3000 not handed out", "Undistributed ৳"} {
		if !strings.Contains(o.raw, s) {
			t.Errorf("overview lacks %q", s)
		}
	}

	// A ministry's user sees its own programmes' aid alone.
	e.addMinistryUser("dss", review.RoleViewer, "dss-password", "social_welfare")
	sb, res := e.login("dss", "dss-password")
	mustStatus(t, "login", res, http.StatusSeeOther)
	scoped := sb.get("/overview/districts.csv")
	mustStatus(t, "scoped csv", scoped, 200)
	if strings.Contains(scoped.raw, "Chattogram") || strings.Contains(scoped.raw, "Sylhet") || !strings.Contains(scoped.raw, ",5,3000.00,4,2400.00") {
		t.Errorf("a ministry's districts.csv:\n%s", scoped.raw)
	}
}
