package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
)

// Mount adds the JSON API under /api/v1 and the web UI at / to r.
func (rv *Review) Mount(r chi.Router) {
	r.Route("/api/v1", func(r chi.Router) {
		r.Use(rv.requireAPI)
		r.Get("/alerts", rv.apiListAlerts)
		r.Get("/alerts/{id}", rv.apiAlert)
		r.Post("/alerts/{id}/assign", rv.apiAssign)
		r.Post("/alerts/{id}/decision", rv.apiRuling)
		r.Get("/persons/{id}", rv.apiPerson)
		r.Get("/persons/{id}/cluster", rv.apiCluster)
		r.Get("/events/{id}/decision", rv.apiEventDecision)
		r.Get("/stats", rv.apiStats)
		r.Get("/dashboard", rv.apiDashboard)
		r.Get("/dashboard/{table}", rv.apiTableCSV)
		rv.mountReportsAPI(r)
		if rv.cards != nil {
			rv.mountCards(r)
		}
		r.Get("/me", func(w http.ResponseWriter, r *http.Request) {
			p := principalFrom(r.Context())
			writeJSON(w, http.StatusOK, map[string]any{"username": p.Username, "role": p.Role, "ministries": p.Ministries})
		})
	})
	rv.mountUI(r)
}

// pathID returns the {id} URL parameter, unescaped: alert ids hold a slash
// (event id / rule), which clients send as %2F.
func pathID(r *http.Request) (string, error) {
	raw := chi.URLParam(r, "id")
	id, err := url.PathUnescape(raw)
	if err != nil || id == "" || len(id) > 300 {
		return "", invalidField("id", "is not a valid id")
	}
	return id, nil
}

// alertFilter reads the queue's filters from a query string.
func alertFilter(q url.Values, now time.Time) (review.AlertFilter, error) {
	f := review.AlertFilter{
		Status: q.Get("status"), Rule: q.Get("rule"), Programme: q.Get("programme"),
		District: q.Get("district"), Assignee: q.Get("assignee"), CaseID: q.Get("case"),
	}
	var fields []domain.FieldError
	switch f.Status {
	case "", review.AlertActive, review.AlertOpen, review.AlertAssigned, review.AlertEscalated, review.AlertClosed:
	default:
		fields = append(fields, domain.FieldError{Field: "status", Reason: "must be active, open, assigned, escalated or closed"})
	}
	for _, k := range []string{"rule", "programme", "district", "assignee", "case"} {
		if len(q.Get(k)) > 128 {
			fields = append(fields, domain.FieldError{Field: k, Reason: "is longer than 128 bytes"})
		}
	}
	age := func(name string) time.Duration {
		s := q.Get(name)
		if s == "" {
			return 0
		}
		d, err := parseAge(s)
		if err != nil {
			fields = append(fields, domain.FieldError{Field: name, Reason: "must be a duration such as 90m, 24h or 7d"})
		}
		return d
	}
	if d := age("older_than"); d > 0 {
		f.CreatedBefore = now.Add(-d)
	}
	if d := age("newer_than"); d > 0 {
		f.CreatedAfter = now.Add(-d)
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			fields = append(fields, domain.FieldError{Field: "limit", Reason: "must be a whole number from 1 to 500"})
		}
		f.Limit = n
	}
	if s := q.Get("cursor"); s != "" {
		c, err := review.DecodeAlertCursor(s)
		if err != nil {
			fields = append(fields, domain.FieldsOf(err)...)
		} else {
			f.After = &c
		}
	}
	if len(fields) > 0 {
		return f, &domain.Error{Kind: domain.KindInvalid, Op: "alert filter", Fields: fields}
	}
	return f, nil
}

// parseAge reads a Go duration or a whole number of days ("7d").
func parseAge(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 3650 {
			return 0, errors.New("bad days")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, errors.New("bad duration")
	}
	return d, nil
}

// AlertPage is one page of the queue.
type AlertPage struct {
	Alerts     []review.AlertRow `json:"alerts"`
	NextCursor string            `json:"next_cursor,omitempty"`
}

func (rv *Review) listAlerts(r *http.Request) (AlertPage, review.AlertFilter, error) {
	f, err := alertFilter(r.URL.Query(), rv.cfg.Now())
	if err != nil {
		return AlertPage{}, f, err
	}
	f.Scope = rv.scope(principalFrom(r.Context()))
	rows, next, err := rv.store.ListAlerts(r.Context(), f)
	if err != nil {
		return AlertPage{}, f, err
	}
	page := AlertPage{Alerts: rows}
	if page.Alerts == nil {
		page.Alerts = []review.AlertRow{}
	}
	if next != nil {
		page.NextCursor = next.Encode()
	}
	return page, f, nil
}

func (rv *Review) apiListAlerts(w http.ResponseWriter, r *http.Request) {
	page, _, err := rv.listAlerts(r)
	if err != nil {
		writeError(w, r, rv.log, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func (rv *Review) apiAlert(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		var c *CaseView
		if c, err = rv.Case(r.Context(), principalFrom(r.Context()), id); err == nil {
			writeJSON(w, http.StatusOK, c)
			return
		}
	}
	writeError(w, r, rv.log, err)
}

// decodeBody reads a JSON object into v, refusing unknown fields and
// oversized bodies, and names the offending field.
func decodeBody(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return invalidField("body", "must be application/json")
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			return invalidField(te.Field, "has the wrong type")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return invalidField(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "is not a known field")
		case errors.Is(err, io.EOF):
			return invalidField("body", "is empty; send a JSON object")
		}
		return invalidField("body", "is not a JSON object")
	}
	return nil
}

func (rv *Review) apiAssign(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	var req AssignRequest
	if err == nil {
		err = decodeBody(r, &req)
	}
	if err == nil {
		var a review.AlertRow
		if a, err = rv.Assign(r.Context(), principalFrom(r.Context()), id, req); err == nil {
			writeJSON(w, http.StatusOK, a)
			return
		}
	}
	writeError(w, r, rv.log, err)
}

func (rv *Review) apiRuling(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	var req RulingRequest
	if err == nil {
		err = decodeBody(r, &req)
	}
	if err == nil {
		var a review.AlertRow
		if a, err = rv.Rule(r.Context(), principalFrom(r.Context()), id, req); err == nil {
			writeJSON(w, http.StatusOK, a)
			return
		}
	}
	writeError(w, r, rv.log, err)
}

func (rv *Review) apiPerson(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		var p *review.PersonView
		if p, err = rv.PersonView(r.Context(), principalFrom(r.Context()), id); err == nil {
			writeJSON(w, http.StatusOK, p)
			return
		}
	}
	writeError(w, r, rv.log, err)
}

func (rv *Review) apiCluster(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		var c *review.ClusterView
		if c, err = rv.ClusterView(r.Context(), principalFrom(r.Context()), id); err == nil {
			writeJSON(w, http.StatusOK, c)
			return
		}
	}
	writeError(w, r, rv.log, err)
}

func (rv *Review) apiEventDecision(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		var d review.RevisedDecision
		if d, err = rv.store.Decision(r.Context(), id); err == nil && !rv.scope(principalFrom(r.Context())).Allows(d.Programme) {
			err = errOutOfScope("decision")
		}
		if err == nil {
			writeJSON(w, http.StatusOK, d)
			return
		}
	}
	writeError(w, r, rv.log, err)
}

func (rv *Review) apiStats(w http.ResponseWriter, r *http.Request) {
	hours := 24
	if s := r.URL.Query().Get("hours"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 24*14 {
			writeError(w, r, rv.log, invalidField("hours", "must be a whole number from 1 to 336"))
			return
		}
		hours = n
	}
	st, err := rv.store.Stats(r.Context(), rv.cfg.Now(), hours, rv.scope(principalFrom(r.Context())))
	if err != nil {
		writeError(w, r, rv.log, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}
