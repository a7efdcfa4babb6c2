package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
)

// TestClearReadsAudited: every answer that shows NIDs or phones in clear,
// the case (JSON and page) and the person, is audited with who, what and
// from where; masked answers are not.
func TestClearReadsAudited(t *testing.T) {
	e := newEnv(t)
	w := seed(t, e)
	reads := func(kind, id, actor string) int {
		t.Helper()
		return e.queryInt(`SELECT count(*) FROM audit WHERE action = 'read:personal' AND object_kind = $1 AND object_id = $2
			AND actor = $3 AND address = '127.0.0.1'`, kind, id, actor)
	}
	for _, role := range []string{review.RoleViewer, review.RoleReviewer, review.RoleSupervisor, review.RoleAdmin} {
		mustStatus(t, "case", e.call(role, http.MethodGet, alertPath(w.possible), nil), http.StatusOK)
		mustStatus(t, "person", e.call(role, http.MethodGet, "/api/v1/persons/"+w.personD, nil), http.StatusOK)
		want := map[bool]int{true: 1}[review.SeesPersonalData(role)]
		if got := reads("alert", w.possible, role); got != want {
			t.Errorf("case read as %s audited %d times, want %d", role, got, want)
		}
		if got := reads("person", w.personD, role); got != want {
			t.Errorf("person read as %s audited %d times, want %d", role, got, want)
		}
	}
	// What was shown is named, never shown again in the audit.
	after := e.queryString(`SELECT after::text FROM audit WHERE action = 'read:personal' AND object_id = $1 AND actor = 'supervisor'`, w.possible)
	for _, want := range []string{`"nid"`, `"phone"`, w.personD, w.personA} {
		if !strings.Contains(after, want) {
			t.Errorf("the audit of the read lacks %s: %s", want, after)
		}
	}
	if strings.Contains(after, "1000000004") || strings.Contains(after, "01712345678") {
		t.Errorf("the audit of the read holds personal data: %s", after)
	}
	// The page, too, and the reads stay out of the case's history of
	// actions.
	e.addUser("sup2", review.RoleSupervisor, "sup2-password")
	b, res := e.login("sup2", "sup2-password")
	mustStatus(t, "login", res, http.StatusSeeOther)
	page := b.get("/cases/" + url.PathEscape(w.possible))
	mustStatus(t, "case page", page, http.StatusOK)
	if !strings.Contains(page.raw, "1000000004") {
		t.Fatal("the case page shows a supervisor no NID in clear")
	}
	if got := reads("alert", w.possible, "sup2"); got != 1 {
		t.Errorf("case page read audited %d times, want 1", got)
	}
	if strings.Contains(page.raw, "read:personal") {
		t.Error("reads are listed in the case's history")
	}
}

// failingAudit is the record's users with an audit trail that refuses
// every entry.
type failingAudit struct{ review.Users }

func (failingAudit) Audit(context.Context, review.AuditEntry) error {
	return domain.Wrap(domain.KindTransient, "audit", errors.New("audit trail unavailable"))
}

// TestClearReadsNeverUnaudited: when the read cannot be audited, the
// personal data is not shown.
func TestClearReadsNeverUnaudited(t *testing.T) {
	e := newEnv(t)
	w := seed(t, e)
	e.srv = e.serveAnother(failingAudit{e.store}, DefaultConfig())
	for _, path := range []string{alertPath(w.possible), "/api/v1/persons/" + w.personD} {
		res := e.call(review.RoleSupervisor, http.MethodGet, path, nil)
		if res.status < 500 || strings.Contains(res.raw, "1000000004") {
			t.Errorf("%s with the audit down: %d %s", path, res.status, res.raw)
		}
		mustStatus(t, "masked "+path, e.call(review.RoleReviewer, http.MethodGet, path, nil), http.StatusOK)
	}
}
