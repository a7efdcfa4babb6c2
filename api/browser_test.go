package api

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ekjon/ekjon/api/browsertest"
	"github.com/ekjon/ekjon/domain"
)

// TestBrowserReleasesACase logs in with headless Chromium, opens the queue
// and a held case, saves a screenshot of the case page, releases the case
// and sees it gone from the queue. EKJON_SCREENSHOT_DIR, if set, also
// receives the screenshot (docs/img holds the committed one).
func TestBrowserReleasesACase(t *testing.T) {
	bin := browsertest.Path(t)
	e := newEnv(t)
	w := seed(t, e)
	alertID := heldFuzzyCase(t, e, w)

	ctx := browsertest.New(t, e.ctx, bin, 1200, 900)

	caseLink := `a[href="/cases/` + url.PathEscape(alertID) + `"]`
	row := `tr[data-alert="` + alertID + `"]`
	err := chromedp.Do(ctx,
		chromedp.Navigate(e.srv.URL+"/login"),
		chromedp.WaitVisible(`input[name="username"]`),
		chromedp.SendKeys(`input[name="username"]`, "reviewer"),
		chromedp.SendKeys(`input[name="password"]`, "reviewer-password"),
		chromedp.Click(`form button[type="submit"]`),
		chromedp.WaitVisible(`table.queue`),
		chromedp.WaitVisible(row),
		chromedp.Click(caseLink),
		chromedp.WaitVisible(`table.compare`),
		chromedp.WaitVisible(`ul.bars`),
	)
	if err != nil {
		t.Fatalf("open the case: %v", err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	browsertest.Save(t, "case-page.png", shot)

	err = chromedp.Do(ctx,
		chromedp.Click(`input[name="decision"][value="release"]`),
		chromedp.SendKeys(`textarea[name="reason"]`, "different father and village; the union office knows both"),
		chromedp.Click(`form.ruling button[type="submit"]`),
		chromedp.WaitVisible(`p.flash`),
	)
	if err != nil {
		t.Fatalf("release the case: %v", err)
	}
	gone, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector(`+jsString(row)+`) === null`))
	if err != nil {
		t.Fatalf("read the queue: %v", err)
	}
	if !gone {
		t.Fatalf("the released case is still in the queue")
	}
	if got := e.queryString(`SELECT action FROM decisions WHERE event_id = 'enr-f'`); got != "ADMIT" {
		t.Fatalf("decision after release: %s", got)
	}
}

// TestBrowserDrawsTheOverview opens the overview in headless Chromium,
// under the pages' CSP, and finds its server-drawn charts laid out: bars of
// some width, named in English and Bangla. It saves overview.png as the
// case test saves its screenshot.
func TestBrowserDrawsTheOverview(t *testing.T) {
	bin := browsertest.Path(t)
	e := newEnv(t)
	seed(t, e)
	widow := enrolment("w1", "widow", "1200000003", "01712000003")
	widow["person"].(map[string]any)["address"] = map[string]any{"division": "Chittagong", "district": "Chittagong"}
	e.feed(widow, youngEnrolment("o2", "1200000002", "26"), youngEnrolment("o3", "1200000004", "Comilla"))
	// This cycle's old-age allowance allotted to a point, and not yet
	// handed out: the undistributed aid's chart.
	e.feed(map[string]any{"event_id": "al-1", "type": "allocation", "occurred_at": time.Now().UTC().Format(time.RFC3339),
		"source": "mis", "programme": "old_age", "cycle": cycleStart(time.Now()).Format("2006-01"), "distributor_id": "dp-1",
		"count": 40, "area": map[string]any{"district": "Dhaka", "upazila": "Savar", "union": "Ashulia"}})

	ctx := browsertest.New(t, e.ctx, bin, 1200, 900)
	err := chromedp.Do(ctx,
		chromedp.Navigate(e.srv.URL+"/login"),
		chromedp.WaitVisible(`input[name="username"]`),
		chromedp.SendKeys(`input[name="username"]`, "viewer"),
		chromedp.SendKeys(`input[name="password"]`, "viewer-password"),
		chromedp.Click(`form button[type="submit"]`),
		chromedp.WaitVisible(`table.queue`),
		chromedp.Navigate(e.srv.URL+"/overview"),
		chromedp.WaitVisible(`svg.bars-h`),
	)
	if err != nil {
		t.Fatalf("open the overview: %v", err)
	}
	widths, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](
		`Array.from(document.querySelectorAll("svg.bars-h rect")).map(r => r.getBoundingClientRect().width)`))
	if err != nil {
		t.Fatalf("read the charts: %v", err)
	}
	if len(widths) < 4 {
		t.Fatalf("%d bars drawn, want the ministry's, the programmes' and the districts'", len(widths))
	}
	for i, w := range widths {
		if w < 1 {
			t.Errorf("bar %d is %.1f px wide", i, w)
		}
	}
	labels, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`Array.from(document.querySelectorAll("svg.bars-h text.label")).map(t => t.textContent).join("|")`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Old Age Allowance (বয়স্ক ভাতা)", "Cumilla (কুমিল্লা)", "Dhaka (ঢাকা)"} {
		if !strings.Contains(labels, want) {
			t.Errorf("chart labels %q lack %q", labels, want)
		}
	}
	charts, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`Array.from(document.querySelectorAll("svg.bars-h")).map(s => s.getAttribute("aria-label")).join("|")`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Undistributed aid this cycle by programme"} {
		if !strings.Contains(charts, want) {
			t.Errorf("charts %q lack %q", charts, want)
		}
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	browsertest.Save(t, "overview.png", shot)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// heldFuzzyCase records an enrolment held as FUZZY_PERSON against person A,
// as the fuzzy matcher does, so the case page has two records and a score.
func heldFuzzyCase(t *testing.T, e *env, w world) string {
	t.Helper()
	ev := enrolment("enr-f", "old_age", "1975123456", "01799999999")
	p := ev["person"].(map[string]any)
	p["name_bn"], p["name_en"], p["father_name"] = "মোহাম্মদ রফিকুল ইসলাম", "Mohammad Rofikul Islam", "আব্দুর রহিম"
	p["address"].(map[string]any)["village"] = "Baipail"
	d := e.feed(ev)
	person := d["enr-f"].PersonID
	expl := []domain.Contribution{
		{Field: "name", Level: "close", Weight: 5.8}, {Field: "dob", Level: "exact", Weight: 4.1},
		{Field: "upazila", Level: "exact", Weight: 2.2}, {Field: "phone", Level: "exact", Weight: 3.4},
		{Field: "father_name", Level: "far", Weight: -2.6}, {Field: "nid", Level: "far", Weight: -1.5},
	}
	ex, _ := json.Marshal(expl)
	for _, q := range []string{
		`UPDATE decisions SET action = 'HOLD', rules = '{FUZZY_PERSON}', reason = 'matches an enrolled person above the hold threshold',
			matched_person_id = $2, score = 11.4, explanation = $3::jsonb WHERE event_id = $1`,
		`UPDATE enrolments SET status = 'held' WHERE event_id = $1 AND $2 <> '' AND $3 <> ''`,
	} {
		if _, err := e.store.Pool().Exec(e.ctx, q, "enr-f", w.personA, string(ex)); err != nil {
			t.Fatal(err)
		}
	}
	k := e.pseudo.Hash("nid", "1975123456")[:16]
	if err := e.index.MarkHeld(e.ctx, k, "old_age"); err != nil {
		t.Fatal(err)
	}
	return e.insertAlert("enr-f", domain.RuleFuzzyPerson, domain.ActionHold, person, w.personA, 11.4, expl)
}
