package api

import (
	"context"
	"encoding/csv"
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
)

// bangladesh is the time zone a cycle begins in (UTC+6, no summer time).
var bangladesh = time.FixedZone("BST", 6*60*60)

// cycleStart is the first moment of the month of now in Bangladesh: the
// monthly cycle the dashboard counts.
func cycleStart(now time.Time) time.Time {
	t := now.In(bangladesh)
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, bangladesh)
}

// LabelledRow is a dashboard row with its names in English and Bangla.
type LabelledRow struct {
	review.DashboardRow
	NameEN string `json:"name_en"`
	NameBN string `json:"name_bn"`
	// OldestHoldHours is how long the longest-waiting hold has waited.
	OldestHoldHours float64 `json:"oldest_hold_hours,omitempty"`
}

// Label is the row's name as pages show it.
func (r LabelledRow) Label() string {
	switch {
	case r.NameBN == "" || r.NameBN == r.NameEN:
		return r.NameEN
	case r.NameEN == "":
		return r.NameBN
	}
	return r.NameEN + " (" + r.NameBN + ")"
}

// LabelledRuleCount is a rule count with its programme's names.
type LabelledRuleCount struct {
	review.RuleCount
	ProgrammeEN string `json:"programme_en"`
	ProgrammeBN string `json:"programme_bn"`
}

// DashboardView is the overview a user may see: by ministry, programme,
// division and district, each row named in English and Bangla.
type DashboardView struct {
	Since      time.Time           `json:"since"`
	Ministries []LabelledRow       `json:"ministries"`
	Programmes []LabelledRow       `json:"programmes"`
	Divisions  []LabelledRow       `json:"divisions"`
	Districts  []LabelledRow       `json:"districts"`
	Rules      []LabelledRuleCount `json:"decisions_by_rule"`
}

// Dashboard computes the overview of who's programmes for the cycle of
// now.
func (rv *Review) Dashboard(ctx context.Context, who *Principal, now time.Time) (*DashboardView, error) {
	pol := rv.cfg.Policy
	q := review.DashboardQuery{Scope: rv.scope(who), Since: cycleStart(now),
		Ministries: map[string]string{}, Places: map[string][2]string{}, Cycles: map[string]string{}, Entitlements: map[string]float64{}}
	for _, code := range pol.Programmes {
		if m, ok := pol.MinistryOf(code); ok {
			q.Ministries[code] = m.Code
		}
		if c, ok := domain.CurrentCycle(pol.CycleKind(code), now); ok {
			q.Cycles[code] = c
		} else if pol.CycleKind(code) == domain.CycleOneOff {
			q.OneOff = append(q.OneOff, code)
		}
		if ent, ok := pol.EntitlementOf(code); ok {
			q.Entitlements[code] = ent.Amount
		}
	}
	g := domain.Places()
	for _, p := range g.Places(domain.LevelDistrict) {
		for _, sp := range g.Spellings(domain.LevelDistrict, p.Code) {
			q.Places[sp] = [2]string{p.Code, p.Parent}
		}
	}
	d, err := rv.store.Dashboard(ctx, q)
	if err != nil {
		return nil, err
	}
	v := &DashboardView{Since: d.Since}
	label := func(rows []review.DashboardRow, name func(string) (string, string)) []LabelledRow {
		out := make([]LabelledRow, 0, len(rows))
		for _, r := range rows {
			l := LabelledRow{DashboardRow: r}
			l.NameEN, l.NameBN = name(r.Key)
			if r.OldestHold != nil {
				l.OldestHoldHours = float64(int(now.Sub(*r.OldestHold).Hours()*10)) / 10
			}
			out = append(out, l)
		}
		return out
	}
	place := func(level string) func(string) (string, string) {
		return func(k string) (string, string) {
			if p, ok := g.Find(level, k); ok {
				return p.NameEN, p.NameBN
			}
			if k == "" {
				return "(none)", "(নেই)"
			}
			return k, ""
		}
	}
	v.Ministries = label(d.Ministries, func(k string) (string, string) {
		if m, ok := pol.Ministry(k); ok {
			return m.NameEN, m.NameBN
		}
		return "(no ministry)", "(মন্ত্রণালয় নেই)"
	})
	v.Programmes = label(d.Programmes, rv.programmeNames)
	v.Divisions = label(d.Divisions, place(domain.LevelDivision))
	v.Districts = label(d.Districts, place(domain.LevelDistrict))
	for _, c := range d.RuleCounts {
		en, bn := rv.programmeNames(c.Programme)
		if c.Programme == "" {
			en, bn = "(no programme: status events, rejected events)", "(কর্মসূচি নেই)"
		}
		v.Rules = append(v.Rules, LabelledRuleCount{RuleCount: c, ProgrammeEN: en, ProgrammeBN: bn})
	}
	return v, nil
}

// programmeNames returns a programme's English and Bangla names, or its
// code when the catalogue does not know it.
func (rv *Review) programmeNames(code string) (string, string) {
	if p, ok := rv.cfg.Policy.Programme(code); ok {
		return p.NameEN, p.NameBN
	}
	return code, ""
}

// dashboardTables are the tables a CSV export may name.
var dashboardTables = []string{"ministries", "programmes", "divisions", "districts", "decisions-by-rule",
	"open-by-rule", "open-by-district", "decisions-per-hour"}

// writeTableCSV writes one table of the overview as CSV. A cell that a
// spreadsheet would take for a formula is quoted with a leading '.
func writeTableCSV(w http.ResponseWriter, table string, d *DashboardView, st *review.Stats) {
	var rows [][]string
	dash := func(rs []LabelledRow) {
		rows = append(rows, []string{"code", "name_en", "name_bn", "persons_enrolled", "persons_active",
			"holds_waiting", "oldest_hold_hours", "amount_paid", "payments",
			"allotted", "amount_allotted", "undistributed", "amount_undistributed"})
		for _, r := range rs {
			rows = append(rows, []string{r.Key, r.NameEN, r.NameBN, itoa(r.Persons), itoa(r.Active), itoa(r.Holds),
				strconv.FormatFloat(r.OldestHoldHours, 'f', 1, 64), strconv.FormatFloat(r.Paid, 'f', 2, 64), itoa(r.Payments),
				itoa(r.Allotted), strconv.FormatFloat(r.AmountAllotted, 'f', 2, 64),
				itoa(r.Undistributed), strconv.FormatFloat(r.AmountUndistributed, 'f', 2, 64)})
		}
	}
	switch table {
	case "ministries":
		dash(d.Ministries)
	case "programmes":
		dash(d.Programmes)
	case "divisions":
		dash(d.Divisions)
	case "districts":
		dash(d.Districts)
	case "decisions-by-rule":
		rows = append(rows, []string{"programme", "programme_en", "programme_bn", "rule", "action", "decisions"})
		for _, c := range d.Rules {
			rows = append(rows, []string{c.Programme, c.ProgrammeEN, c.ProgrammeBN, c.Rule, c.Action, itoa(c.Count)})
		}
	case "open-by-rule":
		rows = append(rows, []string{"rule", "unresolved_alerts"})
		for _, c := range st.OpenByRule {
			rows = append(rows, []string{c.Key, itoa(c.Count)})
		}
	case "open-by-district":
		rows = append(rows, []string{"district_code", "name_en", "name_bn", "unresolved_alerts"})
		for _, c := range st.OpenByDistrict {
			en, bn := c.Key, ""
			if p, ok := domain.Places().Find(domain.LevelDistrict, c.Key); ok {
				en, bn = p.NameEN, p.NameBN
			}
			rows = append(rows, []string{c.Key, en, bn, itoa(c.Count)})
		}
	case "decisions-per-hour":
		rows = append(rows, []string{"hour_utc", "decisions", "admit", "hold", "block", "rejected", "revised"})
		for _, h := range st.DecisionsPerHr {
			rows = append(rows, []string{h.Hour.UTC().Format(time.RFC3339), itoa(h.Total), itoa(h.ByAction["ADMIT"]),
				itoa(h.ByAction["HOLD"]), itoa(h.ByAction["BLOCK"]), itoa(h.ByAction["REJECTED"]), itoa(h.Revised)})
		}
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="ekjon-`+table+`.csv"`)
	cw := csv.NewWriter(w)
	for _, r := range rows {
		for i, cell := range r {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				r[i] = "'" + cell
			}
		}
		_ = cw.Write(r)
	}
	cw.Flush()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// tableParam reads the {table} of a CSV route, without its .csv.
func tableParam(r *http.Request) (string, error) {
	t := strings.TrimSuffix(chi.URLParam(r, "table"), ".csv")
	for _, known := range dashboardTables {
		if t == known {
			return t, nil
		}
	}
	return "", invalidField("table", "must be one of "+strings.Join(dashboardTables, ", "))
}

// overviewTables computes what the CSV exports and the overview page
// show, for who.
func (rv *Review) overviewTables(ctx context.Context, who *Principal, hours int) (*DashboardView, *review.Stats, error) {
	now := rv.cfg.Now()
	st, err := rv.store.Stats(ctx, now, hours, rv.scope(who))
	if err != nil {
		return nil, nil, err
	}
	d, err := rv.Dashboard(ctx, who, now)
	if err != nil {
		return nil, nil, err
	}
	return d, st, nil
}

func (rv *Review) apiDashboard(w http.ResponseWriter, r *http.Request) {
	d, err := rv.Dashboard(r.Context(), principalFrom(r.Context()), rv.cfg.Now())
	if err != nil {
		writeError(w, r, rv.log, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// apiTableCSV answers GET /api/v1/dashboard/{table}.csv and, for the
// pages, /overview/{table}.csv.
func (rv *Review) apiTableCSV(w http.ResponseWriter, r *http.Request) {
	table, err := tableParam(r)
	if err != nil {
		writeError(w, r, rv.log, err)
		return
	}
	d, st, err := rv.overviewTables(r.Context(), principalFrom(r.Context()), 24)
	if err != nil {
		writeError(w, r, rv.log, err)
		return
	}
	writeTableCSV(w, table, d, st)
}

// bar is one bar of a bar chart.
type bar struct {
	label string
	value float64
	text  string
}

// barChart draws bars as a horizontal SVG bar chart, each bar under its
// label, labels escaped. It needs no script and no style beyond the
// page's stylesheet, as the CSP asks.
func barChart(title string, bars []bar) template.HTML {
	if len(bars) == 0 {
		return ""
	}
	const (
		w, rowH, textW = 720.0, 34.0, 190.0
	)
	top := 0.0
	for _, b := range bars {
		top = max(top, b.value)
	}
	if top == 0 {
		top = 1
	}
	h := rowH*float64(len(bars)) + 6
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="chart bars-h" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s">`, w, h, template.HTMLEscapeString(title))
	for i, b := range bars {
		y := 4 + float64(i)*rowH
		bw := max(b.value/top*(w-textW-8), 1)
		fmt.Fprintf(&sb, `<text x="4" y="%.1f" class="label">%s</text>`, y+11, template.HTMLEscapeString(b.label))
		fmt.Fprintf(&sb, `<rect class="ADMIT" x="4" y="%.1f" width="%.1f" height="12"><title>%s: %s</title></rect>`,
			y+15, bw, template.HTMLEscapeString(b.label), template.HTMLEscapeString(b.text))
		fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f">%s</text>`, bw+10, y+25, template.HTMLEscapeString(b.text))
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String()) //nolint:gosec // every label and text is escaped above
}

// topBars makes the bars of the first n rows by value.
func topBars(rows []LabelledRow, n int, value func(LabelledRow) float64, text func(LabelledRow) string) []bar {
	var out []bar
	for _, r := range rows {
		if v := value(r); v > 0 {
			out = append(out, bar{label: r.Label(), value: v, text: text(r)})
		}
	}
	// Largest first; rows come sorted by persons, not by this value.
	sort.SliceStable(out, func(i, j int) bool { return out[i].value > out[j].value })
	if len(out) > n {
		out = out[:n]
	}
	return out
}
