package postgres

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ekjon/ekjon/domain"
)

// allocationRows holds a batch's admitted allocations as columns, and the
// beneficiaries they list.
type allocationRows struct {
	id, prog, cycle, dist, division, district, upazila, union []string
	allotted                                                  []int64
	listed                                                    []bool
	amount                                                    []float64
	items                                                     []string
	closes                                                    []pgtype.Timestamptz
	at                                                        []time.Time
	ben                                                       struct{ id, prog, cycle, dist, ref []string }
}

func (r *allocationRows) add(e *domain.Event) {
	var a domain.Area
	if e.Area != nil {
		// Places are stored by BBS code where the gazetteer knows them,
		// an unknown one as given.
		a = domain.Places().PlaceArea(*e.Area).Area
	}
	var closes time.Time
	if e.ClosesAt != "" {
		closes, _ = time.Parse(time.RFC3339, e.ClosesAt) // validated
	}
	r.id = append(r.id, e.EventID)
	r.prog = append(r.prog, e.Programme)
	r.cycle = append(r.cycle, e.Cycle)
	r.dist = append(r.dist, e.DistributorID)
	r.division = append(r.division, a.Division)
	r.district = append(r.district, a.District)
	r.upazila = append(r.upazila, a.Upazila)
	r.union = append(r.union, a.Union)
	r.allotted = append(r.allotted, e.Allotted())
	r.listed = append(r.listed, len(e.Beneficiaries) > 0)
	r.amount = append(r.amount, e.Amount)
	r.items = append(r.items, itemsText(e.Items))
	r.closes = append(r.closes, ts(closes))
	r.at = append(r.at, e.Occurred)
	for _, ref := range e.Beneficiaries {
		r.ben.id = append(r.ben.id, e.EventID)
		r.ben.prog = append(r.ben.prog, e.Programme)
		r.ben.cycle = append(r.ben.cycle, e.Cycle)
		r.ben.dist = append(r.ben.dist, e.DistributorID)
		r.ben.ref = append(r.ben.ref, ref)
	}
}

func (r *allocationRows) queue(pb *pgx.Batch) {
	if len(r.id) == 0 {
		return
	}
	pb.Queue(`INSERT INTO allocations (event_id, programme, cycle, distributor_id, division, district, upazila,
			union_name, allotted, listed, amount, items, closes_at, occurred_at)
		SELECT id, prog, cycle, dist, division, district, upazila, uni, allotted, listed, amount,
			NULLIF(items, '')::jsonb, closes, at
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::text[], $9::int8[], $10::boolean[], $11::float8[], $12::text[], $13::timestamptz[], $14::timestamptz[])
			AS t(id, prog, cycle, dist, division, district, upazila, uni, allotted, listed, amount, items, closes, at)
		ON CONFLICT (event_id) DO NOTHING`,
		r.id, r.prog, r.cycle, r.dist, r.division, r.district, r.upazila, r.union, r.allotted, r.listed,
		r.amount, r.items, r.closes, r.at)
	if b := r.ben; len(b.id) > 0 {
		pb.Queue(`INSERT INTO allocation_beneficiaries (event_id, programme, cycle, distributor_id, ref)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
			ON CONFLICT DO NOTHING`, b.id, b.prog, b.cycle, b.dist, b.ref)
	}
}

// ReconcileFilter narrows the reconciliation; see domain.ReconcileFilter.
type ReconcileFilter = domain.ReconcileFilter

// phantomPayments selects the admitted hand-outs of a cycle under
// allocation that no allocation covers: by a distributor allotted nothing
// by count in the programme's cycle, to a person no beneficiary ref the
// distributor was allotted names. Aliased y, from payments.
const phantomPayments = `y.action = 'ADMIT' AND y.distributor_id <> ''
	AND EXISTS (SELECT 1 FROM allocations a WHERE a.programme = y.programme AND a.cycle = y.cycle)
	AND NOT EXISTS (SELECT 1 FROM allocations a WHERE a.programme = y.programme AND a.cycle = y.cycle
		AND a.distributor_id = y.distributor_id AND NOT a.listed)
	AND NOT EXISTS (SELECT 1 FROM enrolments e JOIN allocation_beneficiaries ab
			ON ab.programme = e.programme AND ab.ref = e.beneficiary_ref
		WHERE e.person_id = y.person_id AND e.programme = y.programme AND e.beneficiary_ref <> ''
			AND ab.cycle = y.cycle AND ab.distributor_id = y.distributor_id)`

// Reconcile returns, per programme, cycle and distributor, what was
// allotted and what was handed out, for the cycles that allocations speak
// of; blocked attempts are counted by the first rule of their decision.
// Amounts allotted without an amount of their own are priced at
// entitlement(programme). grace is how long after its period a monthly
// or quarterly cycle closes (domain.CycleCloses); now settles each row.
// Rows come sorted by programme, cycle, district, area and distributor.
// Each row's areas are read by the process's gazetteer (domain.Places),
// and f's district, in any spelling, matches the district of a row's
// first area.
func (s *Store) Reconcile(ctx context.Context, f ReconcileFilter, policy domain.Policy, grace time.Duration, now time.Time) ([]domain.Reconciliation, error) {
	const op = "postgres: reconcile"
	q := `WITH keys AS (
		SELECT DISTINCT programme, cycle FROM allocations
		WHERE ($1 = '' OR programme = $1) AND ($2 = '' OR cycle = $2)
			AND ($4::text[] IS NULL OR programme = ANY($4))
	), alloc AS (
		SELECT programme, cycle, distributor_id,
			COALESCE(sum(allotted) FILTER (WHERE NOT listed), 0) AS counted,
			COALESCE(sum(allotted * amount), 0)::float8 AS priced,
			COALESCE(sum(allotted) FILTER (WHERE amount = 0), 0) AS unpriced,
			COALESCE(sum(allotted) FILTER (WHERE items IS NULL), 0) AS itemless,
			max(closes_at) AS closes_at, min(event_id) AS first
		FROM allocations GROUP BY programme, cycle, distributor_id
	), areas AS (
		SELECT programme, cycle, distributor_id,
			jsonb_agg(jsonb_build_object('division', division, 'district', district, 'upazila', upazila, 'union', union_name,
					'allotted', allotted)
				ORDER BY first_at, district, upazila, union_name, division) AS areas
		FROM (SELECT programme, cycle, distributor_id, division, district, upazila, union_name, min(occurred_at) AS first_at,
				sum(allotted) AS allotted
			FROM allocations JOIN keys USING (programme, cycle) GROUP BY 1, 2, 3, 4, 5, 6, 7) x
		GROUP BY programme, cycle, distributor_id
	), located AS (
		SELECT programme, cycle, distributor_id,
			jsonb_agg(jsonb_build_object('district', district, 'upazila', upazila, 'union', union_name, 'n', n)) AS places
		FROM (SELECT y.programme, y.cycle, y.distributor_id, y.district, y.upazila, y.union_name, count(*) AS n
			FROM payments y JOIN keys USING (programme, cycle)
			WHERE y.distributor_id <> '' AND y.action = 'ADMIT' GROUP BY 1, 2, 3, 4, 5, 6) x
		GROUP BY programme, cycle, distributor_id
	), alloc_items AS (
		SELECT programme, cycle, distributor_id, jsonb_object_agg(item, q) AS items FROM (
			SELECT a.programme, a.cycle, a.distributor_id, i.key AS item, sum(a.allotted * i.value::float8) AS q
			FROM allocations a JOIN keys USING (programme, cycle) CROSS JOIN LATERAL jsonb_each_text(a.items) i
			GROUP BY 1, 2, 3, 4) x
		GROUP BY programme, cycle, distributor_id
	), listed AS (
		SELECT programme, cycle, distributor_id, count(DISTINCT ref) AS n
		FROM allocation_beneficiaries GROUP BY programme, cycle, distributor_id
	), paid AS (
		SELECT y.programme, y.cycle, y.distributor_id,
			count(*) FILTER (WHERE y.action = 'ADMIT') AS n,
			COALESCE(sum(y.amount) FILTER (WHERE y.action = 'ADMIT'), 0)::float8 AS amount,
			count(*) FILTER (WHERE y.action = 'ADMIT' AND y.items IS NULL) AS itemless
		FROM payments y JOIN keys USING (programme, cycle)
		WHERE y.distributor_id <> ''
		GROUP BY y.programme, y.cycle, y.distributor_id
	), paid_items AS (
		SELECT programme, cycle, distributor_id, jsonb_object_agg(item, q) AS items FROM (
			SELECT y.programme, y.cycle, y.distributor_id, i.key AS item, sum(i.value::float8) AS q
			FROM payments y JOIN keys USING (programme, cycle) CROSS JOIN LATERAL jsonb_each_text(y.items) i
			WHERE y.distributor_id <> '' AND y.action = 'ADMIT' GROUP BY 1, 2, 3, 4) x
		GROUP BY programme, cycle, distributor_id
	), phantom AS (
		SELECT y.programme, y.cycle, y.distributor_id, count(*) AS n
		FROM payments y JOIN keys USING (programme, cycle)
		WHERE ` + phantomPayments + `
		GROUP BY y.programme, y.cycle, y.distributor_id
	), blocked AS (
		SELECT programme, cycle, distributor_id, jsonb_object_agg(rule, n) AS rules FROM (
			SELECT y.programme, y.cycle, y.distributor_id, COALESCE(d.rules[1], 'none') AS rule, count(*) AS n
			FROM payments y JOIN keys USING (programme, cycle) JOIN decisions d USING (event_id)
			WHERE y.distributor_id <> '' AND y.action <> 'ADMIT'
			GROUP BY 1, 2, 3, 4) b
		GROUP BY programme, cycle, distributor_id
	)
	SELECT k.programme, k.cycle, g.distributor_id, ar.areas,
		COALESCE(a.counted, 0) + COALESCE(l.n, 0), COALESCE(a.priced, 0), COALESCE(a.unpriced, 0),
		COALESCE(p.n, 0), COALESCE(p.amount, 0), COALESCE(ph.n, 0), b.rules, a.closes_at, COALESCE(a.first, ''),
		COALESCE(a.itemless, 0), ai.items, COALESCE(p.itemless, 0), pi.items, lo.places
	FROM keys k
	JOIN (SELECT programme, cycle, distributor_id FROM alloc
		UNION SELECT programme, cycle, distributor_id FROM paid
		UNION SELECT programme, cycle, distributor_id FROM blocked) g USING (programme, cycle)
	LEFT JOIN alloc a USING (programme, cycle, distributor_id)
	LEFT JOIN areas ar USING (programme, cycle, distributor_id)
	LEFT JOIN listed l USING (programme, cycle, distributor_id)
	LEFT JOIN paid p USING (programme, cycle, distributor_id)
	LEFT JOIN phantom ph USING (programme, cycle, distributor_id)
	LEFT JOIN blocked b USING (programme, cycle, distributor_id)
	LEFT JOIN alloc_items ai USING (programme, cycle, distributor_id)
	LEFT JOIN paid_items pi USING (programme, cycle, distributor_id)
	LEFT JOIN located lo USING (programme, cycle, distributor_id)
	WHERE ($3 = '' OR g.distributor_id = $3)`
	rows, err := s.pool.Query(ctx, q, f.Programme, f.Cycle, f.Distributor, f.Programmes)
	if err != nil {
		return nil, classify(op, err)
	}
	defer rows.Close()
	places := domain.Places()
	district := ""
	if d := strings.TrimSpace(f.District); d != "" {
		district = places.PlaceArea(domain.Area{District: d}).Key
	}
	var out []domain.Reconciliation
	for rows.Next() {
		var (
			r     domain.Reconciliation
			areas []struct {
				domain.Area
				Allotted int64 `json:"allotted"`
			}
			located  []domain.LocatedCount
			priced   float64
			unpriced int64
			blocked  map[string]int64
			closes   pgtype.Timestamptz
			// Allotted and handed out without items of their own.
			allotBare, paidBare int64
		)
		if err := rows.Scan(&r.Programme, &r.Cycle, &r.DistributorID, &areas, &r.Allocated,
			&priced, &unpriced, &r.Distributed, &r.DistributedAmount, &r.Phantom, &blocked, &closes,
			&r.AllocationID, &allotBare, &r.AllocatedItems, &paidBare, &r.DistributedItems, &located); err != nil {
			return nil, classify(op, err)
		}
		// Areas are read by the gazetteer: rows stored before places
		// were stored by code, and one area written several ways, name
		// one place by one name.
		given, allotted := make([]domain.Area, len(areas)), make([]int64, len(areas))
		for i, a := range areas {
			given[i], allotted[i] = a.Area, a.Allotted
		}
		places.SettleAreas(&r, given)
		places.SplitByArea(&r, given, allotted, located)
		if district != "" && places.PlaceArea(domain.Area{District: r.District}).Key != district {
			continue
		}
		ent, _ := policy.EntitlementOf(r.Programme)
		r.AllocatedAmount = priced + float64(unpriced)*ent.Amount
		r.AllocatedItems = addItems(r.AllocatedItems, ent.Items, allotBare)
		r.DistributedItems = addItems(r.DistributedItems, ent.Items, paidBare)
		r.Blocked = blocked
		if r.Blocked == nil {
			r.Blocked = map[string]int64{}
		}
		if r.AllocationID != "" {
			r.ClosesAt, _ = domain.CycleCloses(policy.CycleKind(r.Programme), r.Cycle, closes.Time, grace)
		}
		r.Settle(now)
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b domain.Reconciliation) int {
		return cmp.Or(cmp.Compare(a.Programme, b.Programme), cmp.Compare(a.Cycle, b.Cycle),
			cmp.Compare(a.DistrictName, b.DistrictName), cmp.Compare(a.Area, b.Area), cmp.Compare(a.DistributorID, b.DistributorID))
	})
	return out, classify(op, rows.Err())
}

// addItems adds n times the entitlement's items to items; nil when both
// are empty.
func addItems(items, entitlement map[string]float64, n int64) map[string]float64 {
	if n > 0 {
		for k, q := range entitlement {
			if items == nil {
				items = map[string]float64{}
			}
			items[k] += q * float64(n)
		}
	}
	return items
}

// PhantomDistribution is an admitted hand-out no allocation covers.
type PhantomDistribution struct {
	EventID, Programme, Cycle, DistributorID, PersonID, District string
	Amount                                                       float64
}

// PhantomDistributions returns the admitted hand-outs of cycles under
// allocation that no allocation covers and that carry no
// PHANTOM_DISTRIBUTION alert yet, at most limit of them.
func (s *Store) PhantomDistributions(ctx context.Context, limit int) ([]PhantomDistribution, error) {
	const op = "postgres: phantom distributions"
	rows, err := s.pool.Query(ctx, `SELECT y.event_id, y.programme, y.cycle, y.distributor_id, y.person_id,
			y.district, y.amount::float8
		FROM payments y
		WHERE `+phantomPayments+`
			AND NOT EXISTS (SELECT 1 FROM alerts al WHERE al.event_id = y.event_id AND al.rule = $1)
		ORDER BY y.paid_at, y.event_id LIMIT $2`, domain.RulePhantomDistribution, limit)
	if err != nil {
		return nil, classify(op, err)
	}
	defer rows.Close()
	var out []PhantomDistribution
	for rows.Next() {
		var p PhantomDistribution
		if err := rows.Scan(&p.EventID, &p.Programme, &p.Cycle, &p.DistributorID, &p.PersonID, &p.District, &p.Amount); err != nil {
			return nil, classify(op, err)
		}
		out = append(out, p)
	}
	return out, classify(op, rows.Err())
}

// RaiseAlerts records alerts raised outside a batch (by the
// reconciliation), each once: an alert whose id is on record already is
// left as it is. Each alert it records goes to the outbox with it, for
// the relay to publish once. It returns the alerts it recorded.
func (s *Store) RaiseAlerts(ctx context.Context, alerts []domain.Alert) ([]domain.Alert, error) {
	if len(alerts) == 0 {
		return nil, nil
	}
	var b batchRows
	for i := range alerts {
		b.addEffects(&domain.Outcome{Alerts: alerts[i : i+1], Decision: domain.Decision{Action: domain.ActionRejected}})
	}
	a := b.alert
	rows, err := s.pool.Query(ctx, outboxAlerts+" RETURNING alerts->0->>'alert_id'", a.id, a.event, a.rule, a.action, a.prog,
		a.district, a.person, a.matched, a.score, a.expl, a.at, a.evidence, a.caseID, a.joins, a.js)
	if err != nil {
		return nil, classify("postgres: raise alerts", err)
	}
	defer rows.Close()
	raised := make(map[string]bool)
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, classify("postgres: raise alerts", err)
		}
		raised[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, classify("postgres: raise alerts", err)
	}
	var out []domain.Alert
	for _, al := range alerts {
		if raised[al.AlertID] {
			out = append(out, al)
		}
	}
	return out, nil
}

// HomeUpazilas returns the upazila each of persons is enrolled in (their
// latest enrolment that is a claim), for DISTRIBUTOR_FAR; a person
// without one is left out.
func (s *Store) HomeUpazilas(ctx context.Context, persons []string) (map[string]string, error) {
	out := make(map[string]string, len(persons))
	if len(persons) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT ON (person_id) person_id, COALESCE(record->'address'->>'upazila', '')
		FROM enrolments WHERE person_id = ANY($1) AND status <> ALL($2)
		ORDER BY person_id, enrolled_at DESC, event_id DESC`, persons, domain.NeverClaims())
	if err != nil {
		return nil, classify("postgres: home upazilas", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, upazila string
		if err := rows.Scan(&id, &upazila); err != nil {
			return nil, classify("postgres: home upazilas", err)
		}
		if upazila != "" {
			out[id] = upazila
		}
	}
	return out, classify("postgres: home upazilas", rows.Err())
}

// Scorecard is one distributor's record; see domain.Scorecard.
type Scorecard = domain.Scorecard

// Scorecards returns each distributor's admitted payments, the items
// they handed out (a hand-out naming none counted at its programme's
// entitlement in policy), attempts blocked by rule and alerts by rule (on
// their hand-outs and on their allocations), most payments first.
func (s *Store) Scorecards(ctx context.Context, f ReconcileFilter, policy domain.Policy) ([]Scorecard, error) {
	const op = "postgres: scorecards"
	rows, err := s.pool.Query(ctx, `WITH y AS (
			SELECT * FROM payments WHERE distributor_id <> ''
				AND ($1 = '' OR programme = $1) AND ($2 = '' OR cycle = $2) AND ($3 = '' OR distributor_id = $3)
				AND ($4::text[] IS NULL OR programme = ANY($4))
		), totals AS (
			SELECT distributor_id, count(*) FILTER (WHERE action = 'ADMIT') AS n,
				COALESCE(sum(amount) FILTER (WHERE action = 'ADMIT'), 0)::float8 AS amount,
				count(DISTINCT NULLIF(device_id, '')) AS devices
			FROM y GROUP BY distributor_id
		), blocked AS (
			SELECT distributor_id, jsonb_object_agg(rule, n) AS rules FROM (
				SELECT y.distributor_id, COALESCE(d.rules[1], 'none') AS rule, count(*) AS n
				FROM y JOIN decisions d USING (event_id) WHERE y.action <> 'ADMIT' GROUP BY 1, 2) b
			GROUP BY distributor_id
		), handed AS (
			SELECT distributor_id, jsonb_object_agg(item, q) AS items FROM (
				SELECT y.distributor_id, i.key AS item, sum(i.value::float8) AS q
				FROM y CROSS JOIN LATERAL jsonb_each_text(y.items) i
				WHERE y.action = 'ADMIT' GROUP BY 1, 2) x
			GROUP BY distributor_id
		), bare AS (
			SELECT distributor_id, jsonb_object_agg(programme, n) AS n FROM (
				SELECT distributor_id, programme, count(*) AS n FROM y
				WHERE action = 'ADMIT' AND items IS NULL GROUP BY 1, 2) x
			GROUP BY distributor_id
		), raised AS (
			SELECT distributor_id, jsonb_object_agg(rule, n) AS rules FROM (
				SELECT distributor_id, rule, count(*) AS n FROM (
					SELECT y.distributor_id, al.rule FROM y JOIN alerts al USING (event_id)
					UNION ALL
					SELECT a.distributor_id, al.rule FROM allocations a JOIN alerts al USING (event_id)
					WHERE ($1 = '' OR a.programme = $1) AND ($2 = '' OR a.cycle = $2) AND ($3 = '' OR a.distributor_id = $3)
						AND ($4::text[] IS NULL OR a.programme = ANY($4))
				) u GROUP BY 1, 2) r
			GROUP BY distributor_id
		)
		SELECT t.distributor_id, t.n, t.amount, t.devices, b.rules, r.rules, h.items, bare.n
		FROM totals t LEFT JOIN blocked b USING (distributor_id) LEFT JOIN raised r USING (distributor_id)
			LEFT JOIN handed h USING (distributor_id) LEFT JOIN bare USING (distributor_id)
		ORDER BY t.n DESC, t.distributor_id`, f.Programme, f.Cycle, f.Distributor, f.Programmes)
	if err != nil {
		return nil, classify(op, err)
	}
	defer rows.Close()
	var out []Scorecard
	for rows.Next() {
		var c Scorecard
		var bare map[string]int64
		if err := rows.Scan(&c.DistributorID, &c.Payments, &c.Amount, &c.Devices, &c.Blocked, &c.Alerts, &c.Items, &bare); err != nil {
			return nil, classify(op, err)
		}
		for prog, n := range bare {
			ent, _ := policy.EntitlementOf(prog)
			c.Items = addItems(c.Items, ent.Items, n)
		}
		if c.Blocked == nil {
			c.Blocked = map[string]int64{}
		}
		if c.Alerts == nil {
			c.Alerts = map[string]int64{}
		}
		out = append(out, c)
	}
	return out, classify(op, rows.Err())
}

// phantomBatch bounds the phantom hand-outs one reconciliation raises
// alerts on; the next run takes the rest.
const phantomBatch = 5000

// RaiseReconciliationAlerts raises the alerts the reconciliation calls for
// at now (domain.ReconciliationAlerts, and PHANTOM_DISTRIBUTION on each
// admitted hand-out no allocation covers), each once however often and by
// however many processes it runs, and returns those it raised this time.
func (s *Store) RaiseReconciliationAlerts(ctx context.Context, policy domain.Policy, grace time.Duration, now time.Time) ([]domain.Alert, error) {
	rows, err := s.Reconcile(ctx, ReconcileFilter{}, policy, grace, now)
	if err != nil {
		return nil, err
	}
	var alerts []domain.Alert
	for _, r := range rows {
		alerts = append(alerts, domain.ReconciliationAlerts(r, now)...)
	}
	phantoms, err := s.PhantomDistributions(ctx, phantomBatch)
	if err != nil {
		return nil, err
	}
	for _, p := range phantoms {
		alerts = append(alerts, domain.Alert{
			AlertID: domain.AlertID(p.EventID, domain.RulePhantomDistribution), EventID: p.EventID,
			Rule: domain.RulePhantomDistribution, Action: domain.ActionAdmit, Programme: p.Programme,
			PersonID: p.PersonID, District: p.District, CreatedAt: now,
			Evidence: map[string]string{
				"distributor_id": p.DistributorID,
				"cycle":          p.Cycle,
				"amount":         strconv.FormatFloat(p.Amount, 'f', 2, 64),
				"why":            "no allocation of this cycle to the distributor covers the beneficiary",
			},
		})
	}
	return s.RaiseAlerts(ctx, alerts)
}

// Reports serves the distribution report and the distributors'
// scorecards from the record, with the policy and cycle grace of the
// process (see the api package's DistributionReports).
type Reports struct {
	Store  *Store
	Policy domain.Policy
	Grace  time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// filterCycle writes f's cycle as the record does: in its programme's
// spelling, or, for no programme, the first kind that reads it (a month, a
// quarter, a one-off id). An error is of KindInvalid.
func (r Reports) filterCycle(f domain.ReconcileFilter) (domain.ReconcileFilter, error) {
	if f.Cycle == "" {
		return f, nil
	}
	kinds := []domain.CycleKind{domain.CycleMonthly, domain.CycleQuarterly, domain.CycleOneOff}
	if f.Programme != "" {
		kinds = []domain.CycleKind{r.Policy.CycleKind(f.Programme)}
	}
	var err error
	for _, k := range kinds {
		var c string
		if c, err = domain.NormalizeCycle(k, f.Cycle); err == nil {
			f.Cycle = c
			return f, nil
		}
	}
	return f, err
}

// Reconciliation returns the reconciliation rows f selects, settled now.
func (r Reports) Reconciliation(ctx context.Context, f domain.ReconcileFilter) ([]domain.Reconciliation, error) {
	f, err := r.filterCycle(f)
	if err != nil {
		return nil, err
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	return r.Store.Reconcile(ctx, f, r.Policy, r.Grace, now())
}

// Scorecards returns the distributors' scorecards f selects.
func (r Reports) Scorecards(ctx context.Context, f domain.ReconcileFilter) ([]domain.Scorecard, error) {
	f, err := r.filterCycle(f)
	if err != nil {
		return nil, err
	}
	return r.Store.Scorecards(ctx, f, r.Policy)
}
