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

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
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

	h, err := hashPassword("dss-password", 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.CreateUser(e.ctx, review.User{Username: "dss", Role: review.RoleSupervisor, PasswordHash: h,
		Ministries: []string{"social_welfare"}}, review.Actor{Username: "test"}); err != nil {
		t.Fatal(err)
	}
	tok, hash := NewToken(TokenPrefix)
	if err := e.store.CreateToken(e.ctx, review.APIToken{Hash: hash, Username: "dss", Label: "t", ID: TokenID(tok)}, review.Actor{Username: "test"}); err != nil {
		t.Fatal(err)
	}
	e.tokens["dss"] = tok
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
