package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ekjon/ekjon/api"
	"github.com/ekjon/ekjon/domain"
)

// BenchmarkScanAPI measures the scan API's latency at a steady 500 scans a
// second over HTTP, on the real stack (PostgreSQL, Redis, the in-process
// broker): each scan a card of a different person or cycle, so that every
// one is decided and claimed afresh. EKJON_BENCH_PERSONS sets how many
// persons are enrolled first (default 2,000; they are enrolled through
// Kafka, so tens of thousands at most: `ekjon bench --scans` measures at a
// million, bulk loaded), EKJON_BENCH_RATE the rate. The scans are sent
// open loop, each at its due time, and their latency runs from then. It
// reports p50 and p99 in milliseconds; wall time per op is the pacing, not
// the latency.
//
//	go test -run '^$' -bench BenchmarkScanAPI -benchtime 5000x ./cmd/ekjon
func BenchmarkScanAPI(b *testing.B) {
	persons := 2000
	if v, err := strconv.Atoi(os.Getenv("EKJON_BENCH_PERSONS")); err == nil && v > 0 {
		persons = v
	}
	e := newScanEnvOn(b, newHarness(b, 3))
	qrs := e.enrolMany(b, persons)
	rate := 500
	if v, err := strconv.Atoi(os.Getenv("EKJON_BENCH_RATE")); err == nil && v > 0 {
		rate = v
	}
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	b.ResetTimer()
	// Open loop: scan i is due at start + i/rate and sent then, however
	// the earlier ones fare, and its latency runs from when it was due.
	start := time.Now()
	for i := 0; i < b.N; i++ {
		due := start.Add(time.Duration(i) * time.Second / time.Duration(rate))
		time.Sleep(time.Until(due))
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			cycle := fmt.Sprintf("%d-%02d", 2030+(i/len(qrs))/12, 1+(i/len(qrs))%12)
			body, _ := json.Marshal(map[string]any{"scan_id": fmt.Sprintf("bench-%d", i), "qr": qrs[i%len(qrs)],
				"programme": "old_age", "cycle": cycle, "device_id": "dev-1",
				"location": map[string]string{"district": "Dhaka", "upazila": "Savar"}})
			req, _ := http.NewRequest("POST", e.base+"/api/v1/scans", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+e.dist)
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			var r api.ScanResponse
			err = json.NewDecoder(res.Body).Decode(&r)
			res.Body.Close()
			lat[i] = time.Since(due)
			if err != nil || r.Decision.Action != domain.ActionAdmit {
				b.Errorf("scan %d: %v %s", i, err, verdictOf(r.Decision))
			}
		}(i)
	}
	wg.Wait()
	b.StopTimer()
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
	b.ReportMetric(float64(persons), "persons")
	b.ReportMetric(float64(len(qrs)), "cards")
}

// enrolMany enrols n persons in old_age through Kafka and returns their
// cards' QR payloads once every card scans.
func (e *scanEnv) enrolMany(b *testing.B, n int) []string {
	ids := make([]string, n)
	for start := 0; start < n; start += 1000 {
		var evs []string
		for i := start; i < min(n, start+1000); i++ {
			ids[i] = fmt.Sprintf("bench-en-%d", i)
			evs = append(evs, distinctEnrolment(ids[i], fmt.Sprintf("%010d", 1000000000+i*7919), "old_age", i))
		}
		e.h.produce(e.h.cfg.Kafka.Topics.Enrolments, evs...)
	}
	ds := e.h.decisions(ids...)
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var pending int
		if err := e.h.db.QueryRow(b.Context(), `SELECT count(*) FROM cards WHERE seq > indexed_seq`).Scan(&pending); err != nil {
			b.Fatal(err)
		}
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d cards still unmapped", pending)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var qrs []string
	for _, id := range ids {
		d := ds[id]
		if d.Action != domain.ActionAdmit {
			continue
		}
		var c cardJSON
		if e.call("GET", "/api/v1/persons/"+d.PersonID+"/card", e.sup, nil, &c) == http.StatusOK {
			qrs = append(qrs, c.QR)
		}
	}
	// The synthetic names repeat, so the fuzzy rules hold some of the
	// enrolments: the others' cards are scanned.
	if len(qrs) == 0 {
		b.Fatalf("none of %d persons holds a card", n)
	}
	b.Logf("%d of %d enrolled persons hold a card", len(qrs), n)
	return qrs
}
