package api

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/ekjon/ekjon/cards"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
	"github.com/ekjon/ekjon/sinks/postgres"
)

// TestScopedUserWalksEveryRoute walks every route of the API and the UI as
// a supervisor bound to the Ministry of Social Welfare: each answers with
// that ministry's programmes only, and a case, person or decision of
// another ministry's programme is not found, as if it did not exist. The
// route list is read from the router, so a route added later without a
// step here fails the test.
func TestScopedUserWalksEveryRoute(t *testing.T) {
	e := newEnv(t)
	w := seed(t, e)
	// Another ministry's case: a freedom fighter (Liberation War Affairs)
	// enrolled after death, held.
	e.feed(status("st-f", "1000000009", "deceased"))
	if d := e.feed(enrolment("enr-f", "freedom_fighter", "1000000009", "01799999999")); d["enr-f"].Action != domain.ActionHold {
		t.Fatalf("enr-f: %+v, want HOLD", d["enr-f"])
	}
	foreign := domain.AlertID("enr-f", domain.RuleDeceasedOrExited)
	// A cycle allotted to both ministries' programmes, and handed out in
	// each, for the reports.
	allot := func(id, prog string) map[string]any {
		return map[string]any{"event_id": id, "type": "allocation", "occurred_at": "2026-11-01T08:00:00+06:00", "source": "mis",
			"programme": prog, "cycle": "2026-11", "distributor_id": "dp-" + prog, "count": 3, "amount": 600,
			"area": map[string]any{"district": "Dhaka", "upazila": "Savar", "union": "Ashulia"}}
	}
	e.feed(allot("al-own", "old_age"), allot("al-foreign", "vgd"))
	e.withCards()
	e.rv.SetDistributionReports(postgres.Reports{Store: e.store, Policy: domain.DefaultPolicy()})
	newServed(t, e)
	cardNo := func(person string) string {
		return e.queryString(`SELECT card_no FROM cards WHERE person_id = $1 AND status = 'active'`, person)
	}
	ownCard, foreignCard := cardNo(w.personA), cardNo(w.personD)
	if ownCard == "" || foreignCard == "" {
		t.Fatalf("cards: own %q, foreign %q", ownCard, foreignCard)
	}

	e.addMinistryUser("dss", review.RoleSupervisor, "dss-password", "social_welfare")
	b, res := e.login("dss", "dss-password")
	mustStatus(t, "login", res, http.StatusSeeOther)

	mine := []string{w.walletHold, w.enrolHold, w.block}
	theirs := []string{w.possible, foreign}
	hasNone := func(t *testing.T, where, body string) {
		t.Helper()
		for _, id := range theirs {
			if strings.Contains(body, id) || strings.Contains(body, url.PathEscape(id)) {
				t.Errorf("%s shows %s, another ministry's alert", where, id)
			}
		}
		for _, leak := range []string{"vgd", "freedom_fighter", "Vulnerable Group", "Freedom Fighters"} {
			if strings.Contains(body, leak) {
				t.Errorf("%s mentions %q", where, leak)
			}
		}
	}
	csvRows := func(t *testing.T, r response) [][]string {
		t.Helper()
		mustStatus(t, "csv", r, 200)
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Fatalf("content type %q", ct)
		}
		rows, err := csv.NewReader(bytes.NewReader([]byte(r.raw))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}

	steps := map[string]func(t *testing.T){
		"GET /api/v1/alerts": func(t *testing.T) {
			r := e.call("dss", http.MethodGet, "/api/v1/alerts?status=active", nil)
			mustStatus(t, "alerts", r, 200)
			if n := len(r.body["alerts"].([]any)); n != len(mine) {
				t.Errorf("%d alerts, want %d", n, len(mine))
			}
			hasNone(t, "alerts", r.raw)
			if r := e.call("dss", http.MethodGet, "/api/v1/alerts?programme=vgd", nil); len(r.body["alerts"].([]any)) != 0 {
				t.Errorf("asking for vgd by name shows %s", r.raw)
			}
		},
		"GET /api/v1/alerts/{id}": func(t *testing.T) {
			mustStatus(t, "own case", e.call("dss", http.MethodGet, alertPath(w.enrolHold), nil), 200)
			for _, id := range theirs {
				mustStatus(t, "foreign case", e.call("dss", http.MethodGet, alertPath(id), nil), 404)
			}
		},
		"POST /api/v1/alerts/{id}/assign": func(t *testing.T) {
			mustStatus(t, "foreign assign", e.call("dss", http.MethodPost, alertPath(w.possible)+"/assign", map[string]string{}), 404)
			mustStatus(t, "own assign", e.call("dss", http.MethodPost, alertPath(w.walletHold)+"/assign", map[string]string{}), 200)
		},
		"POST /api/v1/alerts/{id}/decision": func(t *testing.T) {
			body := map[string]string{"decision": "escalate", "reason": "to check"}
			mustStatus(t, "foreign ruling", e.call("dss", http.MethodPost, alertPath(foreign)+"/decision", body), 404)
			if s := e.queryString(`SELECT status FROM alerts WHERE alert_id = $1`, foreign); s != review.AlertOpen {
				t.Errorf("foreign alert is %s after a refused ruling", s)
			}
			mustStatus(t, "own ruling", e.call("dss", http.MethodPost, alertPath(w.block)+"/decision", body), 200)
		},
		"GET /api/v1/persons/{id}": func(t *testing.T) {
			mustStatus(t, "foreign person", e.call("dss", http.MethodGet, "/api/v1/persons/"+w.personD, nil), 404)
			r := e.call("dss", http.MethodGet, "/api/v1/persons/"+w.personA, nil)
			mustStatus(t, "own person", r, 200)
			hasNone(t, "person", r.raw)
		},
		"GET /api/v1/persons/{id}/cluster": func(t *testing.T) {
			// personA (old age, this ministry's) and personD (VGD, another's)
			// in one cluster, as a "same person" ruling leaves them.
			if _, err := e.store.Pool().Exec(e.ctx, `UPDATE persons SET cluster_id = $1 WHERE person_id = ANY($2)`,
				w.personA, []string{w.personA, w.personD}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.store.Pool().Exec(e.ctx, `INSERT INTO cluster_edges (person_a, person_b, kind, state, event_id)
				VALUES ($1, $2, 'same_person', 'live', 'enr-d')`, w.personD, w.personA); err != nil {
				t.Fatal(err)
			}
			mustStatus(t, "foreign person's cluster", e.call("dss", http.MethodGet, "/api/v1/persons/"+w.personD+"/cluster", nil), 404)
			r := e.call("dss", http.MethodGet, "/api/v1/persons/"+w.personA+"/cluster", nil)
			mustStatus(t, "own person's cluster", r, 200)
			hasNone(t, "cluster", r.raw)
			if strings.Contains(r.raw, w.personD) || strings.Contains(r.raw, "enr-d") {
				t.Errorf("cluster shows another ministry's person: %s", r.raw)
			}
			if all := e.call(review.RoleAdmin, http.MethodGet, "/api/v1/persons/"+w.personA+"/cluster", nil); !strings.Contains(all.raw, "enr-d") {
				t.Errorf("an admin's cluster lacks enr-d: %s", all.raw)
			}
		},
		"GET /api/v1/events/{id}/decision": func(t *testing.T) {
			mustStatus(t, "foreign decision", e.call("dss", http.MethodGet, "/api/v1/events/enr-d/decision", nil), 404)
			mustStatus(t, "foreign decision", e.call("dss", http.MethodGet, "/api/v1/events/enr-f/decision", nil), 404)
			mustStatus(t, "own decision", e.call("dss", http.MethodGet, "/api/v1/events/enr-a/decision", nil), 200)
		},
		"GET /api/v1/stats": func(t *testing.T) {
			r := e.call("dss", http.MethodGet, "/api/v1/stats", nil)
			mustStatus(t, "stats", r, 200)
			if n := r.body["open_total"].(float64); int(n) != len(mine) {
				t.Errorf("open_total %v, want %d", n, len(mine))
			}
			hasNone(t, "stats", r.raw)
			if all := e.call(review.RoleAdmin, http.MethodGet, "/api/v1/stats", nil); int(all.body["open_total"].(float64)) != len(mine)+len(theirs) {
				t.Errorf("admin open_total %v, want every alert", all.body["open_total"])
			}
		},
		"GET /api/v1/me": func(t *testing.T) {
			r := e.call("dss", http.MethodGet, "/api/v1/me", nil)
			mustStatus(t, "me", r, 200)
			if ms, _ := r.body["ministries"].([]any); len(ms) != 1 || ms[0] != "social_welfare" {
				t.Errorf("me: %s", r.raw)
			}
		},
		"GET /api/v1/dashboard": func(t *testing.T) {
			r := e.call("dss", http.MethodGet, "/api/v1/dashboard", nil)
			mustStatus(t, "dashboard", r, 200)
			hasNone(t, "dashboard", r.raw)
			ms := r.body["ministries"].([]any)
			if len(ms) != 1 || ms[0].(map[string]any)["key"] != "social_welfare" {
				t.Errorf("ministries %v, want social welfare alone", ms)
			}
		},
		"GET /api/v1/dashboard/{table}": func(t *testing.T) {
			for _, table := range dashboardTables {
				rows := csvRows(t, e.call("dss", http.MethodGet, "/api/v1/dashboard/"+table+".csv", nil))
				if len(rows) < 1 {
					t.Errorf("%s: no header", table)
				}
				var flat strings.Builder
				for _, r := range rows {
					flat.WriteString(strings.Join(r, ",") + "\n")
				}
				hasNone(t, table+".csv", flat.String())
			}
			mustStatus(t, "unknown table", e.call("dss", http.MethodGet, "/api/v1/dashboard/secrets.csv", nil), 400)
		},
		"GET /queue": func(t *testing.T) {
			q := b.get("/queue?status=active")
			mustStatus(t, "queue", q, 200)
			for _, id := range mine {
				if !strings.Contains(q.raw, `data-alert="`+id+`"`) {
					t.Errorf("queue lacks own alert %s", id)
				}
			}
			hasNone(t, "queue", q.raw)
		},
		"GET /overview": func(t *testing.T) {
			o := b.get("/overview")
			mustStatus(t, "overview", o, 200)
			hasNone(t, "overview", o.raw)
			if !strings.Contains(o.raw, "Ministry of Social Welfare") || !strings.Contains(o.raw, "সমাজকল্যাণ মন্ত্রণালয়") {
				t.Error("overview does not name the user's ministry in both languages")
			}
		},
		"GET /overview/{table}": func(t *testing.T) {
			for _, table := range dashboardTables {
				rows := csvRows(t, b.get("/overview/"+table+".csv"))
				var flat strings.Builder
				for _, r := range rows {
					flat.WriteString(strings.Join(r, ",") + "\n")
				}
				hasNone(t, "/overview/"+table+".csv", flat.String())
			}
		},
		"GET /cases/{id}": func(t *testing.T) {
			mustStatus(t, "own case page", b.get("/cases/"+url.PathEscape(w.enrolHold)), 200)
			for _, id := range theirs {
				c := b.get("/cases/" + url.PathEscape(id))
				mustStatus(t, "foreign case page", c, 404)
				hasNone(t, "foreign case page", c.raw)
			}
		},
		"POST /cases/{id}/decision": func(t *testing.T) {
			v := url.Values{"csrf": {b.csrf}, "decision": {"escalate"}, "reason": {"check"}, "revision": {"0"}}
			mustStatus(t, "foreign ruling form", b.postForm("/cases/"+url.PathEscape(w.possible)+"/decision", v), 404)
			mustStatus(t, "own ruling form", b.postForm("/cases/"+url.PathEscape(w.enrolHold)+"/decision", v), 303)
		},
		"POST /cases/{id}/assign": func(t *testing.T) {
			v := url.Values{"csrf": {b.csrf}}
			mustStatus(t, "foreign assign form", b.postForm("/cases/"+url.PathEscape(foreign)+"/assign", v), 404)
			if a := e.queryString(`SELECT coalesce(assignee, '') FROM alerts WHERE alert_id = $1`, foreign); a != "" {
				t.Errorf("foreign alert assigned to %q", a)
			}
		},
		"GET /api/v1/persons/{id}/card": func(t *testing.T) {
			mustStatus(t, "foreign card", e.call("dss", http.MethodGet, "/api/v1/persons/"+w.personD+"/card", nil), 404)
			r := e.call("dss", http.MethodGet, "/api/v1/persons/"+w.personA+"/card", nil)
			mustStatus(t, "own card", r, 200)
			if r.body["card_no"] != ownCard {
				t.Errorf("own card: %s", r.raw)
			}
		},
		"GET /api/v1/persons/{id}/card.png": func(t *testing.T) {
			r := e.call("dss", http.MethodGet, "/api/v1/persons/"+w.personD+"/card.png", nil)
			mustStatus(t, "foreign card image", r, 404)
			if strings.HasPrefix(r.raw, "\x89PNG") {
				t.Error("a foreign card's QR was drawn")
			}
			if r := e.call("dss", http.MethodGet, "/api/v1/persons/"+w.personA+"/card.png", nil); r.status != 200 || !strings.HasPrefix(r.raw, "\x89PNG") {
				t.Errorf("own card image: HTTP %d", r.status)
			}
		},
		"POST /api/v1/persons/{id}/card/replace": func(t *testing.T) {
			body := map[string]string{"reason": "lost"}
			mustStatus(t, "foreign replace", e.call("dss", http.MethodPost, "/api/v1/persons/"+w.personD+"/card/replace", body), 404)
			if got := cardNo(w.personD); got != foreignCard {
				t.Errorf("a foreign card was replaced: %s, then %s", foreignCard, got)
			}
		},
		"POST /api/v1/persons/{id}/card/revoke": func(t *testing.T) {
			body := map[string]string{"reason": "misused"}
			mustStatus(t, "foreign revoke", e.call("dss", http.MethodPost, "/api/v1/persons/"+w.personD+"/card/revoke", body), 404)
			if got := cardNo(w.personD); got != foreignCard {
				t.Errorf("a foreign card was revoked: %q", got)
			}
		},
		"POST /api/v1/scans": func(t *testing.T) {
			// Scanning is a distributor's: a ministry's supervisor may
			// not hand out, in their programmes or another's.
			for _, prog := range []string{"old_age", "vgd"} {
				body := map[string]any{"scan_id": "s-" + prog, "qr": "x", "programme": prog, "cycle": "2026-11"}
				mustStatus(t, "scan "+prog, e.call("dss", http.MethodPost, "/api/v1/scans", body), 403)
			}
		},
		"POST /api/v1/scans/verify": func(t *testing.T) {
			body := map[string]any{"scan_id": "v-1", "qr": "x", "programme": "vgd", "cycle": "2026-11"}
			mustStatus(t, "verify", e.call("dss", http.MethodPost, "/api/v1/scans/verify", body), 403)
		},
		"GET /api/v1/reports/distribution": func(t *testing.T) {
			r := e.call("dss", http.MethodGet, "/api/v1/reports/distribution", nil)
			mustStatus(t, "distribution", r, 200)
			if !strings.Contains(r.raw, "dp-old_age") {
				t.Errorf("the report lacks the own programme's row: %s", r.raw)
			}
			hasNone(t, "distribution", r.raw)
			if r := e.call("dss", http.MethodGet, "/api/v1/reports/distribution?programme=vgd", nil); strings.Contains(r.raw, "dp-vgd") {
				t.Errorf("asking for vgd by name shows %s", r.raw)
			}
		},
		"GET /api/v1/reports/distribution.csv": func(t *testing.T) {
			rows := csvRows(t, e.call("dss", http.MethodGet, "/api/v1/reports/distribution.csv", nil))
			var flat strings.Builder
			for _, r := range rows {
				flat.WriteString(strings.Join(r, ",") + "\n")
			}
			if !strings.Contains(flat.String(), "dp-old_age") {
				t.Errorf("the CSV lacks the own programme's row: %s", flat.String())
			}
			hasNone(t, "distribution.csv", flat.String())
		},
		"GET /api/v1/reports/distributors": func(t *testing.T) {
			r := e.call("dss", http.MethodGet, "/api/v1/reports/distributors", nil)
			mustStatus(t, "distributors", r, 200)
			hasNone(t, "distributors", r.raw)
			if strings.Contains(r.raw, "dp-vgd") {
				t.Errorf("scorecards show another ministry's distributor: %s", r.raw)
			}
		},
		"GET /api/v1/reports/distributors.csv": func(t *testing.T) {
			r := e.call("dss", http.MethodGet, "/api/v1/reports/distributors.csv", nil)
			csvRows(t, r)
			hasNone(t, "distributors.csv", r.raw)
		},
		"GET /distribution": func(t *testing.T) {
			r := b.get("/distribution")
			mustStatus(t, "distribution page", r, 200)
			hasNone(t, "distribution page", r.raw)
			if strings.Contains(r.raw, "dp-vgd") || !strings.Contains(r.raw, "dp-old_age") {
				t.Error("the distribution page does not show the own programme alone")
			}
		},
		"GET /distributors": func(t *testing.T) {
			r := b.get("/distributors")
			mustStatus(t, "distributors page", r, 200)
			hasNone(t, "distributors page", r.raw)
		},
		"GET /cards": func(t *testing.T) {
			r := b.get("/cards")
			mustStatus(t, "card sheet", r, 200)
			if !strings.Contains(r.raw, cards.Format(ownCard)) {
				t.Error("the card sheet lacks a card of the ministry's own programmes")
			}
			if strings.Contains(r.raw, cards.Format(foreignCard)) {
				t.Error("the card sheet prints the card of a person in another ministry's programme alone")
			}
			hasNone(t, "card sheet", r.raw)
		},
		// Routes that show no programme's data.
		"GET /":        func(t *testing.T) { mustStatus(t, "root", b.get("/"), http.StatusSeeOther) },
		"GET /login":   func(t *testing.T) { mustStatus(t, "login page", e.newBrowser("").get("/login"), 200) },
		"POST /login":  func(t *testing.T) {}, // logged in above
		"POST /logout": func(t *testing.T) {}, // ends the session the other steps use; login_test covers it
		"* /static/*":  func(t *testing.T) { mustStatus(t, "css", b.get("/static/app.css"), 200) },
	}

	r := chi.NewRouter()
	e.rv.Mount(r)
	var routes []string
	seen := map[string]bool{}
	if err := chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if route == "/static/*" {
			method = "*" // the file server answers every method
		}
		if rt := method + " " + strings.TrimSuffix(route, "/"); !seen[rt] {
			seen[rt] = true
			routes = append(routes, rt)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sort.Strings(routes)
	for _, rt := range routes {
		if rt == "GET " {
			rt = "GET /"
		}
		step, ok := steps[rt]
		if !ok {
			t.Errorf("route %s is not walked by this test", rt)
			continue
		}
		t.Run(rt, step)
	}
}
