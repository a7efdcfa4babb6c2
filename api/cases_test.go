package api

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ekjon/ekjon/review"
)

// TestCaseListsItsAlerts: a case's page lists the alerts of its case (the
// persons tied to one number), and the queue filters by case; a ministry
// sees only its own programmes' alerts of the case.
func TestCaseListsItsAlerts(t *testing.T) {
	e := newEnv(t)
	w := seed(t, e)
	// w.walletHold is old_age's (social welfare), w.possible vgd's.
	if _, err := e.store.Pool().Exec(e.ctx, `UPDATE alerts SET case_id = 'contact-x' WHERE alert_id IN ($1, $2)`,
		w.walletHold, w.possible); err != nil {
		t.Fatal(err)
	}
	caseAlerts := func(who string) []string {
		t.Helper()
		r := e.call(who, http.MethodGet, alertPath(w.walletHold), nil)
		mustStatus(t, "case", r, 200)
		var ids []string
		list, _ := r.body["case_alerts"].([]any)
		for _, a := range list {
			ids = append(ids, a.(map[string]any)["alert_id"].(string))
		}
		return ids
	}
	if got := caseAlerts(review.RoleReviewer); len(got) != 2 {
		t.Fatalf("the case lists %v, want both alerts of the number", got)
	}
	r := e.call(review.RoleViewer, http.MethodGet, "/api/v1/alerts?case=contact-x", nil)
	mustStatus(t, "list by case", r, 200)
	if n := len(r.body["alerts"].([]any)); n != 2 {
		t.Fatalf("%d alerts of the case, want 2", n)
	}
	e.addUser("rev2", review.RoleReviewer, "rev2-password")
	b, res := e.login("rev2", "rev2-password")
	mustStatus(t, "login", res, http.StatusSeeOther)
	page := b.get("/cases/" + url.PathEscape(w.walletHold))
	mustStatus(t, "case page", page, http.StatusOK)
	if !strings.Contains(page.raw, "2 alert(s) of the same phone or wallet") || !strings.Contains(page.raw, url.PathEscape(w.possible)) {
		t.Fatalf("the case page does not list the case's alerts:\n%s", page.raw)
	}
	if r := e.call(review.RoleViewer, http.MethodGet, "/api/v1/alerts?case="+strings.Repeat("x", 129), nil); r.status != http.StatusBadRequest {
		t.Fatalf("a 129-byte case: %d, want 400", r.status)
	}

	e.addMinistryUser("dss", review.RoleSupervisor, "dss-password", "social_welfare")
	if got := caseAlerts("dss"); len(got) != 1 || got[0] != w.walletHold {
		t.Fatalf("a ministry's case lists %v, want its own alert only", got)
	}
}
