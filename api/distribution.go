package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
)

// DistributionReports reads what was allotted and handed out (see
// sinks/postgres's Reports). Errors of KindInvalid are the filter's fault.
type DistributionReports interface {
	Reconciliation(ctx context.Context, f domain.ReconcileFilter) ([]domain.Reconciliation, error)
	Scorecards(ctx context.Context, f domain.ReconcileFilter) ([]domain.Scorecard, error)
}

// SetDistributionReports gives the service the distribution report and
// the distributors' scorecards; call it before Mount. Without it their
// routes are not mounted.
func (rv *Review) SetDistributionReports(d DistributionReports) { rv.reports = d }

// mountReportsAPI adds the reports' JSON and CSV routes to r, within
// /api/v1.
func (rv *Review) mountReportsAPI(r chi.Router) {
	if rv.reports == nil {
		return
	}
	r.Get("/reports/distribution", rv.apiDistribution)
	r.Get("/reports/distribution.csv", rv.apiDistribution)
	r.Get("/reports/distributors", rv.apiScorecards)
	r.Get("/reports/distributors.csv", rv.apiScorecards)
}

// mountReportsUI adds the reports' pages to r, behind the UI's login.
func (rv *Review) mountReportsUI(r chi.Router) {
	if rv.reports == nil {
		return
	}
	r.Get("/distribution", rv.distributionPage)
	r.Get("/distributors", rv.scorecardsPage)
}

// reconcileFilter reads the reports' filters from a query string.
func reconcileFilter(q url.Values) (domain.ReconcileFilter, error) {
	f := domain.ReconcileFilter{
		Programme: strings.TrimSpace(q.Get("programme")), Cycle: strings.TrimSpace(q.Get("cycle")),
		District: strings.TrimSpace(q.Get("district")), Distributor: strings.TrimSpace(q.Get("distributor")),
	}
	for k, v := range map[string]string{"programme": f.Programme, "cycle": f.Cycle, "district": f.District, "distributor": f.Distributor} {
		if len(v) > 128 || domain.SafeText(v, 128) != v {
			return f, invalidField(k, "must be printable text of at most 128 bytes")
		}
	}
	return f, nil
}

// mayReadReports lets every review role read the reports: they hold
// counts and amounts, and ids of distributors, not personal data.
func mayReadReports(p *Principal) error {
	if p == nil || !review.AtLeast(p.Role, review.RoleViewer) {
		return errForbidden("the reports are for review roles")
	}
	return nil
}

// bound narrows f to the programmes of p's ministries, so that a
// ministry reads the distribution of its own programmes only.
func (rv *Review) bound(f *domain.ReconcileFilter, p *Principal) {
	if sc := rv.scope(p); sc.Limited {
		f.Programmes = append([]string{}, sc.Programmes...)
	}
}

// wantsCSV says whether a report is asked for as CSV: by the path's .csv
// suffix or an Accept header preferring text/csv.
func wantsCSV(r *http.Request) bool {
	if strings.HasSuffix(r.URL.Path, ".csv") {
		return true
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		switch strings.TrimSpace(mt) {
		case "text/csv":
			return true
		case "application/json":
			return false
		}
	}
	return false
}

func (rv *Review) apiDistribution(w http.ResponseWriter, r *http.Request) {
	rows, f, err := rv.distribution(r)
	if err != nil {
		writeError(w, r, rv.log, err)
		return
	}
	if wantsCSV(r) {
		writeCSV(w, "distribution.csv", distributionCSV(rows))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"filter": filterJSON(f), "rows": nonNil(rows), "totals": totalsOf(rows)})
}

func (rv *Review) apiScorecards(w http.ResponseWriter, r *http.Request) {
	cards, f, err := rv.scorecards(r)
	if err != nil {
		writeError(w, r, rv.log, err)
		return
	}
	if wantsCSV(r) {
		writeCSV(w, "distributors.csv", scorecardsCSV(cards))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"filter": filterJSON(f), "distributors": nonNil(cards)})
}

// reportFilter is the filter of a report request: refused to a role that
// may not read reports, read from the query string, and bounded to the
// programmes of the caller's ministries.
func (rv *Review) reportFilter(r *http.Request) (domain.ReconcileFilter, error) {
	p := principalFrom(r.Context())
	if err := mayReadReports(p); err != nil {
		return domain.ReconcileFilter{}, err
	}
	f, err := reconcileFilter(r.URL.Query())
	if err != nil {
		return f, err
	}
	rv.bound(&f, p)
	return f, nil
}

func (rv *Review) distribution(r *http.Request) ([]domain.Reconciliation, domain.ReconcileFilter, error) {
	f, err := rv.reportFilter(r)
	if err != nil {
		return nil, f, err
	}
	rows, err := rv.reports.Reconciliation(r.Context(), f)
	return rows, f, err
}

func (rv *Review) scorecards(r *http.Request) ([]domain.Scorecard, domain.ReconcileFilter, error) {
	f, err := rv.reportFilter(r)
	if err != nil {
		return nil, f, err
	}
	cards, err := rv.reports.Scorecards(r.Context(), f)
	return cards, f, err
}

func filterJSON(f domain.ReconcileFilter) map[string]string {
	return map[string]string{"programme": f.Programme, "cycle": f.Cycle, "district": f.District, "distributor": f.Distributor}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// DistributionTotals sums the report's rows.
type DistributionTotals struct {
	Allocated         int64            `json:"allocated"`
	AllocatedAmount   float64          `json:"allocated_amount"`
	Distributed       int64            `json:"distributed"`
	DistributedAmount float64          `json:"distributed_amount"`
	Blocked           map[string]int64 `json:"blocked"`
	Undistributed     int64            `json:"undistributed"`
	Phantom           int64            `json:"phantom"`
	// AllocatedItems and DistributedItems sum the rows' items, for
	// programmes whose aid is in items.
	AllocatedItems   map[string]float64 `json:"allocated_items,omitempty"`
	DistributedItems map[string]float64 `json:"distributed_items,omitempty"`
}

func totalsOf(rows []domain.Reconciliation) DistributionTotals {
	t := DistributionTotals{Blocked: map[string]int64{}}
	for _, r := range rows {
		t.Allocated += r.Allocated
		t.AllocatedAmount += r.AllocatedAmount
		t.Distributed += r.Distributed
		t.DistributedAmount += r.DistributedAmount
		t.Undistributed += r.Undistributed
		t.Phantom += r.Phantom
		for k, v := range r.Blocked {
			t.Blocked[k] += v
		}
		t.AllocatedItems = sumItems(t.AllocatedItems, r.AllocatedItems)
		t.DistributedItems = sumItems(t.DistributedItems, r.DistributedItems)
	}
	return t
}

// sumItems adds items to sum; nil while both are empty.
func sumItems(sum, items map[string]float64) map[string]float64 {
	for k, q := range items {
		if sum == nil {
			sum = map[string]float64{}
		}
		sum[k] += q
	}
	return sum
}

// itemsText writes items for a page, by code: "lentils_kg 2, rice_kg 105".
func itemsText(m map[string]float64) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + strconv.FormatFloat(m[k], 'f', -1, 64)
	}
	return strings.Join(parts, ", ")
}

// csvSafe keeps a cell from being read as a formula by a spreadsheet.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func money(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }

func rulesCell(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, ";")
}

func distributionCSV(rows []domain.Reconciliation) [][]string {
	out := [][]string{{"programme", "cycle", "district", "area", "distributor_id", "allocated", "allocated_amount",
		"distributed", "distributed_amount", "blocked", "blocked_by_rule", "undistributed", "phantom", "closes_at", "closed",
		"district_name", "unknown_places", "allocated_items", "distributed_items", "by_area", "distributed_unplaced"}}
	for _, r := range rows {
		closes := ""
		if !r.ClosesAt.IsZero() {
			closes = r.ClosesAt.UTC().Format("2006-01-02T15:04:05Z")
		}
		out = append(out, []string{csvSafe(r.Programme), csvSafe(r.Cycle), csvSafe(r.District), csvSafe(r.Area),
			csvSafe(r.DistributorID), strconv.FormatInt(r.Allocated, 10), money(r.AllocatedAmount),
			strconv.FormatInt(r.Distributed, 10), money(r.DistributedAmount), strconv.FormatInt(r.BlockedTotal(), 10),
			rulesCell(r.Blocked), strconv.FormatInt(r.Undistributed, 10), strconv.FormatInt(r.Phantom, 10),
			closes, strconv.FormatBool(r.Closed), csvSafe(r.DistrictName), csvSafe(strings.Join(r.UnknownPlaces(), "; ")),
			itemsCell(r.AllocatedItems), itemsCell(r.DistributedItems), byAreaCell(r.ByArea), strconv.FormatInt(r.Unplaced, 10)})
	}
	return out
}

// byAreaCell writes a row's areas as "label: allocated/distributed",
// ";"-separated.
func byAreaCell(areas []domain.AreaFigures) string {
	parts := make([]string, len(areas))
	for i, a := range areas {
		parts[i] = fmt.Sprintf("%s: %d/%d", a.Label, a.Allocated, a.Distributed)
	}
	return csvSafe(strings.Join(parts, "; "))
}

// itemsCell writes items as code=quantity, by code, ";"-separated.
func itemsCell(m map[string]float64) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = csvSafe(k) + "=" + strconv.FormatFloat(m[k], 'f', -1, 64)
	}
	return strings.Join(parts, ";")
}

func scorecardsCSV(cards []domain.Scorecard) [][]string {
	out := [][]string{{"distributor_id", "payments", "amount", "devices", "blocked_by_rule", "alerts_by_rule", "items"}}
	for _, c := range cards {
		out = append(out, []string{csvSafe(c.DistributorID), strconv.FormatInt(c.Payments, 10), money(c.Amount),
			strconv.FormatInt(c.Devices, 10), rulesCell(c.Blocked), rulesCell(c.Alerts), itemsCell(c.Items)})
	}
	return out
}

func writeCSV(w http.ResponseWriter, name string, records [][]string) {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.WriteAll(records) // a bytes.Buffer does not fail
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

type distributionData struct {
	Filter  domain.ReconcileFilter
	Rows    []domain.Reconciliation
	Totals  DistributionTotals
	Chart   template.HTML
	CSVLink string
}

func (rv *Review) distributionPage(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	rows, f, err := rv.distribution(r)
	if err != nil {
		rv.pageError(w, r, p, err)
		return
	}
	rv.render(w, http.StatusOK, "distribution", view{Title: "Distribution", Page: "distribution", User: p,
		Data: distributionData{Filter: f, Rows: rows, Totals: totalsOf(rows), Chart: distributionChart(rows),
			CSVLink: "/api/v1/reports/distribution.csv?" + r.URL.RawQuery}})
}

type scorecardsData struct {
	Filter  domain.ReconcileFilter
	Cards   []domain.Scorecard
	CSVLink string
}

func (rv *Review) scorecardsPage(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	cards, f, err := rv.scorecards(r)
	if err != nil {
		rv.pageError(w, r, p, err)
		return
	}
	rv.render(w, http.StatusOK, "distributors", view{Title: "Distributors", Page: "distributors", User: p,
		Data: scorecardsData{Filter: f, Cards: cards, CSVLink: "/api/v1/reports/distributors.csv?" + r.URL.RawQuery}})
}

// distributionChart draws, per row, what was allotted against what was
// handed out, as SVG bars: distributed (covered by allocation), phantom
// and undistributed. Only numbers and escaped ids go into it.
func distributionChart(rows []domain.Reconciliation) template.HTML {
	if len(rows) == 0 {
		return ""
	}
	const w, barH, gap, label = 720.0, 14.0, 6.0, 170.0
	shown := rows[:min(len(rows), 40)]
	var maxN int64 = 1
	for _, r := range shown {
		maxN = max(maxN, r.Allocated, r.Distributed+r.Undistributed)
	}
	h := float64(len(shown))*(barH+gap) + gap
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="Allotted against handed out, by distributor">`, w, h)
	scale := (w - label - 10) / float64(maxN)
	for i, r := range shown {
		y := gap + float64(i)*(barH+gap)
		fmt.Fprintf(&b, `<text x="0" y="%.1f">%s</text>`, y+barH-3, template.HTMLEscapeString(clip(r.DistributorID, 24)))
		x := label
		for _, part := range []struct {
			class string
			n     int64
		}{{"ADMIT", r.Distributed - r.Phantom}, {"BLOCK", r.Phantom}, {"HOLD", r.Undistributed}} {
			if part.n <= 0 {
				continue
			}
			bw := float64(part.n) * scale
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%d</title></rect>`,
				part.class, x, y, bw, barH, part.n)
			x += bw
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // numbers, fixed names and escaped ids only
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
