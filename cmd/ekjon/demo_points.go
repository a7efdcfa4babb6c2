package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
	"github.com/ekjon/ekjon/domain"
)

// The demo hands out one programme's current cycle at distribution
// points: the cycle is allotted per union to a distributor of its own,
// who hands the allowance over in person, and a few of them cheat. The
// payment file does not pay that programme's cycle (see demoPoints.skip).
const (
	pointsProgramme = "old_age"
	// pointsUnions is how many unions (the largest) have a point.
	pointsUnions = 12
	// pointsPerUnion caps the beneficiaries allotted at one point.
	pointsPerUnion = 40
)

// demoPoints simulates the distribution points of the demo.
type demoPoints struct {
	a     *app.App
	topic string
	cycle string
	now   time.Time
}

func newDemoPoints(a *app.App, topic string, now time.Time) *demoPoints {
	return &demoPoints{a: a, topic: topic, cycle: now.In(time.FixedZone("BST", 6*3600)).Format("2006-01"), now: now}
}

// skip reports whether the payment file's record r pays what the points
// hand out: the programme's current cycle.
func (p *demoPoints) skip(value []byte) bool {
	var probe struct {
		Type      string `json:"type"`
		Programme string `json:"programme"`
		Cycle     string `json:"cycle"`
	}
	if json.Unmarshal(value, &probe) != nil || probe.Type != string(domain.TypeDistribution) || probe.Programme != pointsProgramme {
		return false
	}
	c, err := domain.NormalizeCycle(domain.CycleMonthly, probe.Cycle)
	return err == nil && c == p.cycle
}

type beneficiary struct{ ref, district, upazila, union string }

// events returns the points' allocations and hand-outs, built from the
// beneficiaries the record holds as active in the programme, the largest
// union first. What each point does:
//
//	every point:  hands out to all but every fifth allotted (undistributed)
//	dp-00:        fast: a hand-out every 4 seconds, on a new device each time
//	dp-01:        skims: every third hand-out is 450 taka of 600
//	dp-02:        two hand-outs far from the beneficiary's upazila
//	dp-03:        scans two cards twice
//	dp-04, dp-08: their distribution day is over (the cycle closes for them)
//	dp-nowhere:   allotted nothing, hands out to point dp-05's undistributed
func (p *demoPoints) events(ctx context.Context) ([]kafkago.Message, error) {
	rows, err := p.a.Store.Pool().Query(ctx, `SELECT DISTINCT ON (person_id) beneficiary_ref,
			COALESCE(record->'address'->>'district', ''), COALESCE(record->'address'->>'upazila', ''),
			COALESCE(record->'address'->>'union', '')
		FROM enrolments WHERE programme = $1 AND status = 'active' AND beneficiary_ref <> ''
		ORDER BY person_id, enrolled_at DESC`, pointsProgramme)
	if err != nil {
		return nil, err
	}
	// A union is one place however its beneficiaries' records write it
	// (by code, in Bangla, in English): the points are per place.
	places := domain.Places()
	byArea := map[string][]beneficiary{}
	for rows.Next() {
		var b beneficiary
		if err := rows.Scan(&b.ref, &b.district, &b.upazila, &b.union); err != nil {
			rows.Close()
			return nil, err
		}
		if strings.TrimSpace(b.union) == "" {
			continue
		}
		k := places.PlaceArea(domain.Area{District: b.district, Upazila: b.upazila, Union: b.union}).Key
		byArea[k] = append(byArea[k], b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(byArea))
	for k, ben := range byArea {
		keys = append(keys, k)
		sort.Slice(ben, func(i, j int) bool { return ben[i].ref < ben[j].ref })
	}
	sort.Slice(keys, func(i, j int) bool {
		if a, b := len(byArea[keys[i]]), len(byArea[keys[j]]); a != b {
			return a > b
		}
		return keys[i] < keys[j]
	})
	var unions [][]beneficiary
	for _, k := range keys[:min(len(keys), pointsUnions)] {
		ben := byArea[k]
		unions = append(unions, ben[:min(len(ben), pointsPerUnion)])
	}

	var out []kafkago.Message
	add := func(key string, v any) {
		b, _ := json.Marshal(v)
		out = append(out, kafkago.Message{Topic: p.topic, Key: []byte(key), Value: b})
	}
	stamp := p.now.Format("20060102150405")
	start := p.now.Add(-3 * time.Hour).UTC()
	for j, ben := range unions {
		dist := fmt.Sprintf("dp-%02d", j)
		refs := make([]string, len(ben))
		for i, b := range ben {
			refs[i] = b.ref
		}
		al := map[string]any{"event_id": fmt.Sprintf("demo-alloc-%s-%s", stamp, dist), "type": "allocation",
			"occurred_at": start.Add(-time.Hour).Format(time.RFC3339), "source": "dss-mis", "programme": pointsProgramme,
			"cycle": p.cycle, "distributor_id": dist, "beneficiaries": refs, "amount": 600,
			"area": map[string]string{"district": ben[0].district, "upazila": ben[0].upazila, "union": ben[0].union}}
		if j == 4 || j == 8 {
			al["closes_at"] = p.now.UTC().Format(time.RFC3339)
		}
		add(dist, al)
		step := 40 * time.Second
		if j == 0 {
			step = 4 * time.Second
		}
		for i, b := range ben {
			if i%5 == 4 {
				continue // not handed out
			}
			amount, upazila, device := 600.0, b.upazila, fmt.Sprintf("tab-%02d", j)
			if j == 1 && i%3 == 0 {
				amount = 450
			}
			if j == 2 && i < 2 {
				upazila = "Kaliakair"
			}
			if j == 0 {
				device = fmt.Sprintf("tab-%02d-%d", j, i)
			}
			times := 1
			if j == 3 && i < 2 {
				times = 2
			}
			for k := range times {
				add(b.ref, map[string]any{"event_id": fmt.Sprintf("demo-point-%s-%s-%d-%d", stamp, dist, i, k),
					"type": "distribution", "occurred_at": start.Add(time.Duration(i+k) * step).Format(time.RFC3339),
					"source": "point-app", "programme": pointsProgramme, "cycle": p.cycle, "beneficiary_ref": b.ref,
					"amount": amount, "channel": "in_person", "distributor_id": dist, "device_id": device,
					"location": map[string]string{"district": b.district, "upazila": upazila}})
			}
		}
		if j == 5 {
			for i, b := range ben {
				if i%5 != 4 {
					continue
				}
				add(b.ref, map[string]any{"event_id": fmt.Sprintf("demo-point-%s-nowhere-%d", stamp, i),
					"type": "distribution", "occurred_at": start.Add(time.Duration(i) * time.Minute).Format(time.RFC3339),
					"source": "point-app", "programme": pointsProgramme, "cycle": p.cycle, "beneficiary_ref": b.ref,
					"amount": 600, "channel": "in_person", "distributor_id": "dp-nowhere", "device_id": "tab-x",
					"location": map[string]string{"district": b.district, "upazila": b.upazila}})
			}
		}
	}
	return out, nil
}

// report raises the reconciliation's alerts now and prints its figures
// for the points' cycle.
func (p *demoPoints) report(ctx context.Context, out io.Writer, addr string) error {
	if _, err := p.a.ReconcileOnce(ctx); err != nil {
		return err
	}
	rows, err := p.a.Store.Reconcile(ctx, domain.ReconcileFilter{Programme: pointsProgramme, Cycle: p.cycle},
		domain.DefaultPolicy(), p.a.CycleGrace(), time.Now())
	if err != nil {
		return err
	}
	var alloc, dist, undist, phantom, blocked int64
	for _, r := range rows {
		alloc, dist, undist, phantom, blocked = alloc+r.Allocated, dist+r.Distributed, undist+r.Undistributed, phantom+r.Phantom, blocked+r.BlockedTotal()
	}
	fmt.Fprintf(out, "\ndistribution points, %s %s: %d distributors; allotted %d, handed out %d, blocked attempts %d, undistributed %d, without allocation %d\n",
		pointsProgramme, p.cycle, len(rows), alloc, dist, blocked, undist, phantom)
	for _, r := range rows {
		var rules []string
		for _, k := range r.BlockedRules() {
			rules = append(rules, fmt.Sprintf("%s %d", k, r.Blocked[k]))
		}
		state := "open"
		if r.Closed {
			state = "closed"
		}
		fmt.Fprintf(out, "  %-10s %-56.56s allotted %3d  handed out %3d  undistributed %3d  phantom %2d  %-6s %s\n",
			r.DistributorID, r.Area, r.Allocated, r.Distributed, r.Undistributed, r.Phantom, state, strings.Join(rules, ", "))
	}
	fmt.Fprintf(out, "  see http://%s/distribution?programme=%s&cycle=%s and /distributors\n\n", addr, pointsProgramme, p.cycle)
	return nil
}
