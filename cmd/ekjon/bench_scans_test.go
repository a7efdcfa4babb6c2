package main

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/ekjon/ekjon/benchmarks"
	"github.com/ekjon/ekjon/cards"
)

// TestPlanScans checks the scan benchmark's mix: every first scan a card
// of its own, every double a card first scanned two seconds earlier,
// every revoked card one no first scan uses, at the shares the report
// states.
func TestPlanScans(t *testing.T) {
	const n, rate = 20000, 500.0
	const revokedFrom = n + 1
	plan := planScans(n, rate, revokedFrom, rand.New(rand.NewPCG(1, 7)))
	if len(plan) != n {
		t.Fatalf("%d scans planned, want %d", len(plan), n)
	}
	firstAt := map[int]int{}
	revoked := map[int]bool{}
	kinds := map[scanKind]int{}
	for i, p := range plan {
		kinds[p.kind]++
		switch p.kind {
		case scanFirst:
			if _, dup := firstAt[p.holder]; dup || p.holder >= revokedFrom {
				t.Fatalf("scan %d: first scan of holder %d, scanned before or among the revoked", i, p.holder)
			}
			firstAt[p.holder] = i
		case scanDouble:
			at, ok := firstAt[p.holder]
			if !ok || i-at < int(2*rate) {
				t.Fatalf("scan %d: double of holder %d, first scanned at %d (%v)", i, p.holder, at, ok)
			}
		case scanRevoked:
			if revoked[p.holder] || p.holder < revokedFrom {
				t.Fatalf("scan %d: revoked holder %d twice or among the first scans", i, p.holder)
			}
			revoked[p.holder] = true
		}
	}
	for k, want := range map[scanKind]float64{scanFirst: 0.91, scanDouble: 0.05, scanRevoked: 0.02, scanTampered: 0.01, scanForeign: 0.01} {
		if got := float64(kinds[k]) / n; got < want-0.01 || got > want+0.01 {
			t.Errorf("%s: %.3f of the scans, want %.2f", k, got, want)
		}
	}
}

// TestScanQR checks that the benchmark's invalid QR codes are invalid and
// its valid ones valid, for the card they name.
func TestScanQR(t *testing.T) {
	keys, foreign := cards.DerivedKeyring("scan-bench-secret-0123456789"), cards.DerivedKeyring("another secret")
	no, err := cards.NewNumber()
	if err != nil {
		t.Fatal(err)
	}
	h := benchmarks.Holder{CardNo: no}
	for _, k := range []scanKind{scanFirst, scanDouble, scanRevoked, scanTampered, scanForeign} {
		c, err := keys.Verify(scanQR(scanPlan{kind: k}, h, keys, foreign))
		valid := k != scanTampered && k != scanForeign
		if valid != (err == nil) || valid && (c.CardNo != no || c.Version != 1) {
			t.Errorf("%s: verified %+v, %v", k, c, err)
		}
	}
}

// TestBenchScans runs the scan benchmark on a small registry and checks
// its table: both paths scanned every planned card, each decided as its
// kind calls for (first scans admitted, doubles blocked as double
// payments, revoked cards blocked, invalid QR codes rejected).
func TestBenchScans(t *testing.T) {
	md := runBench(t, "scan", true,
		"--persons", "1500", "--scans", "400", "--scan-rate", "50", "--scan-passes", "1", "--consumers", "2", "--partitions", "2")
	if strings.Contains(md, "#### P = ") {
		t.Errorf("--scans wrote the runs' table:\n%s", md)
	}
	row := regexp.MustCompile(`(?m)^\| (scan API \(HTTP\)|card_qr events \(Kafka\)), pass 1 \| 50 \| [0-9]+ \| ([0-9]+) \|[^|]*\|[^|]*\|[^|]*\|[^|]*\| ([^|]*) \| ([0-9]+) \| 0 \|`)
	rows := row.FindAllStringSubmatch(md, -1)
	if len(rows) != 2 {
		t.Fatalf("want a row per path:\n%s", md)
	}
	for _, r := range rows {
		if r[2] != "400" || r[4] != "0" {
			t.Errorf("%s: %s scans, %s unexpected, want 400 and 0", r[1], r[2], r[4])
		}
		for _, want := range []string{"ADMIT", "BLOCK DOUBLE_PAYMENT", "BLOCK CARD_REVOKED", "REJECTED INVALID_CARD"} {
			if !strings.Contains(r[3], want+" ") {
				t.Errorf("%s: no %s among %s", r[1], want, r[3])
			}
		}
	}
}
