package api

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
)

//go:embed web/templates/*.html web/static/*
var webFiles embed.FS

// ui holds the parsed pages; each page is the layout plus its content.
type ui struct {
	pages  map[string]*template.Template
	static http.Handler
}

var rulingLabels = map[review.Ruling]string{
	review.RulingRelease:  "Release (admit)",
	review.RulingDismiss:  "Dismiss (admit)",
	review.RulingConfirm:  "Confirm (the block or hold stands)",
	review.RulingEscalate: "Escalate to a supervisor",
	review.RulingSame:     "Same person",
	review.RulingNotSame:  "Not the same person (admit)",
}

func newUI(policy domain.Policy) (*ui, error) {
	funcs := template.FuncMap{
		// programme names a programme in English and Bangla, or by its
		// code when the catalogue does not know it.
		"programme": func(code string) string {
			if p, ok := policy.Programme(code); ok {
				return p.NameEN + " (" + p.NameBN + ")"
			}
			return code
		},
		"pathEscape":  url.PathEscape,
		"rulingLabel": func(r review.Ruling) string { return rulingLabels[r] },
		"age":         func(t time.Time) string { return humanAge(time.Since(t)) },
		"district":    func(s string) string { return placeLabel(domain.LevelDistrict, s) },
		"dict": func(kv ...any) map[string]any {
			m := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
		"division": func(s string) string { return placeLabel(domain.LevelDivision, s) },
		"join":     strings.Join,
		"items":    itemsText,
		"langOf": func(field string) string {
			switch field {
			case "name_bn", "father_name", "mother_name", "spouse_name":
				return "bn"
			}
			return "en"
		},
	}
	u := &ui{pages: map[string]*template.Template{}}
	for _, p := range []string{"login", "queue", "case", "overview", "distribution", "distributors", "cards"} {
		t, err := template.New(p).Funcs(funcs).ParseFS(webFiles, "web/templates/layout.html", "web/templates/"+p+".html")
		if err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		u.pages[p] = t
	}
	static, err := fs.Sub(webFiles, "web/static")
	if err != nil {
		return nil, err
	}
	u.static = http.StripPrefix("/static/", http.FileServer(http.FS(static)))
	return u, nil
}

// placeLabel is how a place is shown everywhere: its English and Bangla
// names when the gazetteer knows it, else as it came, and "(none)" when
// none was given.
func placeLabel(level, s string) string {
	if strings.TrimSpace(s) == "" {
		return "(none)"
	}
	return domain.Places().Label(level, s)
}

func humanAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// view is what every page template receives.
type view struct {
	Title, Page  string
	User         *Principal
	Flash, Error string
	Data         any
}

func (rv *Review) render(w http.ResponseWriter, status int, page string, v view) {
	var buf bytes.Buffer
	if err := rv.ui.pages[page].ExecuteTemplate(&buf, "layout", v); err != nil {
		rv.log.Error("render page", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// securityHeaders keeps pages out of frames and scripts out of pages: the
// UI needs no JavaScript.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'none'; frame-ancestors 'none'; form-action 'self'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// requireUI sends a visitor without a session to the login page and checks
// the CSRF token of every form.
func (rv *Review) requireUI(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := rv.authenticate(r)
		if err != nil {
			rv.pageError(w, r, nil, err)
			return
		}
		if p == nil {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if err := checkCSRF(r, p); err != nil {
			rv.pageError(w, r, p, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

// pageError shows an error as a page, with the same status the API would
// give.
func (rv *Review) pageError(w http.ResponseWriter, r *http.Request, p *Principal, err error) {
	status, body := classifyError(err)
	if status >= 500 {
		rv.log.Error("page failed", "path", r.URL.Path, "err", err)
	}
	msg := body.Error
	for _, f := range body.Fields {
		msg = f.Field + ": " + f.Reason
	}
	rv.render(w, status, "login", view{Title: "Error", User: p, Error: msg, Data: loginData{}})
}

func (rv *Review) mountUI(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(securityHeaders)
		r.Handle("/static/*", rv.ui.static)
		r.Get("/login", rv.loginPage)
		r.Post("/login", rv.loginSubmit)
		r.Group(func(r chi.Router) {
			r.Use(rv.requireUI)
			r.Get("/", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/queue", http.StatusSeeOther) })
			r.Post("/logout", rv.logout)
			r.Get("/queue", rv.queuePage)
			r.Get("/overview", rv.overviewPage)
			r.Get("/overview/{table}", rv.apiTableCSV)
			r.Get("/cases/{id}", rv.casePage)
			if rv.cards != nil {
				r.Get("/cards", rv.cardSheetPage)
			}
			r.Post("/cases/{id}/decision", rv.caseRuling)
			r.Post("/cases/{id}/assign", rv.caseAssign)
			rv.mountReportsUI(r)
		})
	})
}

type loginData struct {
	CSRF, Username, Next string
}

func (rv *Review) loginPage(w http.ResponseWriter, r *http.Request) {
	tok, _ := NewToken("")
	rv.setCookie(w, r, loginCookie, tok, 3600)
	rv.render(w, http.StatusOK, "login", view{Title: "Log in", Data: loginData{CSRF: tok}})
}

// safeNext keeps a post-login redirect on this site.
func safeNext(s string) string {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") {
		return "/queue"
	}
	return s
}

func (rv *Review) loginSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		rv.pageError(w, r, nil, invalidField("body", "is not a form"))
		return
	}
	c, err := r.Cookie(loginCookie)
	if err != nil || c.Value == "" || c.Value != r.PostFormValue("csrf") {
		rv.loginFailed(w, r, errForbidden("the login form expired; try again"))
		return
	}
	name := strings.TrimSpace(r.PostFormValue("username"))
	tok, err := rv.login(r, name, r.PostFormValue("password"), rv.clientOf(r))
	if err != nil {
		rv.loginFailed(w, r, err)
		return
	}
	rv.setCookie(w, r, loginCookie, "", -1)
	rv.setCookie(w, r, sessionCookie, tok, int(rv.cfg.SessionTTL.Seconds()))
	http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
}

func (rv *Review) loginFailed(w http.ResponseWriter, r *http.Request, err error) {
	status, body := classifyError(err)
	if status >= 500 {
		rv.log.Error("login failed", "err", err)
	}
	setRetryAfter(w, err)
	tok, _ := NewToken("")
	rv.setCookie(w, r, loginCookie, tok, 3600)
	rv.render(w, status, "login", view{Title: "Log in", Error: body.Error,
		Data: loginData{CSRF: tok, Username: r.PostFormValue("username")}})
}

func (rv *Review) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := rv.users.DeleteSession(r.Context(), HashToken(c.Value), rv.cfg.Now()); err != nil {
			rv.pageError(w, r, principalFrom(r.Context()), err)
			return
		}
	}
	rv.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

type queueData struct {
	Page      AlertPage
	Filter    review.AlertFilter
	OlderThan string
	Statuses  []string
	Rules     []string
	Ages      []string
	Next      string
}

func (rv *Review) queuePage(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	q := r.URL.Query()
	if !q.Has("status") {
		q.Set("status", review.AlertActive)
		r.URL.RawQuery = q.Encode()
	}
	page, f, err := rv.listAlerts(r)
	if err != nil {
		rv.pageError(w, r, p, err)
		return
	}
	d := queueData{
		Page: page, Filter: f, OlderThan: q.Get("older_than"),
		Statuses: []string{review.AlertActive, review.AlertOpen, review.AlertAssigned, review.AlertEscalated, review.AlertClosed, ""},
		Rules: []string{domain.RuleWalletMismatch, domain.RuleDeceasedOrExited, domain.RuleRecentWallet, domain.RuleFuzzyPerson,
			domain.RulePossiblePerson, domain.RuleSharedContact, domain.RuleDupNID, domain.RuleMultiProgramme,
			domain.RuleInvalidID, domain.RuleDistributorVel, domain.RuleDistributorFar, domain.RuleAmountBelow,
			domain.RuleInvalidCards, domain.RuleDistributorScope, domain.RuleCardRevoked,
			domain.RulePhantomDistribution, domain.RuleOverDistribution, domain.RuleUndistributed,
			domain.RuleRefConflict, domain.RuleIndexRecordFailed, domain.RuleIneligible},
		Ages: []string{"", "1h", "24h", "3d", "7d", "30d"},
	}
	if page.NextCursor != "" {
		nq := r.URL.Query()
		nq.Set("cursor", page.NextCursor)
		d.Next = "/queue?" + nq.Encode()
	}
	flash := ""
	if done := q.Get("done"); done != "" {
		flash = "Recorded: " + done
	}
	rv.render(w, http.StatusOK, "queue", view{Title: "Queue", Page: "queue", User: p, Flash: flash, Data: d})
}

type caseData struct {
	Case *CaseView
}

func (rv *Review) casePage(w http.ResponseWriter, r *http.Request) {
	rv.showCase(w, r, http.StatusOK, "", "")
}

func (rv *Review) showCase(w http.ResponseWriter, r *http.Request, status int, flash, errMsg string) {
	p := principalFrom(r.Context())
	id, err := pathID(r)
	var c *CaseView
	if err == nil {
		c, err = rv.Case(r.Context(), p, id)
	}
	if err != nil {
		rv.pageError(w, r, p, err)
		return
	}
	rv.render(w, status, "case", view{Title: c.Alert.Rule + " " + c.Alert.EventID, Page: "case", User: p,
		Flash: flash, Error: errMsg, Data: caseData{Case: c}})
}

// formError re-shows the case with the refusal, keeping the API's status.
func (rv *Review) formError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := classifyError(err)
	msg := body.Error
	if len(body.Fields) > 0 {
		var parts []string
		for _, f := range body.Fields {
			parts = append(parts, f.Field+": "+f.Reason)
		}
		msg = strings.Join(parts, "; ")
	}
	if status >= 500 {
		rv.log.Error("case form failed", "err", err)
	}
	rv.showCase(w, r, status, "", msg)
}

func (rv *Review) caseRuling(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	id, err := pathID(r)
	if err != nil {
		rv.pageError(w, r, p, err)
		return
	}
	req := RulingRequest{Ruling: r.PostFormValue("decision"), Reason: r.PostFormValue("reason")}
	if s := r.PostFormValue("revision"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			rv.formError(w, r, invalidField("revision", "must be a whole number"))
			return
		}
		req.Revision = &n
	}
	if _, err := rv.Rule(r.Context(), p, id, req); err != nil {
		rv.formError(w, r, err)
		return
	}
	http.Redirect(w, r, "/queue?done="+url.QueryEscape(req.Ruling+" "+id), http.StatusSeeOther)
}

func (rv *Review) caseAssign(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	id, err := pathID(r)
	if err != nil {
		rv.pageError(w, r, p, err)
		return
	}
	if _, err := rv.Assign(r.Context(), p, id, AssignRequest{Assignee: r.PostFormValue("assignee")}); err != nil {
		rv.formError(w, r, err)
		return
	}
	http.Redirect(w, r, "/cases/"+url.PathEscape(id), http.StatusSeeOther)
}

type overviewData struct {
	Stats     *review.Stats
	Chart     template.HTML
	Dashboard *DashboardView
	// Charts are the dashboard's bar charts, by name.
	Charts map[string]template.HTML
	// Scope names the ministries the page is limited to; empty: all.
	Scope []string
}

func (rv *Review) overviewPage(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	d, st, err := rv.overviewTables(r.Context(), p, 24)
	if err != nil {
		rv.pageError(w, r, p, err)
		return
	}
	persons := func(r LabelledRow) float64 { return float64(r.Persons) }
	personsText := func(r LabelledRow) string { return fmt.Sprintf("%d enrolled, %d active", r.Persons, r.Active) }
	paid := func(r LabelledRow) float64 { return r.Paid }
	paidText := func(r LabelledRow) string { return fmt.Sprintf("৳%.0f in %d payments", r.Paid, r.Payments) }
	holds := func(r LabelledRow) float64 { return float64(r.Holds) }
	holdsText := func(r LabelledRow) string {
		return fmt.Sprintf("%d waiting, oldest %s", r.Holds, humanAge(time.Duration(r.OldestHoldHours*float64(time.Hour))))
	}
	undist := func(r LabelledRow) float64 { return r.AmountUndistributed + float64(r.Undistributed) }
	undistText := func(r LabelledRow) string {
		if r.AmountAllotted == 0 { // aid in items: counted by beneficiary
			return fmt.Sprintf("%d of %d beneficiaries not served", r.Undistributed, r.Allotted)
		}
		return fmt.Sprintf("৳%.0f of ৳%.0f not handed out", r.AmountUndistributed, r.AmountAllotted)
	}
	data := overviewData{Stats: st, Chart: decisionChart(st.DecisionsPerHr), Dashboard: d, Charts: map[string]template.HTML{
		"undistributed": barChart("Undistributed aid this cycle by programme", topBars(d.Programmes, 20, undist, undistText)),
		"ministries":    barChart("Persons enrolled by ministry", topBars(d.Ministries, 12, persons, personsText)),
		"programmes":    barChart("Persons enrolled by programme", topBars(d.Programmes, 20, persons, personsText)),
		"paid":          barChart("Amount paid this cycle by division", topBars(d.Divisions, 10, paid, paidText)),
		"holds":         barChart("Holds waiting by district", topBars(d.Districts, 15, holds, holdsText)),
	}}
	for _, m := range p.Ministries {
		if mm, ok := rv.cfg.Policy.Ministry(m); ok && p.Role != review.RoleAdmin {
			data.Scope = append(data.Scope, mm.NameEN+" ("+mm.NameBN+")")
		}
	}
	rv.render(w, http.StatusOK, "overview", view{Title: "Overview", Page: "overview", User: p, Data: data})
}

// decisionChart draws decisions per hour as stacked SVG bars. Only numbers
// and fixed names go into it, so it is safe to emit as HTML.
func decisionChart(hours []review.HourCount) template.HTML {
	const w, h, pad, bottom = 720.0, 220.0, 36.0, 24.0
	var maxN int64 = 1
	for _, hc := range hours {
		maxN = max(maxN, hc.Total)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="Decisions per hour">`, w, h)
	fmt.Fprintf(&b, `<text x="2" y="12">%d</text><text x="2" y="%.0f">0</text>`, maxN, h-bottom)
	n := float64(max(len(hours), 1))
	bw := (w - pad) / n
	for i, hc := range hours {
		x := pad + float64(i)*bw
		y := h - bottom
		for _, a := range []string{"ADMIT", "HOLD", "BLOCK", "REJECTED"} {
			c := hc.ByAction[a]
			if c == 0 {
				continue
			}
			bh := float64(c) / float64(maxN) * (h - bottom - 16)
			y -= bh
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s %s: %d</title></rect>`,
				a, x+1, y, max(bw-2, 1), bh, hc.Hour.Format("15:04"), a, c)
		}
		if i%3 == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.0f">%s</text>`, x, h-6, hc.Hour.Format("15h"))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // numbers and fixed names only
}
