package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/ekjon/ekjon/api"
	"github.com/ekjon/ekjon/api/browsertest"
	"github.com/ekjon/ekjon/review"
)

// TestBrowserCardSheet enrols a union's people through Kafka, opens their
// printable card sheet in headless Chromium as a supervisor, checks that
// every QR image is drawn (the page's CSP must let its inline images in)
// and that printing leaves the navigation out, and saves a screenshot.
// EKJON_SCREENSHOT_DIR, if set, also receives it (docs/img holds the
// committed one).
func TestBrowserCardSheet(t *testing.T) {
	bin := browsertest.Path(t)
	h := newHarness(t, 1)
	a := h.start(nil)
	hash, err := api.HashPassword("supervisor-password")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Store.CreateUser(context.Background(), review.User{Username: "sup", Role: review.RoleSupervisor, PasswordHash: hash},
		review.Actor{Username: "test", Role: review.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	people := []struct{ bn, en, dob string }{
		{"মোঃ রফিকুল ইসলাম", "Md. Rafiqul Islam", "1950-03-01"},
		{"আমেনা খাতুন", "Amena Khatun", "1958-07-12"},
		{"আব্দুল করিম মিয়া", "Abdul Karim Mia", "1947-01-30"},
		{"শাহানা বেগম", "Shahana Begum", "1955-11-05"},
	}
	var ids []string
	for i, p := range people {
		id := fmt.Sprintf("sheet-%d", i)
		ids = append(ids, id)
		gender := "male"
		if i%2 == 1 {
			gender = "female"
		}
		h.produce(h.cfg.Kafka.Topics.Enrolments, fmt.Sprintf(`{"event_id":%q,"type":"enrolment","occurred_at":"2026-11-01T10:00:00+06:00",
			"source":"dss-mis","programme":"old_age","beneficiary_ref":"ref-%d","person":{"nid":"19%08d","name_bn":%q,"name_en":%q,
			"father_name":"","dob":%q,"gender":%q,"phone":"0171%07d","wallet":"",
			"address":{"division":"Dhaka","district":"Dhaka","upazila":"Savar","union":"Ashulia","ward":"3"}}}`,
			id, i, 11111111*(i+1), p.bn, p.en, p.dob, gender, i))
	}
	h.decisions(ids...)
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		if err := h.db.QueryRow(context.Background(), `SELECT count(*) FROM cards`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == len(people) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d cards issued, want %d", n, len(people))
		}
		time.Sleep(50 * time.Millisecond)
	}

	ctx := browsertest.New(t, context.Background(), bin, 900, 800)

	base := "http://" + a.HTTPAddr
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(`input[name="username"]`),
		chromedp.SendKeys(`input[name="username"]`, "sup"),
		chromedp.SendKeys(`input[name="password"]`, "supervisor-password"),
		chromedp.Click(`form button[type="submit"]`),
		chromedp.WaitVisible(`table.queue`),
		chromedp.Navigate(base+"/cards?union=Ashulia"),
		chromedp.WaitVisible(`article.aid-card img`),
	)
	if err != nil {
		t.Fatalf("open the card sheet: %v", err)
	}
	drawn, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll("article.aid-card img")].filter(i => i.complete && i.naturalWidth > 0).length`))
	if err != nil {
		t.Fatal(err)
	}
	cardsShown, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("article.aid-card").length`))
	if err != nil {
		t.Fatal(err)
	}
	names, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("article.aid-card .name-bn")].map(e => e.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if cardsShown != len(people) || drawn != len(people) {
		t.Fatalf("%d cards shown, %d QR images drawn; want %d of each", cardsShown, drawn, len(people))
	}
	if len(names) == 0 || names[0] == "" {
		t.Fatalf("no Bangla names on the sheet: %q", names)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	// Printed, the sheet is the cards alone.
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	navShown, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector("header.top")).display !== "none"`))
	if err != nil {
		t.Fatal(err)
	}
	if navShown {
		t.Fatal("the page header is printed with the cards")
	}
	browsertest.Save(t, "card-sheet.png", shot)
}
