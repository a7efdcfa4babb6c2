package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"

	"github.com/ekjon/ekjon/api"
	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
	"github.com/ekjon/ekjon/domain"
)

// demoScanCards is how many cards the demo's distributor scans.
const demoScanCards = 12

// simulateScans plays a distributor at work through the scan API, with the
// demo distributor's token: a dozen cards scanned for this cycle, a few
// scanned twice, and two cards reported lost, replaced, and the lost ones
// scanned. It prints what the API answered.
func simulateScans(ctx context.Context, a *app.App, token string, out io.Writer) error {
	type holder struct{ person, programme string }
	var hs []holder
	// Persons who hold a card and an active enrolment, waiting for the
	// cards of the enrolments just decided to be issued.
	deadline := time.Now().Add(20 * time.Second)
	for len(hs) < demoScanCards && time.Now().Before(deadline) {
		rows, err := a.Store.Pool().Query(ctx, `SELECT DISTINCT ON (c.person_id) c.person_id, e.programme
			FROM cards c JOIN enrolments e ON e.person_id = c.person_id AND e.status = 'active'
			WHERE c.status = 'active' AND c.seq = c.indexed_seq ORDER BY c.person_id, e.enrolled_at LIMIT $1`, demoScanCards)
		if err != nil {
			return err
		}
		hs = hs[:0]
		for rows.Next() {
			var h holder
			if err := rows.Scan(&h.person, &h.programme); err != nil {
				rows.Close()
				return err
			}
			hs = append(hs, h)
		}
		rows.Close()
		if len(hs) < demoScanCards {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
	if len(hs) == 0 {
		fmt.Fprintln(out, "scans: no card holders yet; nothing scanned")
		return nil
	}
	base := "http://" + a.HTTPAddr
	counts := map[string]int{}
	scan := func(id, qr, programme string) error {
		// The month after the synthetic payment files' cycles, which
		// pay this one.
		cycle := time.Now().UTC().AddDate(0, 1, 0).Format("2006-01")
		if a.Cards.Policy().CycleKind(programme) != domain.CycleMonthly {
			cycle = "demo-" + time.Now().UTC().Format("2006")
		}
		body, _ := json.Marshal(map[string]any{"scan_id": id, "qr": qr, "programme": programme, "cycle": cycle,
			"device_id": "demo-tab-1", "location": map[string]string{"district": "Dhaka", "upazila": "Savar"}})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/scans", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		var r api.ScanResponse
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("scan %s: HTTP %d", id, res.StatusCode)
		}
		if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
			return err
		}
		k := string(r.Decision.Action)
		if len(r.Decision.Rules) > 0 {
			k += " " + r.Decision.Rules[0]
		}
		counts[k]++
		return nil
	}
	var lost []string
	for i, h := range hs {
		c, err := a.Cards.CardOf(ctx, h.person)
		if err != nil {
			return err
		}
		qr := a.Cards.Token(c)
		if err := scan(fmt.Sprintf("demo-%d", i), qr, h.programme); err != nil {
			return err
		}
		if i%4 == 1 { // handed out twice
			if err := scan(fmt.Sprintf("demo-%d-again", i), qr, h.programme); err != nil {
				return err
			}
		}
		if i%6 == 5 { // reported lost and replaced; the lost card turns up
			if _, err := a.Cards.ReplaceCard(ctx, h.person, "demo-supervisor", "reported lost"); err != nil {
				return err
			}
			lost = append(lost, qr)
			if err := scan(fmt.Sprintf("demo-%d-lost", i), qr, h.programme); err != nil {
				return err
			}
		}
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(out, "scans: %d cards scanned by the demo distributor (%d replaced as lost, then scanned):\n", len(hs), len(lost))
	for _, k := range keys {
		fmt.Fprintf(out, "  %-28s %d\n", k, counts[k])
	}
	fmt.Fprintf(out, "  card sheet: %s/cards\n\n", base)
	return nil
}
