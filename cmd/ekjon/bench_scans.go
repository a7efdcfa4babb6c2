package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/api"
	"github.com/ekjon/ekjon/benchmarks"
	"github.com/ekjon/ekjon/benchmarks/synth"
	"github.com/ekjon/ekjon/cards"
	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/review"
	"github.com/ekjon/ekjon/sinks/postgres"
)

// scanNote explains the scan table of the report.
const scanNote = "Scans: the registry is bulk loaded with a card issued to every admitted person, as admission issues it (the cards and card_events rows, mapped in the index as its rebuild maps them). Then, on one running ekjon with the broker in a process of its own, each pass (--scan-passes) scans the same card holders through both paths, at the same offered rate and mix (91% first scans of a card for the cycle, 5% second scans of a card scanned two seconds before, 2% scans of cards revoked through the record beforehand, 1% tampered and 1% foreign-key QR codes), one scan per distributor-and-device at most every 12 s (below DISTRIBUTOR_VELOCITY), each at its holder's upazila: first through the scan API (POST /api/v1/scans over HTTP with each distributor's bearer token, sent open loop on a fixed schedule, latency from the scheduled send to the response read, so a late send counts against it), then as distribution events naming card_qr produced to Kafka (latency from the Kafka timestamp to the decision being durable, as in the runs above), for a cycle the API did not claim. A scan not answered within ten minutes is counted as failed, apart from the latencies. Decisions are counted by action and rules; unexpected are those the scan's kind did not call for."

// scanKind is what a scan in the mix should be decided as.
type scanKind int

const (
	scanFirst scanKind = iota
	scanDouble
	scanRevoked
	scanTampered
	scanForeign
)

// scanPlan is one scan of the mix: whose card, and which kind.
type scanPlan struct {
	kind   scanKind
	holder int // index into the holders
}

// expected reports whether decision d is what a scan of kind k calls for.
func (k scanKind) expected(action domain.Action, rules []string) bool {
	switch k {
	case scanFirst:
		return action == domain.ActionAdmit
	case scanDouble:
		return action == domain.ActionBlock && slices.Contains(rules, domain.RuleDoublePayment)
	case scanRevoked:
		return action == domain.ActionBlock && slices.Contains(rules, domain.RuleCardRevoked)
	default:
		return action == domain.ActionRejected && slices.Contains(rules, domain.RuleInvalidCard)
	}
}

func (k scanKind) String() string {
	return [...]string{"first", "double", "revoked", "tampered", "foreign-key"}[k]
}

// planScans lays out n scans over the first holders: one first scan per
// holder, with doubles of the card scanned two seconds (2·rate scans)
// before, revoked cards (holders from revokedFrom on) and invalid QR codes
// mixed in at fixed shares.
func planScans(n int, rate float64, revokedFrom int, rng *rand.Rand) []scanPlan {
	plan := make([]scanPlan, 0, n)
	var firsts []int // plan indexes of the first scans
	next, revoked := 0, revokedFrom
	back := max(1, int(2*rate))
	for len(plan) < n {
		x := rng.IntN(100)
		switch {
		case x < 5 && len(firsts) > back:
			plan = append(plan, scanPlan{scanDouble, plan[firsts[len(firsts)-back]].holder})
		case x >= 5 && x < 7:
			plan = append(plan, scanPlan{scanRevoked, revoked})
			revoked++
		case x == 7:
			plan = append(plan, scanPlan{scanTampered, next})
		case x == 8:
			plan = append(plan, scanPlan{scanForeign, next})
		default:
			firsts = append(firsts, len(plan))
			plan = append(plan, scanPlan{scanFirst, next})
			next++
		}
	}
	return plan
}

// scanQR is the QR code a planned scan presents.
func scanQR(p scanPlan, h benchmarks.Holder, keys, foreign *cards.Keyring) string {
	switch p.kind {
	case scanTampered:
		// One digit of the card number changed: the signature no longer
		// covers the token.
		t := keys.Sign(h.CardNo, 1)
		i := strings.Index(t, h.CardNo)
		d := byte('0' + (t[i]-'0'+1)%10)
		return t[:i] + string(d) + t[i+1:]
	case scanForeign:
		return foreign.Sign(h.CardNo, 1)
	}
	return keys.Sign(h.CardNo, 1)
}

// benchCycle is the cycle a path claims for programme: the API's (n odd)
// and Kafka's (n even) are apart, and each pass's, so that each path's
// first scans are first.
func benchCycle(policy domain.Policy, programme string, n int) string {
	switch policy.CycleKind(programme) {
	case domain.CycleQuarterly:
		return fmt.Sprintf("%d-Q%d", 2031+(n-1)/4, 1+(n-1)%4)
	case domain.CycleOneOff:
		return fmt.Sprintf("bench-scan-%d", n)
	}
	return fmt.Sprintf("%d-%02d", 2031+(n-1)/12, 1+(n-1)%12)
}

// benchScans measures the scan API and card_qr distributions from Kafka
// side by side on the registry's card holders.
func benchScans(ctx context.Context, o benchOptions, cfg app.Config, holders []benchmarks.Holder, cardsIssued int, pool *pgxpool.Pool,
	rdb *redis.Client, log *slog.Logger, out io.Writer) (*benchmarks.ScanResult, error) {
	res := &benchmarks.ScanResult{Cards: cardsIssued}
	policy, err := cfg.Policy()
	if err != nil {
		return nil, err
	}
	// One programme per person: a second would be a first scan of the
	// same card, and the mix would not be the one planned.
	seen := map[string]bool{}
	holders = slices.DeleteFunc(holders, func(h benchmarks.Holder) bool {
		dup := seen[h.PersonID]
		seen[h.PersonID] = true
		return dup
	})
	rng := rand.New(rand.NewPCG(uint64(o.seed), 7))
	rng.Shuffle(len(holders), func(i, j int) { holders[i], holders[j] = holders[j], holders[i] })
	n, rate, passes := o.scans, o.scanRate, max(1, o.scanPasses)
	// Each pass scans the same first holders, for cycles of its own, and
	// revokes cards of holders of its own, after them.
	revokedFrom := func(pass int) int { return n + 1 + pass*(n/20+1) }
	if revokedFrom(passes) > len(holders) {
		return nil, fmt.Errorf("%d card holders are too few for %d scans; load more persons or scan less", len(holders), n)
	}
	st := postgres.NewStore(pool)
	keys := cfg.CardKeyring()
	foreign := cards.DerivedKeyring("a key ekjon does not hold")
	ix := redisindex.New(rdb, domain.NewPseudonymizer([]byte(cfg.HMACSecret)), cfg.IndexConfig(policy))

	// Distributors enough that none scans more than V-1 times a minute,
	// each with a bearer token, allowed every programme and area.
	t := time.Now()
	v := max(2, cfg.Rules.DistributorVelocity)
	res.Distributors = o.scanDistributors
	if res.Distributors == 0 {
		res.Distributors = int(rate*60)/(v-1) + 1
	}
	tokens, err := benchDistributors(ctx, st, res.Distributors)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "  scans: %d card holders; created %d distributors in %s\n", len(holders), res.Distributors,
		time.Since(t).Round(time.Millisecond))

	bp, err := startBrokerProc(ctx, o.brokerBin, o.partitions)
	if err != nil {
		return nil, err
	}
	defer bp.stop()
	cfg.Kafka.Brokers, cfg.Kafka.Group = []string{bp.addr}, "bench-scans"
	tr := newTracker()
	a, err := app.New(ctx, cfg, log, func(outs []domain.Outcome) { tr.observe(outs, time.Now()) })
	if err != nil {
		return nil, err
	}
	defer a.Close()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	appDone := make(chan error, 1)
	go func() { appDone <- a.Run(runCtx) }()
	if err := waitHTTP(ctx, "http://"+a.HTTPAddr+"/healthz"); err != nil {
		return nil, err
	}

	for pass := range passes {
		plan := planScans(n, rate, revokedFrom(pass), rng)
		// Revoke the cards the mix scans as revoked, through the record,
		// and map the change as the card indexer does.
		var revoked []domain.Card
		for _, p := range plan {
			if p.kind != scanRevoked {
				continue
			}
			c, err := st.RevokeCard(ctx, holders[p.holder].PersonID, "bench", "reported lost")
			if err != nil {
				return nil, fmt.Errorf("revoke: %w", err)
			}
			revoked = append(revoked, c)
		}
		if err := ix.MapCards(ctx, revoked); err != nil {
			return nil, err
		}
		if err := st.MarkCardsIndexed(ctx, revoked); err != nil {
			return nil, err
		}
		stopProfile := func() {}
		if pass == 0 {
			if stopProfile, err = cpuProfile(o.cpuProf); err != nil {
				return nil, err
			}
		}
		before, _, _ := stageSums(a.Registry)
		cpu := benchmarks.ReadCPU(ctx, rdb)
		apiPath, err := scanAPI(ctx, "http://"+a.HTTPAddr, policy, pass, plan, holders, tokens, keys, foreign, rate)
		if err != nil {
			return nil, err
		}
		stopProfile()
		res.Paths = append(res.Paths, apiPath)
		fmt.Fprintf(out, "  scans: %s: %s\n", apiPath.Name, pathLine(apiPath))
		fmt.Fprintf(out, "  scans: %s, %s\n", apiPath.Name, cpuPerScan(benchmarks.ReadCPU(ctx, rdb).Sub(cpu), n))
		fmt.Fprintf(out, "  scans: %s, per group: %s\n", apiPath.Name, stageTimesSince(a.Registry, before))
		before, _, _ = stageSums(a.Registry)
		cpu = benchmarks.ReadCPU(ctx, rdb)

		kafkaPath, err := scanKafka(ctx, bp.addr, cfg, policy, pool, pass, plan, holders, keys, foreign, rate, tr, appDone)
		if err != nil {
			return nil, err
		}
		res.Paths = append(res.Paths, kafkaPath)
		fmt.Fprintf(out, "  scans: %s: %s\n", kafkaPath.Name, pathLine(kafkaPath))
		fmt.Fprintf(out, "  scans: %s, %s\n", kafkaPath.Name, cpuPerScan(benchmarks.ReadCPU(ctx, rdb).Sub(cpu), n))
		fmt.Fprintf(out, "  scans: %s, per batch: %s\n", kafkaPath.Name, stageTimesSince(a.Registry, before))
	}
	stop()
	<-appDone
	return res, nil
}

// cpuPerScan is the CPU time a path spent per scan: this process (ekjon,
// and the load generator that feeds it), the bench's Redis, and every
// PostgreSQL process of the host, which other work shares.
func cpuPerScan(c benchmarks.CPU, scans int) string {
	ms := func(d time.Duration) float64 { return d.Seconds() * 1000 / float64(max(scans, 1)) }
	return fmt.Sprintf("CPU per scan: this process %.2f ms, Redis %.2f ms, PostgreSQL (every postgres process on the host) %.2f ms",
		ms(c.Process), ms(c.Redis), ms(c.Postgres))
}

func pathLine(p benchmarks.ScanPath) string {
	return fmt.Sprintf("offered %.0f/s, achieved %.0f/s, %d scans, latency p50 %.1f ms p95 %.1f ms p99 %.1f ms max %.1f ms; %d unexpected, %d failed; load %s → %s",
		p.Offered, p.Achieved, p.Latency.N, p.Latency.P50, p.Latency.P95, p.Latency.P99, p.Latency.Max, p.Unexpected, p.Failed, p.LoadBefore, p.LoadAfter)
}

// benchDistributors creates n distributor users, each with a bearer token
// and a scope of every programme and area, and returns the tokens.
func benchDistributors(ctx context.Context, st *postgres.Store, n int) ([]string, error) {
	actor := review.Actor{Username: "bench", Role: review.RoleAdmin}
	tokens := make([]string, n)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				name := fmt.Sprintf("bench-dist-%d", i)
				if err := st.CreateUser(ctx, review.User{Username: name, Role: review.RoleDistributor}, actor); err != nil {
					errs <- err
					return
				}
				tok, hash := api.NewToken(api.TokenPrefix)
				if err := st.CreateToken(ctx, review.APIToken{Hash: hash, Username: name, Label: "bench", ID: api.TokenID(tok)}, actor); err != nil {
					errs <- err
					return
				}
				if err := st.SetDistributorScope(ctx, name, domain.DistributorScope{Programmes: []string{"*"}, Areas: []string{"*"}}); err != nil {
					errs <- err
					return
				}
				tokens[i] = tok
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, fmt.Errorf("distributors: %w", err)
	}
	return tokens, nil
}

func waitHTTP(ctx context.Context, url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ekjon did not serve HTTP within 30 s: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// scanAPI sends the planned scans to the scan API at rate, open loop: scan
// i is due at start + i/rate and sent then whatever became of the earlier
// ones, and its latency runs from when it was due.
func scanAPI(ctx context.Context, base string, policy domain.Policy, pass int, plan []scanPlan, holders []benchmarks.Holder,
	tokens []string, keys, foreign *cards.Keyring, rate float64) (benchmarks.ScanPath, error) {
	p := benchmarks.ScanPath{Name: fmt.Sprintf("scan API (HTTP), pass %d", pass+1), Offered: rate, Outcomes: map[string]int{}, Expected: map[string]int{}}
	type req struct {
		body  []byte
		token string
	}
	reqs := make([]req, len(plan))
	for i, sp := range plan {
		h := holders[sp.holder]
		d := i % len(tokens)
		b, err := json.Marshal(api.ScanRequest{ScanID: fmt.Sprintf("s%d-%d", pass, i), QR: scanQR(sp, h, keys, foreign), Programme: h.Programme,
			Cycle: benchCycle(policy, h.Programme, 2*pass+1), DeviceID: "dev-" + strconv.Itoa(d),
			Location: &domain.Location{District: h.District, Upazila: h.Upazila}})
		if err != nil {
			return p, err
		}
		reqs[i] = req{b, tokens[d]}
		p.Expected[sp.kind.String()]++
	}
	// A scan that has waited ten minutes is counted as failed, apart
	// from the latencies.
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024}, Timeout: 10 * time.Minute}
	lat := make([]time.Duration, len(plan))
	got := make([]domain.Decision, len(plan))
	errs := make([]error, len(plan))
	var wg sync.WaitGroup
	p.LoadBefore = benchmarks.LoadAverage()
	start := time.Now()
	for i := range reqs {
		due := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			select {
			case <-ctx.Done():
				return p, ctx.Err()
			case <-time.After(d):
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/scans", bytes.NewReader(reqs[i].body))
			r.Header.Set("Authorization", "Bearer "+reqs[i].token)
			r.Header.Set("Content-Type", "application/json")
			res, err := client.Do(r)
			if err != nil {
				errs[i] = err
				return
			}
			var sr api.ScanResponse
			if res.StatusCode != http.StatusOK {
				errs[i] = fmt.Errorf("HTTP %d", res.StatusCode)
			} else {
				errs[i] = json.NewDecoder(res.Body).Decode(&sr)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			lat[i], got[i] = time.Since(due), sr.Decision
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	p.LoadAfter = benchmarks.LoadAverage()
	var ls benchmarks.Latencies
	for i, sp := range plan {
		if errs[i] != nil {
			p.Failed++
			continue
		}
		ls.Add(lat[i].Seconds())
		p.Outcomes[outcomeKey(got[i].Action, got[i].Rules)]++
		if !sp.kind.expected(got[i].Action, got[i].Rules) {
			p.Unexpected++
		}
	}
	p.Latency, p.Achieved = ls.Quantiles(), float64(len(plan))/elapsed.Seconds()
	return p, nil
}

func outcomeKey(a domain.Action, rules []string) string {
	if len(rules) == 0 {
		return string(a)
	}
	return string(a) + " " + strings.Join(rules, "+")
}

// scanKafka produces the plan as distribution events naming card_qr, for
// the second cycle, at rate to the broker the running ekjon consumes, and
// measures them from Kafka timestamp to durable decision.
func scanKafka(ctx context.Context, broker string, cfg app.Config, policy domain.Policy, pool *pgxpool.Pool, pass int, plan []scanPlan,
	holders []benchmarks.Holder, keys, foreign *cards.Keyring, rate float64, tr *tracker, appDone chan error) (benchmarks.ScanPath, error) {
	p := benchmarks.ScanPath{Name: fmt.Sprintf("card_qr events (Kafka), pass %d", pass+1), Offered: rate, Outcomes: map[string]int{}, Expected: map[string]int{}}
	recs := make([]synth.Record, len(plan))
	ids := make([]string, len(plan))
	now := time.Now().UTC()
	for i, sp := range plan {
		h := holders[sp.holder]
		d := i % max(1, int(rate*60)/5)
		// Occurring when it is due to be sent, as a distributor's device
		// would stamp it, so that the velocity rule sees the pace it
		// sees through the API.
		at := now.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		e := domain.Event{EventID: fmt.Sprintf("bench-scan-%d-%d", pass, i), Type: domain.TypeDistribution, OccurredAt: at.Format(time.RFC3339Nano),
			Source: "bench", Programme: h.Programme, Cycle: benchCycle(policy, h.Programme, 2*pass+2), CardQR: scanQR(sp, h, keys, foreign),
			Channel: "card", DistributorID: "kafka-dist-" + strconv.Itoa(d), DeviceID: "kafka-dev-" + strconv.Itoa(d),
			Location: &domain.Location{District: h.District, Upazila: h.Upazila}}
		if ent, ok := policy.EntitlementOf(h.Programme); ok {
			e.Amount = ent.Amount
		}
		b, err := json.Marshal(&e)
		if err != nil {
			return p, err
		}
		recs[i] = synth.Record{Type: domain.TypeDistribution, EventID: e.EventID, Key: []byte(e.EventID), Value: b}
		ids[i] = e.EventID
		p.Expected[sp.kind.String()]++
	}
	tr.reset()
	p.LoadBefore = benchmarks.LoadAverage()
	start := time.Now()
	if err := produce(ctx, broker, cfg.Kafka.Topics, recs, rate); err != nil {
		return p, fmt.Errorf("produce: %w", err)
	}
	if err := tr.wait(ctx, int64(len(recs)), appDone); err != nil {
		return p, err
	}
	p.LoadAfter = benchmarks.LoadAverage()
	p.Achieved = float64(len(recs)) / time.Duration(tr.lastAt.Load()-start.UnixNano()).Seconds()
	p.Latency = tr.lat.Quantiles()
	rows, err := pool.Query(ctx, `SELECT event_id, action, rules FROM decisions WHERE event_id = ANY($1)`, ids)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	index := make(map[string]int, len(ids))
	for i, id := range ids {
		index[id] = i
	}
	found := 0
	for rows.Next() {
		var id, action string
		var rules []string
		if err := rows.Scan(&id, &action, &rules); err != nil {
			return p, err
		}
		found++
		p.Outcomes[outcomeKey(domain.Action(action), rules)]++
		if !plan[index[id]].kind.expected(domain.Action(action), rules) {
			p.Unexpected++
		}
	}
	if err := rows.Err(); err != nil {
		return p, err
	}
	p.Unexpected += len(ids) - found
	return p, nil
}
