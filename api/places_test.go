package api

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
	"github.com/ekjon/ekjon/sinks/postgres"
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
	// Each case's row says how long it has waited, and since when.
	row := regexp.MustCompile(`<tr data-alert="` + regexp.QuoteMeta(domain.AlertID("y2", domain.RuleIneligible)) +
		`">\s*<td title="\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC">(just now|\d+ ?[mhd][^<]*)</td>`)
	if !row.MatchString(q.raw) {
		t.Errorf("the queue's row of y2 does not say how long it has waited:\n%s", q.raw)
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

// testPlaces is a places file of two upazilas of Dhaka district and a
// union of one, the codes made up for the test.
const testPlaces = `division,district,upazila,union,name_en,name_bn,also
30,26,72,,Savar,সাভার,
30,26,14,,Dhamrai,ধামরাই,
30,26,72,17,Ashulia,আশুলিয়া,Asulia
`

// usePlaces makes the test's places file the process's for the test.
func usePlaces(t *testing.T) {
	t.Helper()
	g, err := domain.ParsePlaces(strings.NewReader(testPlaces), "places.csv")
	if err != nil {
		t.Fatal(err)
	}
	old := domain.UsePlaces(g)
	t.Cleanup(func() { domain.UsePlaces(old) })
}

// One union allotted by its English name, its Bangla name and its codes is
// one area: stored by code, and one row of the reconciliation named one
// way in its JSON, its CSV and its page, even beside a row stored before
// places were stored by code. A union the places file does not know is
// kept as given and flagged, its spellings one area.
func TestOneAreaOneName(t *testing.T) {
	usePlaces(t)
	e := newEnv(t)
	alloc := func(id, dist string, count int, area map[string]any) map[string]any {
		return map[string]any{"event_id": id, "type": "allocation", "occurred_at": "2026-11-01T08:00:00+06:00", "source": "dss-mis",
			"programme": "old_age", "cycle": "2026-11", "distributor_id": dist, "count": count, "amount": 600, "area": area}
	}
	held := youngEnrolment("y1", "1100000001", "ঢাকা")
	held["person"].(map[string]any)["address"] = map[string]any{"district": "ঢাকা", "upazila": "সাভার", "union": "asulia"}
	d := e.feed(
		alloc("al-en", "dp-1", 10, map[string]any{"district": "Dhaka", "upazila": "Savar", "union": "Ashulia"}),
		alloc("al-bn", "dp-1", 5, map[string]any{"district": "ঢাকা", "upazila": "সাভার", "union": "আশুলিয়া"}),
		alloc("al-code", "dp-1", 5, map[string]any{"district": "26", "upazila": "72", "union": "17"}),
		alloc("al-old", "dp-1", 2, map[string]any{"union": "267217"}),
		alloc("al-gh", "dp-2", 3, map[string]any{"district": "Dhaka", "upazila": "Savar", "union": "Ghosh-para"}),
		alloc("al-gh2", "dp-2", 4, map[string]any{"district": "dhaka", "upazila": "SAVAR", "union": "ghoshpara"}),
		held,
	)
	for id, dec := range d {
		if want := domain.ActionAdmit; id != "y1" && dec.Action != want {
			t.Fatalf("%s: %+v, want %s", id, dec, want)
		}
	}
	if got := e.queryString(`SELECT string_agg(DISTINCT concat_ws('/', division, district, upazila, union_name), ' ')
		FROM allocations WHERE distributor_id = 'dp-1'`); got != "30/26/2672/267217" {
		t.Errorf("dp-1's allocations stored as %q, want by code", got)
	}
	if got := e.queryString(`SELECT string_agg(DISTINCT union_name, ' ') FROM allocations WHERE distributor_id = 'dp-2'`); got != "Ghosh-para ghoshpara" {
		t.Errorf("dp-2's unknown union stored as %q, want as given", got)
	}
	// A row written before places were stored by code, by its names.
	if _, err := e.store.Pool().Exec(e.ctx, `UPDATE allocations SET division = '', district = 'Dhaka', upazila = 'Savar',
		union_name = 'ASHULIA' WHERE event_id = 'al-old'`); err != nil {
		t.Fatal(err)
	}

	rv, err := NewReview(e.store, e.store, nil, quietLog(), prometheus.NewRegistry(), DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	rv.SetDistributionReports(postgres.Reports{Store: e.store, Policy: domain.DefaultPolicy()})
	r := chi.NewRouter()
	rv.Mount(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	get := func(path string) (int, []byte) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+e.tokens["viewer"])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	const ashulia = "Ashulia (আশুলিয়া), Savar (সাভার), Dhaka (ঢাকা)"
	const ghoshpara = "Ghosh-para, Savar (সাভার), Dhaka (ঢাকা)"
	status, body := get("/api/v1/reports/distribution?programme=old_age&cycle=2026-11")
	var rep struct{ Rows []domain.Reconciliation }
	if err := json.Unmarshal(body, &rep); err != nil || status != http.StatusOK {
		t.Fatalf("report: %d %v %s", status, err, body)
	}
	byDist := map[string]domain.Reconciliation{}
	for _, row := range rep.Rows {
		byDist[row.DistributorID] = row
	}
	if len(rep.Rows) != 2 {
		t.Fatalf("%d rows, want 2: %s", len(rep.Rows), body)
	}
	if r := byDist["dp-1"]; r.Area != ashulia || len(r.Areas) != 1 || r.Allocated != 22 || r.District != "26" ||
		r.DistrictName != "Dhaka (ঢাকা)" || r.Areas[0].Union != "267217" || len(r.Areas[0].Unknown) != 0 {
		t.Errorf("dp-1: %+v", r)
	}
	if r := byDist["dp-2"]; r.Area != ghoshpara || len(r.Areas) != 1 || r.Allocated != 7 ||
		len(r.Areas[0].Unknown) != 1 || r.Areas[0].Unknown[0] != domain.LevelUnion {
		t.Errorf("dp-2: %+v", r)
	}
	for _, spelling := range []string{"Dhaka", "ঢাকা", "26", "২৬", "dhaka district"} {
		status, body := get("/api/v1/reports/distribution?cycle=2026-11&district=" + url.QueryEscape(spelling))
		var rep struct{ Rows []domain.Reconciliation }
		if err := json.Unmarshal(body, &rep); err != nil || status != http.StatusOK || len(rep.Rows) != 2 {
			t.Errorf("district=%s: %d %v %d rows, want 2", spelling, status, err, len(rep.Rows))
		}
	}
	if _, body := get("/api/v1/reports/distribution?cycle=2026-11&district=Chittagong"); !strings.Contains(string(body), `"rows":[]`) {
		t.Errorf("district=Chittagong: %s", body)
	}

	_, body = get("/api/v1/reports/distribution.csv?cycle=2026-11")
	recs, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil || len(recs) != 3 {
		t.Fatalf("CSV: %v %q", err, recs)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, rec := range recs[1:] {
		want := map[string][3]string{"dp-1": {ashulia, "26", ""}, "dp-2": {ghoshpara, "26", "union Ghosh-para"}}[rec[col["distributor_id"]]]
		if got := [3]string{rec[col["area"]], rec[col["district"]], rec[col["unknown_places"]]}; got != want || rec[col["district_name"]] != "Dhaka (ঢাকা)" {
			t.Errorf("CSV row %q, want area, district, unknown %q", rec, want)
		}
	}

	b := e.newBrowser("")
	b.srv = srv.URL
	if _, res := b.login("viewer", "viewer-password"); res.status != http.StatusSeeOther {
		t.Fatalf("login: %d", res.status)
	}
	page := b.get("/distribution?programme=old_age&cycle=2026-11")
	mustStatus(t, "distribution page", page, http.StatusOK)
	if n := strings.Count(page.raw, ashulia); n != 1 {
		t.Errorf("the page names Ashulia %d times, want once", n)
	}
	for _, stray := range []string{"আশুলিয়া, সাভার", "17, 72", "ghoshpara", "ASHULIA"} {
		if strings.Contains(page.raw, stray) {
			t.Errorf("the page shows %q", stray)
		}
	}
	if !strings.Contains(page.raw, `title="not in the places list: union Ghosh-para"`) {
		t.Error("the page does not flag the union the places list lacks")
	}

	// The case of a person enrolled there names the upazila and union as
	// everywhere else.
	c := b.get("/cases/" + url.PathEscape(domain.AlertID("y1", domain.RuleIneligible)))
	mustStatus(t, "case", c, http.StatusOK)
	for _, want := range []string{"Savar (সাভার)", ashulia[:len("Ashulia (আশুলিয়া)")]} {
		if !strings.Contains(c.raw, want) {
			t.Errorf("case lacks %q", want)
		}
	}
}

// The card sheet of a union is a place's: the persons whose address names
// it in either script, by code or by another spelling the places file
// knows, and not a namesake written under another upazila; each card
// names its union and upazila by their one name.
func TestCardSheetByPlace(t *testing.T) {
	usePlaces(t)
	e := newEnv(t)
	e.withCards()
	newServed(t, e)
	given := []struct{ id, name, upazila, union string }{
		{"c1", "Abdul Alim", "Savar", "Ashulia"},
		{"c2", "Belal Hossain", "সাভার", "আশুলিয়া"},
		{"c3", "Chan Mia", "72", "17"},
		{"c4", "Delwar Sarkar", "Savar", "Asulia"},
		{"c5", "Enamul Haque", "", "267217"},
		{"c6", "Faruk Ahmed", "Dhamrai", "Ashulia"}, // a union Dhamrai does not have
		{"c7", "Golam Kibria", "Savar", "Birulia"},  // another union
	}
	for i, g := range given {
		ev := enrolment(g.id, "old_age", fmt.Sprintf("26%011d", 700+i), fmt.Sprintf("0171700000%d", i))
		p := ev["person"].(map[string]any)
		p["name_en"], p["name_bn"], p["father_name"], p["dob"] = g.name, "", "Father "+g.id, fmt.Sprintf("194%d-0%d-1%d", i, i+1, i)
		p["address"] = map[string]any{"district": "Dhaka", "upazila": g.upazila, "union": g.union}
		if d := e.feed(ev); d[g.id].Action != domain.ActionAdmit {
			t.Fatalf("%s: %+v", g.id, d[g.id])
		}
	}
	b, res := e.login("supervisor", "supervisor-password")
	mustStatus(t, "login", res, http.StatusSeeOther)
	for _, union := range []string{"Ashulia", "আশুলিয়া", "267217", "asulia union"} {
		page := b.get("/cards?union=" + url.QueryEscape(union))
		mustStatus(t, "card sheet", page, 200)
		for _, g := range given {
			want := g.id != "c6" && g.id != "c7"
			if got := strings.Contains(page.raw, g.name); got != want {
				t.Errorf("the sheet of %q: %s shown %v, want %v", union, g.name, got, want)
			}
		}
		if !strings.Contains(page.raw, "Aid cards · Ashulia (আশুলিয়া)") {
			t.Errorf("the sheet of %q is not titled by the union's one name", union)
		}
		if n := strings.Count(page.raw, "Ashulia (আশুলিয়া), Savar (সাভার)"); n != 5 {
			t.Errorf("the sheet of %q names the union and upazila by their one name on %d cards, want 5", union, n)
		}
	}
	// A union the places file does not know is taken as written.
	page := b.get("/cards?union=Birulia")
	if !strings.Contains(page.raw, "Golam Kibria") || strings.Contains(page.raw, "Abdul Alim") {
		t.Errorf("the sheet of an unknown union:\n%s", page.raw)
	}
}

// A reconciliation row is split by the areas allotted: what each area's
// allocations allot and the hand-outs located in it, however either
// writes the place; hand-outs located elsewhere, or too vaguely, are
// unplaced.
func TestReconciliationByArea(t *testing.T) {
	usePlaces(t)
	e := newEnv(t)
	alloc := func(id string, count int, area map[string]any) map[string]any {
		return map[string]any{"event_id": id, "type": "allocation", "occurred_at": "2026-11-01T08:00:00+06:00", "source": "dss-mis",
			"programme": "old_age", "cycle": "2026-11", "distributor_id": "dp-1", "count": count, "amount": 600, "area": area}
	}
	e.feed(
		alloc("al-a", 3, map[string]any{"district": "Dhaka", "upazila": "Savar", "union": "Ashulia"}),
		alloc("al-a2", 1, map[string]any{"union": "আশুলিয়া"}),
		alloc("al-d", 2, map[string]any{"district": "Dhaka", "upazila": "Dhamrai"}),
	)
	locs := []map[string]any{
		{"district": "ঢাকা", "union": "আশুলিয়া"},
		{"district": "26", "upazila": "72", "union": "17"},
		{"district": "Dhaka", "upazila": "ধামরাই"},
		{"district": "Dhaka", "upazila": "Savar"}, // no union: not placed in Ashulia
		{"district": "Gazipur"},
	}
	for i, loc := range locs {
		id, nid, wallet := fmt.Sprint("b", i), fmt.Sprintf("26%011d", 900+i), fmt.Sprintf("0171900000%d", i)
		ev := enrolment(id, "old_age", nid, wallet)
		p := ev["person"].(map[string]any)
		p["name_en"], p["name_bn"], p["father_name"], p["dob"] = []string{"Abul", "Babul", "Kabir", "Delu", "Emdad"}[i]+" Mia", "", "Father "+id, fmt.Sprintf("194%d-0%d-1%d", i, i+1, i)
		pay := payment("h"+id, "old_age", nid, wallet)
		pay["distributor_id"], pay["location"] = "dp-1", loc
		if d := e.feed(ev); d[id].Action != domain.ActionAdmit {
			t.Fatalf("%s: %+v", id, d[id])
		}
		if d := e.feed(pay); d["h"+id].Action != domain.ActionAdmit {
			t.Fatalf("h%s: %+v", id, d["h"+id])
		}
	}
	rows, err := e.store.Reconcile(e.ctx, domain.ReconcileFilter{Programme: "old_age", Cycle: "2026-11"}, domain.DefaultPolicy(), 0, time.Now())
	if err != nil || len(rows) != 1 {
		t.Fatalf("rows %+v, err %v", rows, err)
	}
	r := rows[0]
	// In the areas' order: allotted at one time, by code.
	want := []domain.AreaFigures{
		{Key: "26/2614/", Label: "Dhamrai (ধামরাই), Dhaka (ঢাকা)", Allocated: 2, Distributed: 1},
		{Key: "26/2672/267217", Label: "Ashulia (আশুলিয়া), Savar (সাভার), Dhaka (ঢাকা)", Allocated: 4, Distributed: 2},
	}
	if r.Allocated != 6 || r.Distributed != 5 || r.Unplaced != 2 || !slices.Equal(r.ByArea, want) {
		t.Errorf("by area %+v, unplaced %d (allocated %d, distributed %d); want %+v, unplaced 2", r.ByArea, r.Unplaced, r.Allocated, r.Distributed, want)
	}
	// The CSV and the page say the same.
	e.rv.SetDistributionReports(postgres.Reports{Store: e.store, Policy: domain.DefaultPolicy()})
	newServed(t, e)
	c := e.call(review.RoleViewer, http.MethodGet, "/api/v1/reports/distribution.csv?programme=old_age", nil)
	mustStatus(t, "csv", c, 200)
	if !strings.Contains(c.raw, "by_area,distributed_unplaced") ||
		!strings.Contains(c.raw, "Dhamrai (ধামরাই), Dhaka (ঢাকা): 2/1; Ashulia (আশুলিয়া), Savar (সাভার), Dhaka (ঢাকা): 4/2\",2") {
		t.Errorf("distribution.csv lacks the areas' figures:\n%s", c.raw)
	}
	b, res := e.login("viewer", "viewer-password")
	mustStatus(t, "login", res, http.StatusSeeOther)
	page := b.get("/distribution?programme=old_age")
	for _, want := range []string{"Ashulia (আশুলিয়া), Savar (সাভার), Dhaka (ঢাকা): 4 allotted, 2 handed out", "elsewhere or unplaced: 2 handed out"} {
		if !strings.Contains(page.raw, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}
