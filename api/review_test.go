package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
)

// world is the seeded record: one alert of each shape the case page shows.
type world struct {
	walletHold   string // HOLD WALLET_MISMATCH on a payment
	enrolHold    string // HOLD DECEASED_OR_EXITED on an enrolment
	block        string // BLOCK MULTI_PROGRAMME on an enrolment, as the pipeline raises it
	possible     string // ADMIT + POSSIBLE_PERSON with a matched person and a score
	personA      string
	personB      string
	personC      string
	personD      string
	nidB, nidC   string
	heldEventB   string
	blockedEvent string
}

func seed(t *testing.T, e *env) world {
	t.Helper()
	w := world{nidB: "1000000002", nidC: "1000000003", heldEventB: "enr-b", blockedEvent: "enr-c2"}
	d := e.feed(enrolment("enr-a", "old_age", "1000000001", "01711111111"))
	w.personA = d["enr-a"].PersonID
	if d := e.feed(payment("pay-a", "old_age", "1000000001", "01722222222")); d["pay-a"].Action != domain.ActionHold {
		t.Fatalf("pay-a: %+v, want HOLD", d["pay-a"])
	}
	w.walletHold = domain.AlertID("pay-a", domain.RuleWalletMismatch)

	e.feed(status("st-b", w.nidB, "deceased"))
	d = e.feed(enrolment("enr-b", "old_age", w.nidB, "01733333333"))
	if d["enr-b"].Action != domain.ActionHold {
		t.Fatalf("enr-b: %+v, want HOLD", d["enr-b"])
	}
	w.personB = d["enr-b"].PersonID
	w.enrolHold = domain.AlertID("enr-b", domain.RuleDeceasedOrExited)

	e.feed(enrolment("enr-c1", "old_age", w.nidC, "01744444444"))
	d = e.feed(enrolment("enr-c2", "widow", w.nidC, "01744444444"))
	if d["enr-c2"].Action != domain.ActionBlock {
		t.Fatalf("enr-c2: %+v, want BLOCK", d["enr-c2"])
	}
	w.personC = d["enr-c2"].PersonID
	w.block = domain.AlertID("enr-c2", domain.RuleMultiProgramme) // raised by the pipeline itself

	d = e.feed(enrolment("enr-d", "vgd", "1000000004", "01755555555"))
	w.personD = d["enr-d"].PersonID
	w.possible = e.insertAlert("enr-d", domain.RulePossiblePerson, domain.ActionAdmit, w.personD, w.personA, 7.25,
		[]domain.Contribution{{Field: "name", Level: "exact", Weight: 6.5}, {Field: "dob", Level: "exact", Weight: 3}, {Field: "nid", Level: "far", Weight: -2.25}})
	return w
}

// TestReleaseHeldEnrolment is the path a reviewer's release takes: the
// record, the index and ekjon.decisions all learn that the enrolment is
// admitted, and the person's later payments pass.
func TestReleaseHeldEnrolment(t *testing.T) {
	e := newEnv(t)
	w := seed(t, e)

	res := e.call(review.RoleReviewer, http.MethodPost, alertPath(w.enrolHold)+"/decision",
		map[string]any{"decision": "release", "reason": "death record was for a namesake; checked with the union office"})
	mustStatus(t, "release", res, http.StatusOK)
	if res.body["status"] != "closed" || res.body["resolved_by"] != "reviewer" {
		t.Fatalf("alert after release: %s", res.raw)
	}
	if got := e.queryString(`SELECT action || ' ' || revised_by FROM decisions WHERE event_id = 'enr-b'`); got != "ADMIT reviewer" {
		t.Fatalf("decision row: %q", got)
	}
	if got := e.queryString(`SELECT status FROM enrolments WHERE event_id = 'enr-b'`); got != "active" {
		t.Fatalf("enrolment status %q, want active", got)
	}
	if got := e.queryString(`SELECT before->'decision'->>'action' FROM audit WHERE object_id = $1 AND action = 'decision:release'`, w.enrolHold); got != "HOLD" {
		t.Fatalf("audit before: %q, want the pipeline's HOLD", got)
	}
	if h := e.personHash(w.nidB); h["h:old_age"] == "" {
		t.Fatalf("the index changed before the relay ran: %v", h)
	}

	n, err := e.relay.Flush(e.ctx)
	if err != nil || n != 1 {
		t.Fatalf("relay: %d, %v; want 1 published", n, err)
	}
	if h := e.personHash(w.nidB); h["h:old_age"] != "" {
		t.Fatalf("index still holds the released enrolment: %v", h)
	}
	pub := e.decisionsOnTopic("enr-b")
	if len(pub) != 2 || pub[0].Action != domain.ActionHold || pub[1].Action != domain.ActionAdmit {
		t.Fatalf("ekjon.decisions for enr-b: %+v; want HOLD then ADMIT", pub)
	}
	if !pub[1].DecidedAt.After(pub[0].DecidedAt) {
		t.Fatalf("revised decision's decided_at %v is not after %v", pub[1].DecidedAt, pub[0].DecidedAt)
	}
	if n, err := e.relay.Flush(e.ctx); err != nil || n != 0 {
		t.Fatalf("second relay: %d, %v; want nothing left", n, err)
	}

	got := e.call(review.RoleViewer, http.MethodGet, "/api/v1/events/enr-b/decision", nil)
	mustStatus(t, "event decision", got, http.StatusOK)
	if got.body["action"] != "ADMIT" || got.body["revised_by"] != "reviewer" {
		t.Fatalf("event decision: %s", got.raw)
	}

	// The person is reinstated; the released enrolment now lets a payment
	// through, where a held one would block it.
	e.feed(status("st-b2", w.nidB, "reinstated"))
	if d := e.feed(payment("pay-b", "old_age", w.nidB, "01733333333")); d["pay-b"].Action != domain.ActionAdmit {
		t.Fatalf("payment after release: %+v, want ADMIT", d["pay-b"])
	}
}

// TestDecisionKinds covers each decision, who may make it and its effect.
func TestDecisionKinds(t *testing.T) {
	cases := []struct {
		name     string
		role     string
		alert    func(world) string
		decision string
		want     int
		check    func(t *testing.T, e *env, w world)
	}{
		{"release wallet hold admits the payment", review.RoleReviewer, func(w world) string { return w.walletHold }, "release", 200,
			func(t *testing.T, e *env, w world) {
				if got := e.queryString(`SELECT action FROM payments WHERE event_id = 'pay-a'`); got != "ADMIT" {
					t.Errorf("payment action %q", got)
				}
				if n := e.queryInt(`SELECT count(*) FROM outbox WHERE event_id = 'pay-a'`); n != 1 {
					t.Errorf("outbox rows %d, want 1", n)
				}
			}},
		{"dismiss is a release", review.RoleReviewer, func(w world) string { return w.enrolHold }, "dismiss", 200,
			func(t *testing.T, e *env, w world) {
				if got := e.queryString(`SELECT action FROM decisions WHERE event_id = 'enr-b'`); got != "ADMIT" {
					t.Errorf("decision %q", got)
				}
			}},
		{"confirm keeps the hold", review.RoleReviewer, func(w world) string { return w.enrolHold }, "confirm", 200,
			func(t *testing.T, e *env, w world) {
				if got := e.queryString(`SELECT action || ' ' || coalesce(revised_by, '-') FROM decisions WHERE event_id = 'enr-b'`); got != "HOLD -" {
					t.Errorf("decision %q, want HOLD unrevised", got)
				}
				if got := e.queryString(`SELECT status FROM enrolments WHERE event_id = 'enr-b'`); got != "held" {
					t.Errorf("enrolment %q", got)
				}
				if n := e.queryInt(`SELECT count(*) FROM outbox`); n != 0 {
					t.Errorf("outbox rows %d, want 0", n)
				}
				if h := e.personHash(w.nidB); h["h:old_age"] == "" {
					t.Errorf("hold lifted in the index: %v", h)
				}
			}},
		{"escalate leaves it to a supervisor", review.RoleReviewer, func(w world) string { return w.enrolHold }, "escalate", 200,
			func(t *testing.T, e *env, w world) {
				r := e.call(review.RoleReviewer, http.MethodPost, alertPath(w.enrolHold)+"/decision", map[string]any{"decision": "release", "reason": "x"})
				mustStatus(t, "reviewer on escalated", r, http.StatusForbidden)
				r = e.call(review.RoleSupervisor, http.MethodPost, alertPath(w.enrolHold)+"/decision", map[string]any{"decision": "release", "reason": "checked"})
				mustStatus(t, "supervisor on escalated", r, http.StatusOK)
			}},
		{"reviewer may not override a block", review.RoleReviewer, func(w world) string { return w.block }, "release", 403,
			func(t *testing.T, e *env, w world) {
				if got := e.queryString(`SELECT action FROM decisions WHERE event_id = 'enr-c2'`); got != "BLOCK" {
					t.Errorf("decision %q, want BLOCK", got)
				}
				if got := e.queryString(`SELECT status FROM alerts WHERE alert_id = $1`, w.block); got != "open" {
					t.Errorf("alert %q, want open", got)
				}
			}},
		{"supervisor overrides a block and the programme is claimed", review.RoleSupervisor, func(w world) string { return w.block }, "release", 200,
			func(t *testing.T, e *env, w world) {
				if got := e.queryString(`SELECT status FROM enrolments WHERE event_id = 'enr-c2'`); got != "active" {
					t.Errorf("enrolment %q", got)
				}
				if _, err := e.relay.Flush(e.ctx); err != nil {
					t.Fatal(err)
				}
				if h := e.personHash(w.nidC); h["e:widow"] == "" {
					t.Errorf("widow not claimed in the index: %v", h)
				}
				if d := e.feed(payment("pay-c", "widow", w.nidC, "01744444444")); d["pay-c"].Action != domain.ActionAdmit {
					t.Errorf("payment after override: %+v", d["pay-c"])
				}
				if pub := e.decisionsOnTopic("enr-c2"); len(pub) == 0 || pub[len(pub)-1].Action != domain.ActionAdmit {
					t.Errorf("published: %+v", pub)
				}
			}},
		{"same person is a stored judgement", review.RoleReviewer, func(w world) string { return w.possible }, "same_person", 200,
			func(t *testing.T, e *env, w world) {
				v, ok, err := e.store.Judgement(e.ctx, w.personD, w.personA)
				if err != nil || !ok || v != "same" {
					t.Errorf("judgement: %q %v %v", v, ok, err)
				}
			}},
		{"not the same person, either order", review.RoleReviewer, func(w world) string { return w.possible }, "not_same_person", 200,
			func(t *testing.T, e *env, w world) {
				for _, p := range [][2]string{{w.personA, w.personD}, {w.personD, w.personA}} {
					v, ok, err := e.store.Judgement(e.ctx, p[0], p[1])
					if err != nil || !ok || v != "not_same" {
						t.Errorf("judgement %v: %q %v %v", p, v, ok, err)
					}
				}
				if _, ok, _ := e.store.Judgement(e.ctx, w.personA, w.personB); ok {
					t.Errorf("a pair nobody judged has a judgement")
				}
			}},
		{"same person needs two persons", review.RoleReviewer, func(w world) string { return w.enrolHold }, "same_person", 400, nil},
		{"viewer may not rule", review.RoleViewer, func(w world) string { return w.enrolHold }, "confirm", 403, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			w := seed(t, e)
			id := tc.alert(w)
			r := e.call(tc.role, http.MethodPost, alertPath(id)+"/decision", map[string]any{"decision": tc.decision, "reason": "checked the records"})
			mustStatus(t, tc.decision, r, tc.want)
			if tc.want == 200 {
				if n := e.queryInt(`SELECT count(*) FROM audit WHERE object_id = $1 AND actor = $2 AND action = $3`,
					id, tc.role, "decision:"+strings.Replace(tc.decision, "dismiss", "release", 1)); n != 1 {
					t.Errorf("audit rows for the decision: %d, want 1", n)
				}
			}
			if tc.check != nil {
				tc.check(t, e, w)
			}
		})
	}
}

// TestConcurrentDecisions: reviewers deciding one alert at once get one
// success and conflicts, and the first decision stands.
func TestConcurrentDecisions(t *testing.T) {
	e := newEnv(t)
	w := seed(t, e)
	const n = 8
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		results = map[int]int{}
	)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			role, dec := review.RoleReviewer, "release"
			if i%2 == 1 {
				role, dec = review.RoleSupervisor, "confirm"
			}
			r := e.call(role, http.MethodPost, alertPath(w.enrolHold)+"/decision", map[string]any{"decision": dec, "reason": "race"})
			mu.Lock()
			results[r.status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if results[200] != 1 || results[409] != n-1 {
		t.Fatalf("statuses %v; want one 200 and %d 409", results, n-1)
	}
	if got := e.queryInt(`SELECT count(*) FROM audit WHERE object_id = $1 AND action LIKE 'decision:%'`, w.enrolHold); got != 1 {
		t.Fatalf("%d decisions audited, want 1", got)
	}
	res := e.queryString(`SELECT resolution FROM alerts WHERE alert_id = $1`, w.enrolHold)
	wantOutbox := map[string]int{"release": 1, "confirm": 0}[res]
	if got := e.queryInt(`SELECT count(*) FROM outbox`); got != wantOutbox {
		t.Fatalf("outbox rows %d after a %s, want %d", got, res, wantOutbox)
	}
	// A stale revision is a conflict even on an open alert.
	r := e.call(review.RoleReviewer, http.MethodPost, alertPath(w.walletHold)+"/decision", map[string]any{"decision": "confirm", "reason": "x", "revision": 7})
	mustStatus(t, "stale revision", r, http.StatusConflict)
}

// TestAuthAndCSRF covers credentials, sessions and the CSRF checks.
func TestAuthAndCSRF(t *testing.T) {
	e := newEnv(t)
	w := seed(t, e)
	b, res := e.login("reviewer", "reviewer-password")
	mustStatus(t, "login", res, http.StatusSeeOther)
	if b.csrf == "" {
		t.Fatal("no session CSRF token on the queue page")
	}
	decide := alertPath(w.walletHold) + "/decision"
	body := map[string]any{"decision": "confirm", "reason": "ok"}
	raw := func(header string) response {
		req, _ := http.NewRequestWithContext(e.ctx, http.MethodGet, e.srv.URL+"/api/v1/alerts", nil)
		req.Header.Set("Authorization", header)
		return e.do(http.DefaultClient, req)
	}
	cases := []struct {
		name string
		do   func() response
		want int
	}{
		{"no credentials", func() response { return e.call("", http.MethodGet, "/api/v1/alerts", nil) }, 401},
		{"unknown token", func() response { return raw("Bearer ekj_nope") }, 401},
		{"not a bearer token", func() response { return raw("Basic cmV2aWV3ZXI6eA==") }, 401},
		{"session reads", func() response { return b.get("/api/v1/alerts") }, 200},
		{"session POST without CSRF", func() response { return b.postJSON(decide, body, "") }, 403},
		{"session POST with a wrong CSRF", func() response { return b.postJSON(decide, body, "wrong") }, 403},
		{"form POST without CSRF", func() response {
			return b.postForm("/cases/"+url.PathEscape(w.walletHold)+"/decision", url.Values{"decision": {"confirm"}, "reason": {"x"}})
		}, 403},
		{"queue without a session", func() response {
			req, _ := http.NewRequestWithContext(e.ctx, http.MethodGet, e.srv.URL+"/queue", nil)
			return e.do(&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, req)
		}, 303},
		{"wrong password", func() response { _, r := e.login("reviewer", "not-the-password"); return r }, 401},
		{"unknown user", func() response { _, r := e.login("nobody", "whatever-password"); return r }, 401},
		{"login without the form's token", func() response {
			return b.postForm("/login", url.Values{"username": {"reviewer"}, "password": {"reviewer-password"}})
		}, 403},
		{"session POST with its CSRF", func() response { return b.postJSON(decide, body, b.csrf) }, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mustStatus(t, tc.name, tc.do(), tc.want)
		})
	}
	if n := e.queryInt(`SELECT count(*) FROM audit WHERE action = 'login:failed'`); n != 2 {
		t.Errorf("failed logins audited: %d, want 2", n)
	}
	if a := e.queryString(`SELECT address FROM audit WHERE action = 'login' LIMIT 1`); a != "127.0.0.1" {
		t.Errorf("login audited from %q", a)
	}
}

// TestBadInput: every refusal names the field and the reason.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	w := seed(t, e)
	decide := alertPath(w.walletHold) + "/decision"
	cases := []struct {
		name, method, path string
		body               any
		want               int
		field              string
	}{
		{"unknown decision", "POST", decide, map[string]any{"decision": "approve", "reason": "x"}, 400, "decision"},
		{"missing reason", "POST", decide, map[string]any{"decision": "release"}, 400, "reason"},
		{"blank reason", "POST", decide, map[string]any{"decision": "release", "reason": "   "}, 400, "reason"},
		{"unknown field", "POST", decide, map[string]any{"decision": "release", "reason": "x", "force": true}, 400, "force"},
		{"wrong type", "POST", decide, map[string]any{"decision": 3, "reason": "x"}, 400, "decision"},
		{"not JSON", "POST", decide, "{decision", 400, "body"},
		{"empty body", "POST", decide, "", 400, "body"},
		{"bad status filter", "GET", "/api/v1/alerts?status=pending", nil, 400, "status"},
		{"bad limit", "GET", "/api/v1/alerts?limit=0", nil, 400, "limit"},
		{"bad age", "GET", "/api/v1/alerts?older_than=yesterday", nil, 400, "older_than"},
		{"bad cursor", "GET", "/api/v1/alerts?cursor=zzz", nil, 400, "cursor"},
		{"bad hours", "GET", "/api/v1/stats?hours=-1", nil, 400, "hours"},
		{"unknown alert", "GET", alertPath("nope/DUP_NID"), nil, 404, ""},
		{"decide unknown alert", "POST", alertPath("nope/DUP_NID") + "/decision", map[string]any{"decision": "confirm", "reason": "x"}, 404, ""},
		{"unknown person", "GET", "/api/v1/persons/Pnobody", nil, 404, ""},
		{"unknown event", "GET", "/api/v1/events/nope/decision", nil, 404, ""},
		{"assign to a viewer", "POST", alertPath(w.walletHold) + "/assign", map[string]any{"assignee": "viewer"}, 400, "assignee"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(review.RoleSupervisor, tc.method, tc.path, tc.body)
			mustStatus(t, tc.name, r, tc.want)
			if r.field() != tc.field {
				t.Errorf("field %q, want %q: %s", r.field(), tc.field, r.raw)
			}
			if strings.Contains(r.raw, "goroutine") || strings.Contains(r.raw, ".go:") {
				t.Errorf("response leaks internals: %s", r.raw)
			}
		})
	}
}

// TestListAlerts covers the filters and walks the cursor.
func TestListAlerts(t *testing.T) {
	e := newEnv(t)
	w := seed(t, e)
	for i := 0; i < 23; i++ {
		id := fmtID("syn", i)
		if _, err := e.store.Pool().Exec(e.ctx, `WITH k AS (INSERT INTO decision_keys (event_id) VALUES ($1::text) RETURNING recorded_at)
			INSERT INTO decisions (event_id, action, decided_at, config_version, programme, recorded_at)
			SELECT $1::text, 'HOLD', now(), 't', 'vgf', recorded_at FROM k`, id); err != nil {
			t.Fatal(err)
		}
		e.insertAlert(id, domain.RuleSharedContact, domain.ActionHold, "P"+id, "", 0, nil)
	}
	r := e.call(review.RoleReviewer, http.MethodPost, alertPath(w.walletHold)+"/assign", map[string]any{})
	mustStatus(t, "assign to self", r, 200)

	count := func(q string) int {
		r := e.call(review.RoleViewer, http.MethodGet, "/api/v1/alerts?"+q, nil)
		mustStatus(t, q, r, 200)
		return len(r.body["alerts"].([]any))
	}
	cases := []struct {
		query string
		want  int
	}{
		{"limit=500", 27},
		{"status=active&limit=500", 27},
		{"rule=SHARED_CONTACT&limit=500", 23},
		{"programme=vgf&limit=500", 23},
		{"district=Dhaka&limit=500", 27},
		{"assignee=reviewer", 1},
		{"status=assigned", 1},
		{"status=closed", 0},
		{"older_than=1h", 0},
		{"newer_than=1h&limit=500", 27},
		{"rule=WALLET_MISMATCH&district=Dhaka", 1},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			if got := count(tc.query); got != tc.want {
				t.Errorf("%d alerts, want %d", got, tc.want)
			}
		})
	}
	seen := map[string]bool{}
	next, pages := "", 0
	for {
		q := "/api/v1/alerts?limit=5"
		if next != "" {
			q += "&cursor=" + url.QueryEscape(next)
		}
		r := e.call(review.RoleViewer, http.MethodGet, q, nil)
		mustStatus(t, "page", r, 200)
		pages++
		for _, a := range r.body["alerts"].([]any) {
			id := a.(map[string]any)["alert_id"].(string)
			if seen[id] {
				t.Fatalf("alert %s on two pages", id)
			}
			seen[id] = true
		}
		next, _ = r.body["next_cursor"].(string)
		if next == "" {
			break
		}
	}
	if len(seen) != 27 || pages != 6 {
		t.Fatalf("walked %d alerts in %d pages, want 27 in 6", len(seen), pages)
	}
}

// TestMaskingAndCase: NIDs and phones are masked below supervisor, and the
// case shows both records, the differences and the contributions.
func TestMaskingAndCase(t *testing.T) {
	e := newEnv(t)
	w := seed(t, e)
	cases := []struct {
		role    string
		wantNID string
		phone   string
	}{
		{review.RoleViewer, "••••••0004", "••••••••678"},
		{review.RoleReviewer, "••••••0004", "••••••••678"},
		{review.RoleSupervisor, "1000000004", "01712345678"},
		{review.RoleAdmin, "1000000004", "01712345678"},
	}
	for _, tc := range cases {
		t.Run(tc.role, func(t *testing.T) {
			r := e.call(tc.role, http.MethodGet, alertPath(w.possible), nil)
			mustStatus(t, "case", r, 200)
			var c CaseView
			if err := json.Unmarshal([]byte(r.raw), &c); err != nil {
				t.Fatal(err)
			}
			if c.Enrolment == nil || c.Enrolment.Record.NID != tc.wantNID || c.Enrolment.Record.Phone != tc.phone {
				t.Fatalf("enrolment record as %s: %+v", tc.role, c.Enrolment)
			}
			if c.Matched == nil || c.Matched.PersonID != w.personA {
				t.Fatalf("matched record: %+v", c.Matched)
			}
			var nidRow *FieldRow
			for i := range c.Fields {
				if c.Fields[i].Field == "nid" {
					nidRow = &c.Fields[i]
				}
			}
			if nidRow == nil || !nidRow.Differs || nidRow.Left != tc.wantNID {
				t.Fatalf("nid row: %+v", nidRow)
			}
			if len(c.Bars) != 3 || c.Bars[0].Percent != 100 || c.Score != 7.25 {
				t.Fatalf("contributions: %+v score %v", c.Bars, c.Score)
			}
			p := e.call(tc.role, http.MethodGet, "/api/v1/persons/"+w.personD, nil)
			mustStatus(t, "person", p, 200)
			if p.body["nid"] != tc.wantNID {
				t.Fatalf("person nid %v, want %s", p.body["nid"], tc.wantNID)
			}
		})
	}
}

// TestStats counts unresolved alerts and decisions per hour.
func TestStats(t *testing.T) {
	e := newEnv(t)
	seed(t, e)
	r := e.call(review.RoleViewer, http.MethodGet, "/api/v1/stats?hours=3", nil)
	mustStatus(t, "stats", r, 200)
	if r.body["open_total"].(float64) != 4 {
		t.Fatalf("open_total: %s", r.raw)
	}
	hours := r.body["decisions_per_hour"].([]any)
	if len(hours) != 3 {
		t.Fatalf("hours: %d", len(hours))
	}
	total := 0.0
	for _, h := range hours {
		total += h.(map[string]any)["total"].(float64)
	}
	if total != 7 {
		t.Fatalf("decisions in the last hours: %v, want the 7 seeded", total)
	}
	byRule := map[string]float64{}
	for _, c := range r.body["open_by_rule"].([]any) {
		m := c.(map[string]any)
		byRule[m["key"].(string)] = m["count"].(float64)
	}
	if byRule[domain.RuleWalletMismatch] != 1 || byRule[domain.RuleMultiProgramme] != 1 {
		t.Fatalf("by rule: %v", byRule)
	}
}

// TestAuditAppendOnly: the audit trail refuses changes.
func TestAuditAppendOnly(t *testing.T) {
	e := newEnv(t)
	for _, q := range []string{`UPDATE audit SET actor = 'x'`, `DELETE FROM audit`, `TRUNCATE audit`} {
		if _, err := e.store.Pool().Exec(e.ctx, q); err == nil {
			t.Errorf("%s succeeded", q)
		}
	}
}

// TestPages drives the HTML pages with a form session.
func TestPages(t *testing.T) {
	e := newEnv(t)
	w := seed(t, e)
	b, res := e.login("reviewer", "reviewer-password")
	mustStatus(t, "login", res, http.StatusSeeOther)
	q := b.get("/queue")
	mustStatus(t, "queue", q, 200)
	if !strings.Contains(q.raw, `data-alert="`+w.enrolHold+`"`) {
		t.Fatalf("queue lacks %s", w.enrolHold)
	}
	c := b.get("/cases/" + url.PathEscape(w.possible))
	mustStatus(t, "case", c, 200)
	for _, want := range []string{"মোঃ রফিকুল ইসলাম", `class="diff"`, `class="bar pos"`, `class="bar neg"`, "••••••0004", `value="not_same_person"`} {
		if !strings.Contains(c.raw, want) {
			t.Errorf("case page lacks %q", want)
		}
	}
	if strings.Contains(c.raw, "1000000004") {
		t.Errorf("case page shows an NID in clear to a reviewer")
	}
	mustStatus(t, "overview", b.get("/overview"), 200)

	bad := b.postForm("/cases/"+url.PathEscape(w.enrolHold)+"/decision", url.Values{"csrf": {b.csrf}, "decision": {"release"}})
	mustStatus(t, "form without reason", bad, 400)
	ok := b.postForm("/cases/"+url.PathEscape(w.enrolHold)+"/decision", url.Values{"csrf": {b.csrf}, "decision": {"release"}, "reason": {"checked"}, "revision": {"0"}})
	mustStatus(t, "form release", ok, 303)
	if strings.Contains(b.get("/queue").raw, `data-alert="`+w.enrolHold+`"`) {
		t.Fatalf("released alert still in the queue")
	}
	again := b.postForm("/cases/"+url.PathEscape(w.enrolHold)+"/decision", url.Values{"csrf": {b.csrf}, "decision": {"confirm"}, "reason": {"late"}, "revision": {"0"}})
	mustStatus(t, "stale form", again, 409)
}

// TestPersonCluster: a reviewer's "same person" joins two persons in one
// cluster under the older id, which the API and the case page show with
// its history, identifiers masked whatever the role; "not the same
// person" on another alert splits them again.
func TestPersonCluster(t *testing.T) {
	e := newEnv(t)
	w := seed(t, e)
	path := "/api/v1/persons/" + w.personD + "/cluster"
	r := e.call(review.RoleReviewer, http.MethodGet, path, nil)
	mustStatus(t, "cluster", r, 200)
	if r.body["cluster_id"] != w.personD {
		t.Fatalf("before any ruling: cluster %v, want %s's own", r.body["cluster_id"], w.personD)
	}
	mustStatus(t, "ruling", e.call(review.RoleReviewer, http.MethodPost, alertPath(w.possible)+"/decision",
		map[string]string{"decision": "same_person", "reason": "same father, same village"}), 200)

	mustStatus(t, "viewer", e.call(review.RoleViewer, http.MethodGet, path, nil), 403)
	mustStatus(t, "unknown person", e.call(review.RoleReviewer, http.MethodGet, "/api/v1/persons/Pnobody/cluster", nil), 404)
	for _, role := range []string{review.RoleReviewer, review.RoleSupervisor} {
		r := e.call(role, http.MethodGet, path, nil)
		mustStatus(t, "cluster", r, 200)
		var c review.ClusterView
		if err := json.Unmarshal([]byte(r.raw), &c); err != nil {
			t.Fatal(err)
		}
		if c.ClusterID != w.personA || !slices.Equal(c.Persons, []string{w.personA, w.personD}) {
			t.Fatalf("as %s: cluster %s of %v, want %s of %s and %s", role, c.ClusterID, c.Persons, w.personA, w.personA, w.personD)
		}
		var ids []string
		for _, m := range c.Members {
			ids = append(ids, m.RecordID)
			if m.NID == "" || !strings.HasPrefix(m.NID, "•") || strings.Contains(r.raw, "1000000004") {
				t.Errorf("as %s: record %s shows NID %q, want it masked", role, m.RecordID, m.NID)
			}
		}
		if !slices.Equal(ids, []string{"enr-a", "enr-d"}) {
			t.Errorf("as %s: records %v", role, ids)
		}
		var kinds []string
		for _, ed := range c.Edges {
			kinds = append(kinds, ed.Kind+"/"+ed.State+"/"+ed.DecidedBy)
		}
		if !slices.Equal(kinds, []string{"same_person/live/" + review.RoleReviewer}) {
			t.Errorf("as %s: edges %v", role, kinds)
		}
		if len(c.History) != 1 || c.History[0].Kind != review.HistoryMerge || c.History[0].OtherID != w.personD {
			t.Errorf("as %s: history %+v", role, c.History)
		}
	}
	// The case page shows the cluster and its history.
	b, res := e.login(review.RoleReviewer, review.RoleReviewer+"-password")
	mustStatus(t, "login", res, http.StatusSeeOther)
	page := b.get("/cases/" + url.PathEscape(w.possible))
	mustStatus(t, "case page", page, 200)
	for _, want := range []string{"The person's cluster <small class=\"mono\">" + w.personA, "enr-a", "<b>same_person</b>", "<b>merged</b>"} {
		if !strings.Contains(page.raw, want) {
			t.Errorf("the case page lacks %q", want)
		}
	}

	// Not the same person, on a second alert naming the pair: split.
	alert := e.insertAlert("enr-d", domain.RuleFuzzyPerson, domain.ActionAdmit, w.personD, w.personA, 9, nil)
	mustStatus(t, "ruling", e.call(review.RoleSupervisor, http.MethodPost, alertPath(alert)+"/decision",
		map[string]string{"decision": "not_same_person", "reason": "different mothers"}), 200)
	r = e.call(review.RoleReviewer, http.MethodGet, path, nil)
	mustStatus(t, "cluster", r, 200)
	var c review.ClusterView
	if err := json.Unmarshal([]byte(r.raw), &c); err != nil {
		t.Fatal(err)
	}
	if c.ClusterID != w.personD || len(c.Members) != 1 {
		t.Fatalf("after not the same: cluster %s of %d records, want %s alone", c.ClusterID, len(c.Members), w.personD)
	}
	if h := c.History[len(c.History)-1]; h.Kind != review.HistorySplit || h.Actor != review.RoleSupervisor {
		t.Errorf("last history entry %+v, want a split by the supervisor", h)
	}
}
