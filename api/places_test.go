package api

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ekjon/ekjon/domain"
)

// youngEnrolment is an old age enrolment of a man of 46 living in
// district, spelt as the source spells it: held INELIGIBLE, so it is in
// the queue.
func youngEnrolment(id, nid, district string) map[string]any {
	ev := enrolment(id, "old_age", nid, "")
	p := ev["person"].(map[string]any)
	p["dob"], p["name_en"], p["name_bn"] = "1980-01-01", "Karim Mia "+id, "করিম মিয়া"
	p["address"] = map[string]any{"division": "ঢাকা বিভাগ", "district": district, "upazila": "Savar"}
	return ev
}

// One district written "Dhaka", "ঢাকা", "26" or "dhaka district" is one
// district: stored by its BBS code, counted once on the overview, found by
// any spelling in the queue, and shown by one name on every page.
func TestOneDistrictOneName(t *testing.T) {
	e := newEnv(t)
	d := e.feed(youngEnrolment("y1", "1100000001", "ঢাকা"), youngEnrolment("y2", "1100000002", "26"),
		youngEnrolment("y3", "1100000003", "dhaka district"), youngEnrolment("y4", "1100000004", "Chittagong"))
	for _, id := range []string{"y1", "y2", "y3", "y4"} {
		if d[id].Action != domain.ActionHold || d[id].Rules[0] != domain.RuleIneligible {
			t.Fatalf("%s: %+v, want HOLD INELIGIBLE", id, d[id])
		}
	}
	// A row stored before places were stored by code, by its English name.
	e.insertAlert("y1", domain.RulePossiblePerson, domain.ActionHold, d["y1"].PersonID, "", 17.5, nil)

	if got := e.queryInt(`SELECT count(*) FROM alerts WHERE district = '26'`); got != 3 {
		t.Errorf("%d alerts stored with district 26, want 3", got)
	}
	if got := e.queryInt(`SELECT count(*) FROM enrolments WHERE district = '26'`); got != 3 {
		t.Errorf("%d enrolments stored with district 26, want 3", got)
	}

	r := e.call("viewer", http.MethodGet, "/api/v1/stats", nil)
	mustStatus(t, "stats", r, 200)
	byDistrict := map[string]float64{}
	for _, c := range r.body["open_by_district"].([]any) {
		m := c.(map[string]any)
		byDistrict[m["key"].(string)] += m["count"].(float64)
	}
	if len(byDistrict) != 2 || byDistrict["26"] != 4 || byDistrict["15"] != 1 {
		t.Fatalf("open by district %v, want 26: 4 and 15: 1", byDistrict)
	}

	for _, spelling := range []string{"Dhaka", "ঢাকা", "26", "২৬"} {
		r := e.call("viewer", http.MethodGet, "/api/v1/alerts?status=active&district="+url.QueryEscape(spelling), nil)
		mustStatus(t, "alerts", r, 200)
		if n := len(r.body["alerts"].([]any)); n != 4 {
			t.Errorf("district=%s: %d alerts, want 4", spelling, n)
		}
	}

	b, res := e.login("reviewer", "reviewer-password")
	mustStatus(t, "login", res, http.StatusSeeOther)
	ov := b.get("/overview")
	mustStatus(t, "overview", ov, 200)
	_, section, _ := strings.Cut(ov.raw, "Unresolved by district")
	section, _, _ = strings.Cut(section, "</section>")
	if n := strings.Count(section, ">Dhaka (ঢাকা)</a>"); n != 1 {
		t.Errorf("unresolved by district names Dhaka %d times, want once:\n%s", n, section)
	}
	for _, stray := range []string{">ঢাকা<", ">26<", ">Dhaka<", ">dhaka district<"} {
		if strings.Contains(section, stray) {
			t.Errorf("unresolved by district shows the district as %s", stray)
		}
	}
	// The dashboard's district table has one Dhaka row too.
	_, table, _ := strings.Cut(ov.raw, "By district <small")
	table, _, _ = strings.Cut(table, "</table>")
	if n := strings.Count(table, `<td>Dhaka <span lang="bn">ঢাকা</span></td>`); n != 1 {
		t.Errorf("the district table has %d rows of Dhaka, want 1", n)
	}
	q := b.get("/queue")
	mustStatus(t, "queue", q, 200)
	for _, want := range []string{"Dhaka (ঢাকা)", "Chattogram (চট্টগ্রাম)", "Karim Mia y2", "করিম মিয়া", "17.5"} {
		if !strings.Contains(q.raw, want) {
			t.Errorf("queue lacks %q", want)
		}
	}
	c := b.get("/cases/" + url.PathEscape(domain.AlertID("y2", domain.RuleIneligible)))
	mustStatus(t, "case", c, 200)
	for _, want := range []string{"Dhaka (ঢাকা)", "asks 65 for men"} {
		if !strings.Contains(c.raw, want) {
			t.Errorf("case lacks %q", want)
		}
	}
	if strings.Contains(c.raw, ">26<") {
		t.Error("case shows the district's code, not its name")
	}
}
