// Package postgres is ekjon's system of record on PostgreSQL: decisions,
// persons, enrolments, payments, status changes and alerts. Every write is
// idempotent on event_id, so a redelivered batch changes nothing.
//
// The same Store keeps what the review needs and implements its
// interfaces: review.Store (alerts, cases, persons, judgements and the
// transaction of a review action), review.Users (users, tokens, sessions)
// and review.Outbox (the revised decisions review.Relay publishes). What
// a review action may change is the review package's policy to say, not
// this package's.
package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ekjon/ekjon/domain"
)

// Store reads and writes the record. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

// Open connects to the database at url (a libpq URL or DSN). It does not
// migrate; call Migrate.
func Open(ctx context.Context, url string, maxConns int32) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, domain.Wrap(domain.KindInvalid, "postgres: parse url", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, classify("postgres: connect", err)
	}
	return &Store{pool: pool}, nil
}

// Pool returns the connection pool, for the API's read models.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close closes the pool.
func (s *Store) Close() { s.pool.Close() }

// Analyze gathers the planner's statistics of the record's tables. A bulk
// load of millions of rows (a backfill) runs it when done: until
// autovacuum analyzes them, or where it is off, the tables' first queries
// would be planned as on empty tables, a sequential scan of a million
// enrolments for a few persons' homes.
func (s *Store) Analyze(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, "ANALYZE")
	return classify("postgres: analyze", err)
}

// Ping reports whether the database answers; readiness uses it.
func (s *Store) Ping(ctx context.Context) error { return classify("postgres: ping", s.pool.Ping(ctx)) }

// Migrate applies the embedded migrations; see the package function.
func (s *Store) Migrate(ctx context.Context) ([]string, error) { return Migrate(ctx, s.pool) }

const decisionColumns = `event_id, event_type, source, programme, action, rules, reason, score,
	explanation, person_id, matched_person_id, decided_at, config_version`

// Decisions returns the durable decisions among ids, keyed by event_id. The
// pipeline asks before deciding so that a redelivered event is not decided
// twice.
func (s *Store) Decisions(ctx context.Context, ids []string) (map[string]domain.Decision, error) {
	out := make(map[string]domain.Decision)
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, readDecisions, ids)
	if err != nil {
		return nil, classify("postgres: read decisions", err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDecision(rows)
		if err != nil {
			return nil, classify("postgres: read decisions", err)
		}
		out[d.EventID] = d
	}
	return out, classify("postgres: read decisions", rows.Err())
}

// readDecisions reads decisions by event id through decision_keys, which
// names the month each is recorded in, so that each id probes one
// partition of decisions rather than all of them.
const readDecisions = `SELECT ` + decisionColumnsOf + `, d.digest
FROM decision_keys k JOIN decisions d ON d.event_id = k.event_id AND d.recorded_at = k.recorded_at
WHERE k.event_id = ANY($1)`

// decisionColumnsOf are decisionColumns of the table aliased d.
const decisionColumnsOf = `d.event_id, d.event_type, d.source, d.programme, d.action, d.rules, d.reason, d.score,
	d.explanation, d.person_id, d.matched_person_id, d.decided_at, d.config_version`

func scanDecision(row pgx.Row) (domain.Decision, error) {
	var (
		d       domain.Decision
		score   pgtype.Float8
		expl    []byte
		person  pgtype.Text
		matched pgtype.Text
		evType  string
		action  string
		decided time.Time
		rules   []string
	)
	err := row.Scan(&d.EventID, &evType, &d.Source, &d.Programme, &action, &rules, &d.Reason,
		&score, &expl, &person, &matched, &decided, &d.ConfigVersion, &d.Digest)
	if err != nil {
		return d, err
	}
	d.EventType, d.Action, d.Rules, d.DecidedAt = domain.EventType(evType), domain.Action(action), rules, decided
	d.Score, d.PersonID, d.MatchedPerson = score.Float64, person.String, matched.String
	if len(expl) > 0 {
		if err := json.Unmarshal(expl, &d.Explanation); err != nil {
			return d, err
		}
	}
	return d, nil
}

// Write makes a batch of outcomes durable in one transaction: decisions,
// persons, enrolments, payments, status changes and alerts. Outcomes marked
// Redelivered are skipped; outs is not changed. An event whose decision
// another worker recorded first keeps that decision, and nothing else of
// this attempt at it is written (its alerts, its status change): Write
// returns such decisions as they are on record, by event id, so that the
// caller publishes what is on record.
//
// fence is the index generation the batch was decided against (see
// BeginRebuild); when it is not 0 and the index has been rebuilt since,
// nothing is written and the error wraps ErrStaleIndex, of KindTransient:
// the batch must be decided again against the rebuilt index. Errors are
// classified; KindTransient is worth retrying.
func (s *Store) Write(ctx context.Context, outs []domain.Outcome, fence int64) (map[string]domain.Decision, error) {
	return s.write(ctx, outs, fence, outboxing{})
}

// Outboxed is the record as a Recorder whose Write also puts each decision
// it records, and each alert it raises, in the outbox, in the same
// transaction: for decisions made on a caller's request (a distributor's
// scan), which are answered as soon as they are durable and reach the
// decisions and alerts topics through the outbox relay, so that a Kafka
// outage never holds up the answer, and a crash after the commit never
// loses the publication.
func (s *Store) Outboxed() *OutboxedRecorder {
	return &OutboxedRecorder{s, outboxing{decisions: true, alerts: true}}
}

// AlertsOutboxed is the record as a Recorder whose Write also puts each
// alert it raises in the outbox, in the same transaction: an alert is
// raised once, however often its event is delivered or decided, and so
// reaches the alerts topic once (through the relay), where a batch that
// published its own alerts would publish them again with every
// redelivery. Its batches' decisions are published by their processor.
func (s *Store) AlertsOutboxed() *OutboxedRecorder {
	return &OutboxedRecorder{s, outboxing{alerts: true}}
}

// OutboxedRecorder is the Recorder Outboxed and AlertsOutboxed return.
type OutboxedRecorder struct {
	*Store
	to outboxing
}

// outboxing says what a write puts in the outbox.
type outboxing struct{ decisions, alerts bool }

// Write is Store.Write, and writes each recorded decision, or alert, to
// the outbox.
func (r *OutboxedRecorder) Write(ctx context.Context, outs []domain.Outcome, fence int64) (map[string]domain.Decision, error) {
	return r.write(ctx, outs, fence, r.to)
}

func (s *Store) write(ctx context.Context, outs []domain.Outcome, fence int64, outbox outboxing) (map[string]domain.Decision, error) {
	b := batchRows{alertsOutboxed: outbox.alerts}
	for i := range outs {
		if !outs[i].Redelivered {
			b.addDecision(&outs[i])
		}
	}
	if len(b.dec.id) == 0 {
		return nil, nil
	}
	var lost []string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if fence != 0 {
			if err := holdGeneration(ctx, tx, fence); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, insertDecisions, b.dec.args()...)
		if err != nil {
			return err
		}
		inserted := make(map[string]bool, len(b.dec.id))
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			inserted[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range b.dec.id {
			if !inserted[id] {
				lost = append(lost, id)
			}
		}
		// What follows from a decision is written only with the decision
		// itself: a worker that lost the race for an event (its partition
		// was reassigned mid-batch) must not apply the event's status
		// change or raise its alerts a second time.
		for i := range outs {
			o := &outs[i]
			if id := o.Decision.EventID; !o.Redelivered && inserted[id] {
				delete(inserted, id)
				b.addEffects(o)
				if outbox.decisions {
					b.addOutbox(o, fence)
				}
			}
		}
		var pb pgx.Batch
		b.queue(&pb)
		if err := tx.SendBatch(ctx, &pb).Close(); err != nil {
			return err
		}
		return linkPersons(ctx, tx, b.edges)
	})
	if err != nil {
		return nil, classify("postgres: write batch", err)
	}
	if len(lost) == 0 {
		return nil, nil
	}
	return s.Decisions(ctx, lost)
}

// ErrStaleIndex says a batch was decided against an index generation that
// a rebuild has since replaced. It is domain.ErrIndexRebuilt, which the
// pipeline looks for to decide the batch again.
var ErrStaleIndex = domain.ErrIndexRebuilt

// generationLock is the advisory lock key that orders writes against
// rebuilds: writers hold it shared for their transaction, a rebuild takes
// it exclusively to bump the generation, so a rebuild's snapshot holds
// every batch written under the old generation and none written after.
const generationLock = 0x656b6a6f6e67 // "ekjong"

// holdGeneration takes the generation lock shared for tx and checks that
// the index generation is still fence.
func holdGeneration(ctx context.Context, tx pgx.Tx, fence int64) error {
	gen, err := sharedGeneration(ctx, tx)
	if err != nil {
		return err
	}
	if gen != fence {
		return domain.Wrap(domain.KindTransient, fmt.Sprintf("index generation %d, batch decided at %d", gen, fence), ErrStaleIndex)
	}
	return nil
}

// sharedGeneration takes the generation lock shared for tx and returns the
// index generation, which no rebuild can bump until tx ends. The lock and
// the read are two statements: under READ COMMITTED the read's snapshot
// must be taken after the lock is held, or a bump it waited for would be
// missed. They go in one batch, one round trip: the server runs the
// read's statement only once the lock's has returned.
func sharedGeneration(ctx context.Context, tx pgx.Tx) (int64, error) {
	var b pgx.Batch
	b.Queue("SELECT pg_advisory_xact_lock_shared($1)", int64(generationLock))
	b.Queue("SELECT generation FROM index_generation")
	br := tx.SendBatch(ctx, &b)
	var gen int64
	_, err := br.Exec()
	if err == nil {
		err = br.QueryRow().Scan(&gen)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return gen, err
}

// BeginRebuild starts a new index generation and returns it. It waits for
// the batches being written under the old one; batches decided against the
// old index and written after it returns are refused (ErrStaleIndex). The
// rebuild reads the record after BeginRebuild returns.
func (s *Store) BeginRebuild(ctx context.Context) (int64, error) {
	var gen int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(generationLock)); err != nil {
			return err
		}
		return tx.QueryRow(ctx, "UPDATE index_generation SET generation = generation + 1, bumped_at = now() RETURNING generation").Scan(&gen)
	})
	return gen, classify("postgres: begin rebuild", err)
}

// Generation returns the current index generation.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	var gen int64
	err := s.pool.QueryRow(ctx, "SELECT generation FROM index_generation").Scan(&gen)
	return gen, classify("postgres: index generation", err)
}

// insertDecisions records the decisions of events not decided before.
// decision_keys is the arbiter, since decisions is partitioned by month
// and cannot hold a unique key on event_id alone: the ids it takes are
// the events this batch decides first (once each, its first copy), and
// only their decisions are inserted, in the partition of the month the
// key was recorded in.
const insertDecisions = `WITH t AS (
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
		$8::float8[], $9::text[], $10::text[], $11::text[], $12::timestamptz[], $13::timestamptz[], $14::text[],
		$15::text[], $16::int[], $17::int8[], $18::timestamptz[], $19::text[]) WITH ORDINALITY
		AS t(id, typ, src, prog, act, rules, reason, score, expl, person, matched, occurred, decided, cfg,
		topic, part, off, ktime, digest, ord)
), k AS (
	INSERT INTO decision_keys (event_id) SELECT DISTINCT id FROM t
	ON CONFLICT (event_id) DO NOTHING
	RETURNING event_id, recorded_at
)
INSERT INTO decisions (event_id, event_type, source, programme, action, rules, reason,
	score, explanation, person_id, matched_person_id, occurred_at, decided_at, config_version,
	kafka_topic, kafka_partition, kafka_offset, kafka_time, digest, recorded_at)
SELECT DISTINCT ON (id) id, typ, src, prog, act, COALESCE(string_to_array(NULLIF(rules, ''), ','), '{}'), reason,
	score, NULLIF(expl, '')::jsonb, NULLIF(person, ''), NULLIF(matched, ''), occurred, decided, cfg,
	topic, part, off, ktime, digest, k.recorded_at
FROM t JOIN k ON k.event_id = t.id
ORDER BY id, ord
RETURNING event_id`

// batchRows holds a batch as columns, one slice per column, because one
// INSERT … SELECT FROM unnest(…) per table is a single round trip whatever
// the batch size. COPY through a temporary staging table is no faster for
// a whole Write: it saves at most a fifth of the decisions insert at 2,000
// events, where indexes, foreign keys and the commit dominate (BenchmarkCopy,
// BenchmarkWrite).
type batchRows struct {
	dec     decisionCols
	persons struct {
		seen               map[string]bool
		id, key, kind, nid []string
	}
	// links are the identity numbers the index linked to persons
	// (Outcome.Links).
	links struct {
		hash, person, event []string
		core                []bool
	}
	// segs hold the enrolments, payments and status changes in batch
	// order: a status change ends a segment, so that what came before it
	// in the batch is written before it and what came after, after. (An
	// exit and a re-enrolment of one person in one batch would otherwise
	// meet the one-live-enrolment rule in the wrong order.)
	segs []*segment
	// outbox are the decisions to publish through the outbox.
	outbox struct {
		id, dec []string
		gen     []int64
	}
	// cards are the aid cards to issue: one for each person admitted
	// who has never held one.
	cards struct {
		seen              map[string]bool
		no, person, event []string
		at                []time.Time
	}
	alert struct {
		id, event, rule, action, prog, district, person, matched []string
		score                                                    []pgtype.Float8
		expl, evidence                                           []string
		at                                                       []time.Time
		// js is each alert as the alerts topic carries it.
		js []string
		// caseID is each alert's case ("" for none); joins names, for
		// an alert that may join its case, the batch's first alert of
		// the case when it is another (see insertAlerts).
		caseID, joins []string
	}
	// alertsOutboxed has each alert raised also written to the outbox.
	alertsOutboxed bool
	// caseFirst is each alert case's first alert in the batch that may
	// join it (see caseOpener).
	caseFirst map[string]string
	alloc     allocationRows
	// edges join the persons of the batch's fuzzy matches in clusters.
	edges []clusterEdge
}

// segment is a run of the batch's enrolments and payments, as columns,
// and the status changes that follow them.
type segment struct {
	enr struct {
		id, person, prog, ref, src, status, wallet, record, district []string
		holdsRef                                                     []bool
		at                                                           []time.Time
	}
	pay struct {
		id, person, prog, cycle                          []string
		amount                                           []float64
		channel, wallet, dist, device, district, upazila []string
		union, action                                    []string
		at                                               []time.Time
		// items are the items handed over, as JSON; "" for none given.
		items []string
	}
	status []statusRow
}

// rows returns the segment new enrolments and payments go to: the last,
// unless status changes have ended it.
func (b *batchRows) rows() *segment {
	if n := len(b.segs); n > 0 && len(b.segs[n-1].status) == 0 {
		return b.segs[n-1]
	}
	b.segs = append(b.segs, &segment{})
	return b.segs[len(b.segs)-1]
}

// statusRows returns the segment a status change goes to: the last.
func (b *batchRows) statusRows() *segment {
	if len(b.segs) == 0 {
		b.segs = append(b.segs, &segment{})
	}
	return b.segs[len(b.segs)-1]
}

type statusRow struct {
	eventID, person, status, prog, wallet string
	at                                    time.Time
}

type decisionCols struct {
	id, typ, src, prog, act, rules, reason []string
	score                                  []pgtype.Float8
	expl, person, matched                  []string
	occurred, decided                      []pgtype.Timestamptz
	cfg, topic                             []string
	part                                   []int32
	off                                    []int64
	ktime                                  []pgtype.Timestamptz
	digest                                 []string
}

func (d *decisionCols) args() []any {
	return []any{d.id, d.typ, d.src, d.prog, d.act, d.rules, d.reason, d.score, d.expl, d.person,
		d.matched, d.occurred, d.decided, d.cfg, d.topic, d.part, d.off, d.ktime, d.digest}
}

func ts(t time.Time) pgtype.Timestamptz { return pgtype.Timestamptz{Time: t, Valid: !t.IsZero()} }

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// itemsText is items as the record keeps them: JSON, or "" (stored as
// NULL) when there are none.
func itemsText(items map[string]float64) string {
	if len(items) == 0 {
		return ""
	}
	return jsonText(items)
}

// addDecision adds o's decision row.
func (b *batchRows) addDecision(o *domain.Outcome) {
	d := &o.Decision
	var occurred time.Time
	if o.Event != nil {
		occurred = o.Event.Occurred
	}
	var expl string
	if len(d.Explanation) > 0 {
		expl = jsonText(d.Explanation)
	}
	dc := &b.dec
	dc.id = append(dc.id, d.EventID)
	dc.typ = append(dc.typ, string(d.EventType))
	dc.src = append(dc.src, d.Source)
	dc.prog = append(dc.prog, d.Programme)
	dc.act = append(dc.act, string(d.Action))
	dc.rules = append(dc.rules, strings.Join(d.Rules, ","))
	dc.reason = append(dc.reason, d.Reason)
	dc.score = append(dc.score, pgtype.Float8{Float64: d.Score, Valid: d.Score != 0 || len(d.Explanation) > 0})
	dc.expl = append(dc.expl, expl)
	dc.person = append(dc.person, d.PersonID)
	dc.matched = append(dc.matched, d.MatchedPerson)
	dc.occurred = append(dc.occurred, ts(occurred))
	dc.decided = append(dc.decided, ts(d.DecidedAt))
	dc.cfg = append(dc.cfg, d.ConfigVersion)
	dc.topic = append(dc.topic, o.Origin.Topic)
	dc.part = append(dc.part, int32(o.Origin.Partition))
	dc.off = append(dc.off, o.Origin.Offset)
	dc.ktime = append(dc.ktime, ts(o.Origin.Time))
	dc.digest = append(dc.digest, d.Digest)

}

// addOutbox adds o's decision to the outbox.
func (b *batchRows) addOutbox(o *domain.Outcome, gen int64) {
	b.outbox.id = append(b.outbox.id, o.Decision.EventID)
	b.outbox.dec = append(b.outbox.dec, jsonText(o.Decision))
	b.outbox.gen = append(b.outbox.gen, gen)
}

// caseOpener returns, for an alert that joins an open case rather than
// open one (an alert of a case whose event was admitted), the batch's
// first such alert of the case if that is another; "" otherwise, and for
// the first, which joins a case only if the record has one open.
func (b *batchRows) caseOpener(a domain.Alert) string {
	if a.CaseID == "" || a.Action != domain.ActionAdmit {
		return ""
	}
	if b.caseFirst == nil {
		b.caseFirst = make(map[string]string)
	}
	first, ok := b.caseFirst[a.CaseID]
	if !ok {
		b.caseFirst[a.CaseID] = a.AlertID
		return ""
	}
	if first == a.AlertID {
		return ""
	}
	return first
}

// caseIDs returns the batch's alert cases, sorted, each once: the order in
// which its transaction locks them.
func (b *batchRows) caseIDs() []string {
	var ids []string
	for _, c := range b.alert.caseID {
		if c != "" {
			ids = append(ids, c)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// addEffects adds what follows from o's decision: its alerts and, for a
// decided event, the person and the enrolment, payment or status change.
func (b *batchRows) addEffects(o *domain.Outcome) {
	d := &o.Decision
	for _, a := range o.Alerts {
		al := &b.alert
		al.id = append(al.id, a.AlertID)
		al.event = append(al.event, a.EventID)
		al.rule = append(al.rule, a.Rule)
		al.action = append(al.action, string(a.Action))
		al.prog = append(al.prog, a.Programme)
		// Places are stored by BBS code where the gazetteer knows them.
		al.district = append(al.district, domain.Places().Code(domain.LevelDistrict, a.District))
		al.person = append(al.person, a.PersonID)
		al.matched = append(al.matched, a.MatchedPerson)
		al.score = append(al.score, pgtype.Float8{Float64: a.Score, Valid: len(a.Explanation) > 0 || a.Score != 0})
		ae := ""
		if len(a.Explanation) > 0 {
			ae = jsonText(a.Explanation)
		}
		al.expl = append(al.expl, ae)
		ev := ""
		if len(a.Evidence) > 0 {
			ev = jsonText(a.Evidence)
		}
		al.evidence = append(al.evidence, ev)
		al.at = append(al.at, a.CreatedAt)
		al.js = append(al.js, jsonText(a))
		al.caseID = append(al.caseID, a.CaseID)
		al.joins = append(al.joins, b.caseOpener(a))
	}

	e := o.Event
	if e == nil || d.Action == domain.ActionRejected {
		return
	}
	if d.PersonID != "" && o.IndexKey != "" {
		b.addPerson(d.PersonID, o.IndexKey, e)
		for _, l := range o.Links {
			b.links.hash = append(b.links.hash, l.Hash)
			b.links.person = append(b.links.person, d.PersonID)
			b.links.event = append(b.links.event, e.EventID)
			b.links.core = append(b.links.core, l.Core)
		}
	}
	switch e.Type {
	case domain.TypeEnrolment:
		b.addEdge(d)
		status := map[domain.Action]string{domain.ActionAdmit: "active", domain.ActionHold: "held", domain.ActionBlock: "blocked"}[d.Action]
		district := ""
		if e.Person.Address != nil {
			district = e.Person.Address.District
		}
		en := &b.rows().enr
		en.id = append(en.id, e.EventID)
		en.person = append(en.person, d.PersonID)
		en.prog = append(en.prog, e.Programme)
		en.ref = append(en.ref, e.BeneficiaryRef)
		en.src = append(en.src, e.Source)
		en.status = append(en.status, status)
		en.wallet = append(en.wallet, walletKey(o, e.Person.Wallet))
		en.record = append(en.record, jsonText(e.Person))
		en.district = append(en.district, domain.Places().Code(domain.LevelDistrict, district))
		en.holdsRef = append(en.holdsRef, o.HoldsRef)
		en.at = append(en.at, e.Occurred)
		if d.Action == domain.ActionAdmit && d.PersonID != "" {
			b.addCard(d.PersonID, e.EventID, d.DecidedAt)
		}
	case domain.TypeDistribution:
		// A location's parts are stored by code where the gazetteer
		// knows them, those above a known union or upazila filled in.
		at := domain.Places().PlaceArea(e.Location.Area())
		p := &b.rows().pay
		p.id = append(p.id, e.EventID)
		p.person = append(p.person, d.PersonID)
		p.prog = append(p.prog, e.Programme)
		p.cycle = append(p.cycle, e.Cycle)
		p.amount = append(p.amount, e.Amount)
		p.channel = append(p.channel, e.Channel)
		p.wallet = append(p.wallet, walletKey(o, e.Wallet))
		p.dist = append(p.dist, e.DistributorID)
		p.device = append(p.device, e.DeviceID)
		p.district = append(p.district, at.District)
		p.upazila = append(p.upazila, at.Upazila)
		p.union = append(p.union, at.Union)
		p.action = append(p.action, string(d.Action))
		p.at = append(p.at, e.Occurred)
		p.items = append(p.items, itemsText(e.Items))
	case domain.TypeAllocation:
		b.alloc.add(e)
	case domain.TypeStatus:
		seg := b.statusRows()
		seg.status = append(seg.status, statusRow{e.EventID, d.PersonID, e.Status, e.Programme, walletKey(o, e.Wallet), e.Occurred})
	}
}

// walletKey is what the record keeps of a wallet: enough to compare, not
// the number. The index hashes it the same way.
func walletKey(o *domain.Outcome, wallet string) string {
	if wallet == "" {
		return ""
	}
	return o.WalletKey
}

func (b *batchRows) addPerson(id, key string, e *domain.Event) {
	p := &b.persons
	if p.seen == nil {
		p.seen = make(map[string]bool)
	}
	if p.seen[id] {
		return
	}
	p.seen[id] = true
	kind, nid := "ref", ""
	if n := e.IdentityNID(); n != "" {
		kind, nid = "nid", n
	} else if e.Person != nil && e.Person.BirthRegNo != "" {
		kind = "brn"
	}
	p.id = append(p.id, id)
	p.key = append(p.key, key)
	p.kind = append(p.kind, kind)
	p.nid = append(p.nid, nid)
}

func (b *batchRows) queue(pb *pgx.Batch) {
	if p := b.persons; len(p.id) > 0 {
		pb.Queue(`INSERT INTO persons (person_id, index_key, id_kind, nid)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
			ON CONFLICT (person_id) DO NOTHING`, p.id, p.key, p.kind, p.nid)
	}
	if l := b.links; len(l.hash) > 0 {
		// The index linked each number once, to its first claimant: the
		// first to be recorded is the same one.
		pb.Queue(`INSERT INTO identity_links (link, person_id, core, event_id)
			SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[], $4::text[])
			ON CONFLICT (link) DO NOTHING`, l.hash, l.person, l.core, l.event)
	}
	lifeOne, lifeAll := lifeStatuses()
	for _, seg := range b.segs {
		if e := seg.enr; len(e.id) > 0 {
			pb.Queue(`INSERT INTO enrolments (event_id, person_id, programme, beneficiary_ref, source, status,
					wallet_key, record, district, enrolled_at, holds_ref)
				SELECT id, person, prog, ref, src, status, wallet, record::jsonb, district, at, holds
				FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
					$8::text[], $9::text[], $10::timestamptz[], $11::boolean[])
					AS t(id, person, prog, ref, src, status, wallet, record, district, at, holds)
				ON CONFLICT (event_id) DO NOTHING`,
				e.id, e.person, e.prog, e.ref, e.src, e.status, e.wallet, e.record, e.district, e.at, e.holdsRef)
		}
		if p := seg.pay; len(p.id) > 0 {
			// No conflict target: an event's payment is written with
			// its decision only, whose key is the one arbiter, and the
			// paid-once rule is payment_claims', whose violation must
			// not be swallowed.
			pb.Queue(`INSERT INTO payments (event_id, person_id, programme, cycle, amount, channel, wallet_key,
					distributor_id, device_id, district, upazila, action, paid_at, items, union_name)
				SELECT id, person, prog, cycle, amount, channel, wallet, dist, device, district, upazila, action, at,
					NULLIF(items, '')::jsonb, uni
				FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::text[],
					$7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::timestamptz[], $14::text[],
					$15::text[])
					AS t(id, person, prog, cycle, amount, channel, wallet, dist, device, district, upazila, action, at, items, uni)`,
				p.id, p.person, p.prog, p.cycle, p.amount, p.channel, p.wallet, p.dist, p.device, p.district,
				p.upazila, p.action, p.at, p.items, p.union)
		}
		for _, st := range seg.status {
			t, _ := domain.TransitionOf(st.status, st.prog)
			pb.Queue(applyStatus, st.eventID, st.person, st.status, st.prog, st.wallet, st.at,
				t.From, t.To, t.ReplacesWallet, t.SetsDeceased, t.ClearsDeceased, domain.NeverClaims(), lifeOne, lifeAll)
		}
	}
	b.alloc.queue(pb)
	if o := b.outbox; len(o.id) > 0 {
		pb.Queue(`INSERT INTO outbox (event_id, decision, generation)
			SELECT * FROM unnest($1::text[], $2::jsonb[], $3::int8[])`, o.id, o.dec, o.gen)
	}
	if c := b.cards; len(c.no) > 0 {
		pb.Queue(issueCards, c.no, c.person, c.event, c.at)
	}
	if a := b.alert; len(a.id) > 0 {
		if cs := b.caseIDs(); len(cs) > 0 {
			pb.Queue(lockCases, cs)
		}
		if b.alertsOutboxed {
			pb.Queue(outboxAlerts, a.id, a.event, a.rule, a.action, a.prog, a.district, a.person, a.matched,
				a.score, a.expl, a.at, a.evidence, a.caseID, a.joins, a.js)
		} else {
			pb.Queue(insertAlerts, a.id, a.event, a.rule, a.action, a.prog, a.district, a.person, a.matched,
				a.score, a.expl, a.at, a.evidence, a.caseID, a.joins)
		}
	}
}

// insertAlerts records alerts ($1 to $12), each once, in their cases
// ($13; see migration 0017). An admitted event's alert of a case joins the
// case's unresolved alert on record, or else the batch's first alert of
// the case ($14), if any: it is recorded closed, its resolution naming
// that alert. The first alert of a case opens it. lockCases, queued before
// in the same transaction, makes two batches raising alerts of one case at
// once take turns, so that only one opens it.
const insertAlerts = `INSERT INTO alerts (alert_id, event_id, rule, action, programme, district, person_id,
		matched_person_id, score, explanation, created_at, updated_at, evidence, case_id, status,
		resolution, resolved_by, resolved_at)
	SELECT id, ev, rule, act, prog, district, NULLIF(person, ''), NULLIF(matched, ''), score,
		NULLIF(expl, '')::jsonb, at, at, NULLIF(evidence, '')::jsonb, NULLIF(kase, ''),
		CASE WHEN c.opener IS NULL THEN 'open' ELSE 'closed' END,
		'joined case ' || c.opener, CASE WHEN c.opener IS NOT NULL THEN 'ekjon' END,
		CASE WHEN c.opener IS NOT NULL THEN at END
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
		$8::text[], $9::float8[], $10::text[], $11::timestamptz[], $12::text[], $13::text[], $14::text[])
		AS t(id, ev, rule, act, prog, district, person, matched, score, expl, at, evidence, kase, joins)
	LEFT JOIN LATERAL (
		SELECT coalesce((SELECT o.alert_id FROM alerts o WHERE o.case_id = t.kase AND o.status <> 'closed'
			ORDER BY o.created_at, o.alert_id LIMIT 1), NULLIF(t.joins, '')) AS opener
		WHERE t.kase <> '' AND t.act = 'ADMIT'
	) c ON true
	ON CONFLICT (alert_id) DO NOTHING`

// lockCases takes the transaction's locks on the alert cases $1, in their
// sorted order.
const lockCases = `SELECT pg_advisory_xact_lock(hashtextextended('ekjon alert case ' || k, 0)) FROM unnest($1::text[]) AS k`

// outboxAlerts is insertAlerts that also puts each alert it records in the
// outbox ($15, the alerts as published): an alert on record already,
// raised by an earlier delivery or by another worker, is not put there
// again, nor is one that joined its case (the case's alert was
// published). The unique alert id settles two workers raising one alert at
// once: the second insert waits for the first and records nothing.
const outboxAlerts = `WITH raised AS (` + insertAlerts + ` RETURNING alert_id, event_id, status)
	INSERT INTO outbox (event_id, alerts)
	SELECT DISTINCT ON (r.alert_id) r.event_id, jsonb_build_array(j.js::jsonb)
	FROM raised r JOIN unnest($1::text[], $15::text[]) AS j(id, js) ON j.id = r.alert_id
	WHERE r.status <> 'closed'
	ORDER BY r.alert_id`

// The claims of persons on programmes: on each, the person's latest
// enrolment neither blocked nor replaced (domain.NeverClaims), which is
// what the matching index keeps of its enrolments there. claimsFrom and
// claimsOrder go around a WHERE clause that must leave those out.
const (
	claimsFrom  = `SELECT DISTINCT ON (person_id, programme) event_id, person_id, programme, status, wallet_key FROM enrolments`
	claimsOrder = `ORDER BY person_id, programme, enrolled_at DESC, event_id DESC`
)

// applyStatus records a status event ($1 to $6) and, the first time only,
// applies its transition (domain.Transitions): the person's claims in the
// states $7 move to state $8 ("" keeps theirs) and take the event's wallet
// if $9; the person is marked deceased if $10, or no longer if $11. $12 are
// the states that are never a claim.
//
// Status events take effect in the order they occurred, as in the index
// (status.lua): a claim on a programme is not acted on when a status event
// naming that programme, or none, occurred after this one; the person is
// not marked dead or alive when an event that does so ($13 naming a
// programme, $14 naming none) occurred after it. Ties go to the later
// arrival.
const applyStatus = `WITH recorded AS (
		INSERT INTO status_changes (event_id, person_id, status, programme, wallet_key, occurred_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id) DO NOTHING
		RETURNING person_id
	), claims AS (
		` + claimsFrom + ` WHERE person_id = $2 AND ($4 = '' OR programme = $4) AND status <> ALL($12) ` + claimsOrder + `
	), moved AS (
		UPDATE enrolments e SET status = COALESCE(NULLIF($8, ''), e.status),
			wallet_key = CASE WHEN $9 THEN $5 ELSE e.wallet_key END
		FROM claims c, recorded
		WHERE e.event_id = c.event_id AND e.status = ANY($7::text[])
			AND NOT EXISTS (SELECT 1 FROM status_changes s WHERE s.person_id = $2 AND s.occurred_at > $6
				AND (s.programme = '' OR s.programme = c.programme))
	)
	UPDATE persons p SET deceased_at = CASE WHEN $10 THEN COALESCE(p.deceased_at, $6) END
	FROM recorded
	WHERE p.person_id = recorded.person_id AND ($10 OR $11)
		AND NOT EXISTS (SELECT 1 FROM status_changes s WHERE s.person_id = $2 AND s.occurred_at > $6
			AND ((s.programme <> '' AND s.status = ANY($13::text[])) OR (s.programme = '' AND s.status = ANY($14::text[]))))`

// lifeStatuses returns the statuses that mark a person dead or alive again
// when they name a programme, and when they name none.
func lifeStatuses() (one, all []string) {
	one = domain.StatusesWhere(func(t domain.Transition) bool { return !t.AllProgrammes && t.TouchesLife() })
	all = domain.StatusesWhere(func(t domain.Transition) bool { return t.AllProgrammes && t.TouchesLife() })
	return one, all
}

// IndexFacts streams every fact the matching index holds, for rebuilding it
// from the record. fn is called in no particular order.
func (s *Store) IndexFacts(ctx context.Context, fn func(domain.IndexFact) error) error {
	dead := domain.StatusesWhere(func(t domain.Transition) bool { return t.SetsDeceased })
	walletChanges := domain.StatusesWhere(func(t domain.Transition) bool { return t.MarksWalletChange })
	lifeOne, lifeAll := lifeStatuses()
	queries := []struct {
		kind, sql string
		args      []any
	}{
		// The identity links come first: the candidates' numbers, which
		// link records made before links were kept, yield to them.
		{"link", `SELECT p.index_key, '', '', CASE WHEN l.core THEN 'core' ELSE '' END, '', l.link, '', NULL::timestamptz, '', NULL::jsonb
			FROM identity_links l JOIN persons p USING (person_id)`, nil},
		{"enrolment", `SELECT p.index_key, c.programme, c.event_id, c.status, c.wallet_key, '', '', NULL::timestamptz, '', NULL::jsonb
			FROM (` + claimsFrom + ` WHERE status <> ALL($1) ` + claimsOrder + `) c JOIN persons p USING (person_id)`,
			[]any{domain.NeverClaims()}},
		// A ref is its holder's (see Outcome.HoldsRef): every enrolment
		// holding one names the same person, so their order is no matter.
		{"ref", `SELECT DISTINCT p.index_key, e.programme, '', '', '', e.beneficiary_ref, '', NULL::timestamptz, '', NULL::jsonb
			FROM enrolments e JOIN persons p USING (person_id)
			WHERE e.holds_ref`, nil},
		{"payment", `SELECT p.index_key, y.programme, y.event_id, '', '', '', y.cycle, NULL::timestamptz, '', NULL::jsonb
			FROM payments y JOIN persons p USING (person_id)
			WHERE y.action IN ('ADMIT', 'HOLD')`, nil},
		{"deceased", `SELECT p.index_key, '', s.event_id, '', '', '', '', NULL::timestamptz, '', NULL::jsonb
			FROM persons p JOIN LATERAL (SELECT event_id FROM status_changes
				WHERE person_id = p.person_id AND status = ANY($1) ORDER BY occurred_at DESC LIMIT 1) s ON true
			WHERE p.deceased_at IS NOT NULL`, []any{dead}},
		{"wallet", `SELECT p.index_key, '', '', '', '', '', '', max(s.occurred_at), '', NULL::jsonb
			FROM status_changes s JOIN persons p USING (person_id)
			WHERE s.status = ANY($1) GROUP BY p.index_key`, []any{walletChanges}},
		// The times that order status events (applyStatus): the latest of
		// each person's scopes, and the latest marking the person dead or
		// alive.
		{"clock", `SELECT p.index_key, s.programme, '', '', '', '', '', max(s.occurred_at), '', NULL::jsonb
			FROM status_changes s JOIN persons p USING (person_id)
			GROUP BY p.index_key, s.programme`, nil},
		{"life", `SELECT p.index_key, '', '', '', '', '', '', max(s.occurred_at), '', NULL::jsonb
			FROM status_changes s JOIN persons p USING (person_id)
			WHERE (s.programme <> '' AND s.status = ANY($1)) OR (s.programme = '' AND s.status = ANY($2))
			GROUP BY p.index_key`, []any{lifeOne, lifeAll}},
		// A person enrolled is a candidate for the fuzzy rules whatever
		// became of the enrolment since, as in the pipeline, which indexes
		// it on its enrolment and keeps it: a dead or exited person
		// enrolled again under another NID is what the rules look for.
		// Every enrolment not blocked, in the order it was decided (its
		// batch's time, then its place in the batch: its partition and
		// offset; At is the batch's time), as the pipeline indexed them:
		// the order of a block's members and which persons a block at its
		// cap holds are the order the persons joined it, a person enrolled
		// twice joined the blocks of both enrolments, and keeps the first
		// one's name tokens and the later one's record. An enrolment whose
		// decision has gone (the retention) counts as decided when it was
		// enrolled. Where two persons recorded before the links were kept
		// share a number (an NID under its two forms), the rebuild links
		// it to the first.
		{"candidate", `SELECT COALESCE(p.index_key, ''), e.programme, e.event_id, e.status, '', '', '',
				COALESCE(d.decided_at, e.enrolled_at), e.person_id, e.record
			FROM enrolments e LEFT JOIN persons p USING (person_id)
				LEFT JOIN decision_keys k ON k.event_id = e.event_id
				LEFT JOIN decisions d ON d.event_id = k.event_id AND d.recorded_at = k.recorded_at
			WHERE e.status <> $1
			ORDER BY COALESCE(d.decided_at, e.enrolled_at), COALESCE(d.kafka_partition, 0), COALESCE(d.kafka_offset, 0), e.event_id`,
			[]any{domain.EnrolmentBlocked}},
	}
	// One snapshot for every query, so that the facts are of one moment:
	// an enrolment written between two queries would otherwise be missed
	// by one and seen by the other.
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		for _, q := range queries {
			rows, err := tx.Query(ctx, q.sql, q.args...)
			if err != nil {
				return classify("postgres: index facts", err)
			}
			for rows.Next() {
				f := domain.IndexFact{Kind: q.kind}
				var at pgtype.Timestamptz
				var record []byte
				if err := rows.Scan(&f.Key, &f.Programme, &f.EventID, &f.State, &f.Wallet, &f.Ref, &f.Cycle, &at,
					&f.PersonID, &record); err != nil {
					rows.Close()
					return classify("postgres: index facts", err)
				}
				f.At = at.Time
				if len(record) > 0 {
					f.Person = new(domain.Person)
					if err := json.Unmarshal(record, f.Person); err != nil {
						rows.Close()
						return domain.Wrap(domain.KindInternal, "postgres: index facts: enrolment record", err)
					}
				}
				if err := fn(f); err != nil {
					rows.Close()
					return err
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return classify("postgres: index facts", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The cards are read last, apart, when the rebuild has cleared the
	// index: a card changed before this read is read as it is now, and one
	// changed after it is mapped after the read by the card indexer, which
	// the index's card script lets no older read undo. Read in the
	// snapshot, a card ended while the facts were loading would come back
	// live, the ending mapped into the index before its clear.
	return cardFacts(ctx, s.pool, fn)
}

// NewStore wraps an existing pool, for tests and tools that share one.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Alerts returns the alerts raised by the events ids, keyed by event_id, so
// that a redelivered event publishes them again.
func (s *Store) Alerts(ctx context.Context, ids []string) (map[string][]domain.Alert, error) {
	out := make(map[string][]domain.Alert)
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT alert_id, event_id, rule, action, programme, district,
			COALESCE(person_id, ''), COALESCE(matched_person_id, ''), COALESCE(score, 0), explanation, created_at,
			evidence
		FROM alerts WHERE event_id = ANY($1) ORDER BY alert_id`, ids)
	if err != nil {
		return nil, classify("postgres: read alerts", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a domain.Alert
		var action string
		var expl, evidence []byte
		if err := rows.Scan(&a.AlertID, &a.EventID, &a.Rule, &action, &a.Programme, &a.District,
			&a.PersonID, &a.MatchedPerson, &a.Score, &expl, &a.CreatedAt, &evidence); err != nil {
			return nil, classify("postgres: read alerts", err)
		}
		a.Action = domain.Action(action)
		if len(expl) > 0 {
			if err := json.Unmarshal(expl, &a.Explanation); err != nil {
				return nil, domain.Wrap(domain.KindInternal, "postgres: read alerts: explanation", err)
			}
		}
		if len(evidence) > 0 {
			if err := json.Unmarshal(evidence, &a.Evidence); err != nil {
				return nil, domain.Wrap(domain.KindInternal, "postgres: read alerts: evidence", err)
			}
		}
		out[a.EventID] = append(out[a.EventID], a)
	}
	return out, classify("postgres: read alerts", rows.Err())
}
