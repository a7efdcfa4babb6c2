package api

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ekjon/ekjon/api/browsertest"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/pipeline"
	"github.com/ekjon/ekjon/pipeline/kafka"
	"github.com/ekjon/ekjon/review"
	"github.com/ekjon/ekjon/sinks/postgres"
)

// distributionWorld seeds a closed cycle at three distribution points
// through the real pipeline with the distributor anomalies, raises the
// reconciliation's alerts, and serves the review with the reports.
func distributionWorld(t *testing.T, e *env) *httptest.Server {
	t.Helper()
	pc := kafka.DefaultPublisherConfig()
	pc.Brokers = e.brokers
	pub := kafka.NewPublisher(pc)
	t.Cleanup(func() { pub.Close() })
	policy := domain.DefaultPolicy()
	dec := &pipeline.Anomalies{Decider: e.index, Counter: e.index, Homes: e.store,
		Config: pipeline.AnomalyConfig{Policy: policy, VelocityPerMinute: 6}}
	proc := pipeline.NewProcessor(pipeline.DefaultConfig(), dec, e.store, pub, quietLog(), pipeline.NewMetrics(prometheus.NewRegistry()))
	feed := func(events ...map[string]any) {
		var msgs []pipeline.Message
		for _, ev := range events {
			b, _ := json.Marshal(ev)
			e.offset++
			msgs = append(msgs, pipeline.Message{Topic: e.topics.Distributions, Offset: e.offset, Value: b, Time: time.Now()})
		}
		if err := proc.Process(e.ctx, msgs); err != nil {
			t.Fatal(err)
		}
	}
	given := []string{"Rafiqul", "Jamal", "Nurul", "Shahidul", "Mizanur", "Anwar", "Belal", "Delwar", "Faruk", "Habibur", "Kamrul", "Liakot"}
	unions := []string{"Ashulia", "Birulia"}
	var enrol []map[string]any
	for i, g := range given {
		enrol = append(enrol, map[string]any{
			"event_id": fmt.Sprintf("en-%02d", i), "type": "enrolment", "occurred_at": "2026-09-01T10:00:00+06:00", "source": "dss-mis",
			"programme": "old_age", "beneficiary_ref": fmt.Sprintf("DSS-%02d", i),
			"person": map[string]any{"nid": fmt.Sprintf("26%011d", 500+i), "name_en": g + " " + []string{"Islam", "Hossain", "Sarkar"}[i%3],
				"father_name": []string{"Abdul Jabbar", "Idris Ali", "Yakub Ali", "Samsul Haque"}[i%4], "dob": fmt.Sprintf("19%d-0%d-1%d", 40+i, 1+i%9, i%10),
				"gender": "male", "phone": fmt.Sprintf("0171%07d", 3000+i),
				"address": map[string]any{"district": "Dhaka", "upazila": "Savar", "union": unions[i%2]}},
		})
	}
	feed(enrol...)
	alloc := func(id, dist, union string, refs []string) map[string]any {
		return map[string]any{"event_id": id, "type": "allocation", "occurred_at": "2026-10-01T08:00:00+06:00", "source": "dss-mis",
			"programme": "old_age", "cycle": "2026-10", "distributor_id": dist, "amount": 600, "beneficiaries": refs,
			"area": map[string]any{"district": "Dhaka", "upazila": "Savar", "union": union}, "closes_at": "2026-11-10T00:00:00+06:00"}
	}
	var refsA, refsB []string
	for i := range given {
		if i%2 == 0 {
			refsA = append(refsA, fmt.Sprintf("DSS-%02d", i))
		} else {
			refsB = append(refsB, fmt.Sprintf("DSS-%02d", i))
		}
	}
	feed(alloc("al-ashulia", "dp-ashulia", "Ashulia", refsA), alloc("al-birulia", "dp-birulia", "Birulia", refsB))
	hand := func(id, ref, dist string, amount float64, upazila string, at time.Time) map[string]any {
		return map[string]any{"event_id": id, "type": "distribution", "occurred_at": at.Format(time.RFC3339), "source": "point-app",
			"programme": "old_age", "cycle": "2026-10", "beneficiary_ref": ref, "amount": amount, "channel": "in_person",
			"distributor_id": dist, "device_id": "tab-" + dist, "location": map[string]any{"district": "Dhaka", "upazila": upazila}}
	}
	t0 := time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC)
	var hands []map[string]any
	for i, ref := range refsA[:5] { // one of six undistributed; a skim
		amount := 600.0
		if i == 1 {
			amount = 450
		}
		hands = append(hands, hand("h-a"+ref, ref, "dp-ashulia", amount, "Savar", t0.Add(time.Duration(i)*2*time.Minute)))
	}
	for i, ref := range refsB[:4] { // two undistributed; one far away
		upazila := "Savar"
		if i == 3 {
			upazila = "Dhamrai"
		}
		hands = append(hands, hand("h-b"+ref, ref, "dp-birulia", 600, upazila, t0.Add(time.Duration(i)*3*time.Minute)))
	}
	hands = append(hands,
		hand("h-b-again", refsB[0], "dp-birulia", 600, "Savar", t0.Add(time.Hour)), // scanned twice
		hand("h-x", refsB[5], "dp-unlisted", 600, "Savar", t0.Add(2*time.Hour)),    // allotted nothing
		hand("h-ghost", "DSS-99", "dp-ashulia", 600, "Savar", t0.Add(3*time.Hour)), // no such beneficiary
	)
	feed(hands...)
	if _, err := e.store.RaiseReconciliationAlerts(e.ctx, policy, 0, time.Now()); err != nil {
		t.Fatal(err)
	}
	rv, err := NewReview(e.store, e.store, nil, quietLog(), prometheus.NewRegistry(), DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	rv.SetDistributionReports(postgres.Reports{Store: e.store, Policy: policy})
	r := chi.NewRouter()
	rv.Mount(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv
}

// TestDistributionReportRoutes reads the report as each role and as no
// one, in JSON and CSV, and refuses a bad filter.
func TestDistributionReportRoutes(t *testing.T) {
	e := newEnv(t)
	srv := distributionWorld(t, e)
	get := func(role, path, accept string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if role != "" {
			req.Header.Set("Authorization", "Bearer "+e.tokens[role])
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	if res := get("", "/api/v1/reports/distribution", ""); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("no credentials: %s", res.Status)
	}
	if res := get("viewer", "/api/v1/reports/distribution?programme=old_age&cycle=2026-13", ""); res.StatusCode != http.StatusBadRequest {
		t.Errorf("a month that is none: %s", res.Status)
	}
	if res := get("viewer", "/api/v1/reports/distribution?district=%00", ""); res.StatusCode != http.StatusBadRequest {
		t.Errorf("a control character: %s", res.Status)
	}
	res := get("viewer", "/api/v1/reports/distribution.csv?programme=old_age&cycle=10/2026", "")
	recs, err := csv.NewReader(res.Body).ReadAll()
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("CSV: %s %v", res.Status, err)
	}
	got := map[string]string{}
	for _, r := range recs[1:] {
		got[r[4]] = strings.Join([]string{r[5], r[7], r[10], r[11], r[12], r[14]}, " ")
	}
	want := map[string]string{
		"dp-ashulia":  "6 5 UNKNOWN_PAYEE=1 1 0 true",
		"dp-birulia":  "6 4 DOUBLE_PAYMENT=1 2 0 true",
		"dp-unlisted": "0 1  0 1 false",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %q, want %q", k, got[k], w)
		}
	}
	// The cycle's alerts open as cases, with their evidence.
	for id, key := range map[string]string{"al-birulia/UNDISTRIBUTED_AID": "undistributed", "h-x/PHANTOM_DISTRIBUTION": "distributor_id",
		"h-b" + refsOf("B", 3) + "/DISTRIBUTOR_FAR": "home_upazila"} {
		r := e.call("reviewer", http.MethodGet, alertPath(id), nil)
		if r.status != http.StatusOK || !strings.Contains(r.raw, `"`+key+`"`) {
			t.Errorf("case %s: %d %.300s", id, r.status, r.raw)
		}
	}
	// A ministry reads its own programmes' distribution only: the old-age
	// allowance is social welfare's, not food's.
	for _, u := range []struct {
		name, ministry string
		sees           bool
	}{{"welfare-viewer", "social_welfare", true}, {"food-viewer", "food", false}} {
		e.addMinistryUser(u.name, review.RoleViewer, u.name+"-password", u.ministry)
		for _, path := range []string{"/api/v1/reports/distribution?cycle=2026-10", "/api/v1/reports/distributors?cycle=2026-10"} {
			res := get(u.name, path, "")
			var body struct {
				Rows         []json.RawMessage `json:"rows"`
				Distributors []json.RawMessage `json:"distributors"`
			}
			if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != http.StatusOK {
				t.Fatalf("%s %s: %s %v", u.name, path, res.Status, err)
			}
			if n := len(body.Rows) + len(body.Distributors); (n > 0) != u.sees {
				t.Errorf("%s %s: %d rows, want rows: %v", u.name, path, n, u.sees)
			}
		}
	}
	for _, role := range []string{"viewer", "reviewer", "supervisor", "admin"} {
		if res := get(role, "/api/v1/reports/distributors?programme=old_age", "text/csv"); res.StatusCode != http.StatusOK ||
			!strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
			t.Errorf("%s: scorecards %s %s", role, res.Status, res.Header.Get("Content-Type"))
		}
	}
}

// TestBrowserDistributionPage logs in with headless Chromium, opens the
// distribution report and the scorecards, checks their figures and saves
// a screenshot of the report (docs/img holds the committed one;
// EKJON_SCREENSHOT_DIR, if set, receives it).
func TestBrowserDistributionPage(t *testing.T) {
	bin := browsertest.Path(t)
	e := newEnv(t)
	srv := distributionWorld(t, e)
	ctx := browsertest.New(t, e.ctx, bin, 1400, 900)

	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(`input[name="username"]`),
		chromedp.SendKeys(`input[name="username"]`, "viewer"),
		chromedp.SendKeys(`input[name="password"]`, "viewer-password"),
		chromedp.Click(`form button[type="submit"]`),
		chromedp.WaitVisible(`table.queue`),
		chromedp.Navigate(srv.URL+"/distribution?programme=old_age&cycle=Oct+2026"),
		chromedp.WaitVisible(`table.recon`),
		chromedp.WaitVisible(`svg.chart`),
	)
	if err != nil {
		html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
		t.Fatalf("open the report: %v\n%.3000s", err, html)
	}
	for id, want := range map[string]string{"t-allocated": "12", "t-distributed": "10", "t-undistributed": "3", "t-phantom": "1"} {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById(`+jsString(id)+`).textContent`))
		if err != nil || got != want {
			t.Errorf("%s: %q (%v), want %s", id, got, err, want)
		}
	}
	scripts, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.scripts.length`))
	if err != nil || scripts != 0 {
		t.Errorf("the page has %d scripts (%v)", scripts, err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	browsertest.Save(t, "distribution-page.png", shot)

	err = chromedp.Do(ctx,
		chromedp.Click(`a[href="/distributors"]`),
		chromedp.WaitVisible(`table.scorecards`),
	)
	if err != nil {
		t.Fatalf("open the scorecards: %v", err)
	}
	row, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('table.scorecards tbody tr')).map(r => r.innerText).join('\n')`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"dp-ashulia", "AMOUNT_BELOW_ENTITLEMENT", "UNDISTRIBUTED_AID", "DISTRIBUTOR_FAR", "PHANTOM_DISTRIBUTION"} {
		if !strings.Contains(row, want) {
			t.Errorf("the scorecards lack %s:\n%s", want, row)
		}
	}
}

// refsOf names the i-th beneficiary distributionWorld allots to point
// "A" (Ashulia, even refs) or "B" (Birulia, odd refs).
func refsOf(point string, i int) string {
	if point == "A" {
		return fmt.Sprintf("DSS-%02d", 2*i)
	}
	return fmt.Sprintf("DSS-%02d", 2*i+1)
}
