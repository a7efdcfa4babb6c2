package baseline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/score"
	"github.com/ekjon/ekjon/pipeline"
)

// Publisher announces decisions, as ekjon's pipeline does.
type Publisher interface {
	Publish(ctx context.Context, outs []domain.Outcome) error
}

// Engine decides events with PostgreSQL alone. It is safe for concurrent
// use by several consumers.
type Engine struct {
	pool   *pgxpool.Pool
	pseudo *domain.Pseudonymizer
	policy domain.Policy
	fc     fuzzy.Config
	tf     tfMap
	pub    Publisher
	log    *slog.Logger
	// Observe, if set, sees each batch's decisions once they are committed,
	// with the time of the commit.
	Observe func(outs []domain.Outcome, durable time.Time)
}

type tfMap map[string]float64

func (m tfMap) Freq(t string) float64 { return m[t] }

// NewEngine returns an engine on the loaded tables. The name-token
// frequencies are read once, at start: keeping a counter row per common
// token up to date inside every enrolment's transaction would serialise
// the workers on the rows of "islam" and "begum".
func NewEngine(ctx context.Context, pool *pgxpool.Pool, pseudo *domain.Pseudonymizer, policy domain.Policy, fc fuzzy.Config, pub Publisher, log *slog.Logger) (*Engine, error) {
	tf, err := tokenFreqs(ctx, pool, fc.MinTFPopulation)
	if err != nil {
		return nil, fmt.Errorf("baseline token frequencies: %w", err)
	}
	return &Engine{pool: pool, pseudo: pseudo, policy: policy, fc: fc, tf: tf, pub: pub, log: log}, nil
}

// Run consumes src until ctx ends: fetch a batch, decide and record it in
// one transaction, publish, commit the offsets.
func (en *Engine) Run(ctx context.Context, src pipeline.Source) error {
	for {
		msgs, err := src.Fetch(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			en.log.Warn("baseline fetch failed", "err", err)
			continue
		}
		outs, err := en.Process(ctx, msgs)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		if en.pub != nil {
			if err := en.pub.Publish(ctx, outs); err != nil && ctx.Err() == nil {
				return err
			}
		}
		if err := src.Commit(ctx, msgs); err != nil && ctx.Err() == nil {
			en.log.Warn("baseline commit failed", "err", err)
		}
	}
}

// Process decides a batch in one transaction, retrying it whole after a
// deadlock or serialisation failure.
func (en *Engine) Process(ctx context.Context, msgs []pipeline.Message) ([]domain.Outcome, error) {
	for attempt := 0; ; attempt++ {
		outs := make([]domain.Outcome, len(msgs))
		err := pgx.BeginFunc(ctx, en.pool, func(tx pgx.Tx) error {
			for i := range msgs {
				if err := en.decide(ctx, tx, &msgs[i], &outs[i]); err != nil {
					return err
				}
			}
			return en.record(ctx, tx, outs)
		})
		if err == nil {
			if en.Observe != nil {
				en.Observe(outs, time.Now())
			}
			return outs, nil
		}
		var pe *pgconn.PgError
		if errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001") && attempt < 20 {
			continue
		}
		return nil, fmt.Errorf("baseline batch: %w", err)
	}
}

func (en *Engine) decide(ctx context.Context, tx pgx.Tx, m *pipeline.Message, o *domain.Outcome) error {
	now := time.Now().UTC()
	o.Origin = domain.Origin{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Time: m.Time}
	o.Raw = m.Value
	o.Decision = domain.Decision{DecidedAt: now, ConfigVersion: en.policy.Version, Rules: []string{}}
	e, err := domain.DecodeEvent(m.Value, 1<<20)
	if err == nil {
		err = domain.Validate(e, en.policy)
	}
	if err != nil {
		id := domain.PeekEventID(m.Value)
		if id == "" {
			id = fmt.Sprintf("kafka:%s:%d:%d", m.Topic, m.Partition, m.Offset)
		}
		rule := domain.RuleInvalidEvent
		if domain.IsIDError(err) {
			rule = domain.RuleInvalidID
		}
		o.Decision.EventID, o.Decision.Action, o.Decision.Rules, o.Decision.Reason = id, domain.ActionRejected, []string{rule}, err.Error()
		o.Dead = true
		return nil
	}
	o.Event = e
	d := &o.Decision
	d.EventID, d.EventType, d.Source, d.Programme = e.EventID, e.Type, e.Source, e.Programme
	switch e.Type {
	case domain.TypeEnrolment:
		return en.enrol(ctx, tx, o)
	case domain.TypeDistribution:
		return en.pay(ctx, tx, o)
	default:
		return en.status(ctx, tx, o)
	}
}

const claimSQL = `
WITH per AS (SELECT deceased FROM bl_persons WHERE person_key = $1),
ex AS (SELECT programme FROM bl_enrolments
       WHERE person_key = $1 AND programme = ANY($2::text[]) AND status <> 'exited' LIMIT 1),
cur AS (SELECT event_id FROM bl_enrolments WHERE person_key = $1 AND programme = $3 AND status <> 'exited'),
ins AS (INSERT INTO bl_enrolments (event_id, person_key, programme, beneficiary_ref, status, wallet)
        SELECT $4, $1, $3, $5, CASE WHEN COALESCE((SELECT deceased FROM per), false) THEN 'held' ELSE 'active' END, $6
        WHERE NOT EXISTS (SELECT 1 FROM ex) AND NOT EXISTS (SELECT 1 FROM cur)
        ON CONFLICT (person_key, programme) DO UPDATE
          SET event_id = EXCLUDED.event_id, status = EXCLUDED.status, wallet = EXCLUDED.wallet
          WHERE bl_enrolments.status = 'exited'
        RETURNING 1),
newp AS (INSERT INTO bl_persons (person_key, nid) SELECT $1, NULLIF($7, '')
         WHERE NOT EXISTS (SELECT 1 FROM per) ON CONFLICT DO NOTHING RETURNING 1)
SELECT (SELECT event_id FROM cur), (SELECT programme FROM ex), COALESCE((SELECT deceased FROM per), false),
       EXISTS (SELECT 1 FROM ins), EXISTS (SELECT 1 FROM newp)`

const candidatesSQL = `
SELECT rec FROM bl_candidates
WHERE name_key % $1 AND (birth_year = $2 OR place = $3)
ORDER BY similarity(name_key, $1) DESC
LIMIT $4`

const familySQL = `
SELECT rec FROM bl_candidates WHERE dob = $2 AND father_key % $1 LIMIT $3`

func (en *Engine) enrol(ctx context.Context, tx pgx.Tx, o *domain.Outcome) error {
	e, d := o.Event, &o.Decision
	key := personKey(e)
	_, d.PersonID = personID(en.pseudo, e)
	wallet := walletHash(en.pseudo, e.Person.Wallet)
	d.Action = domain.ActionAdmit
	var cur, excl pgtype.Text
	var dead, inserted, newPerson bool
	if err := tx.QueryRow(ctx, claimSQL, key, en.policy.ExcludedBy(e.Programme), e.Programme, e.EventID,
		e.BeneficiaryRef, wallet, e.Person.NID).Scan(&cur, &excl, &dead, &inserted, &newPerson); err != nil {
		return fmt.Errorf("claim enrolment: %w", err)
	}
	switch {
	case cur.Valid && cur.String != e.EventID:
		d.Action, d.Rules = domain.ActionBlock, append(d.Rules, domain.RuleDupNID)
		return nil
	case !cur.Valid && excl.Valid:
		d.Action, d.Rules = domain.ActionBlock, append(d.Rules, domain.RuleMultiProgramme)
		return nil
	case dead:
		d.Action, d.Rules = domain.ActionHold, append(d.Rules, domain.RuleDeceasedOrExited)
	}

	c, err := newCandidate(e.Person, d.PersonID, en.pseudo)
	if err != nil {
		return nil
	}
	var b pgx.Batch
	b.Queue(candidatesSQL, c.name, c.year, c.place, en.fc.MaxCandidates)
	family := c.father != "" && c.dob != ""
	if family {
		b.Queue(familySQL, c.father, c.dob, en.fc.MaxCandidates)
	}
	b.Queue(`SELECT count(*) FROM bl_candidates WHERE phone = $1 AND $1 <> ''`, c.phone)
	b.Queue(`SELECT count(*) FROM bl_candidates WHERE wallet = $1 AND $1 <> ''`, c.wall)
	br := tx.SendBatch(ctx, &b)
	var records []score.Record
	seen := map[string]bool{}
	for range 1 + btoi(family) {
		rows, err := br.Query()
		if err != nil {
			br.Close()
			return fmt.Errorf("candidates: %w", err)
		}
		for rows.Next() {
			var raw []byte
			if err := rows.Scan(&raw); err != nil {
				rows.Close()
				br.Close()
				return err
			}
			if r, err := score.DecodeRecord(raw); err == nil && !seen[r.PersonID] {
				seen[r.PersonID] = true
				records = append(records, r)
			}
		}
		rows.Close()
	}
	var phones, wallets int
	if err := br.QueryRow().Scan(&phones); err != nil {
		br.Close()
		return err
	}
	if err := br.QueryRow().Scan(&wallets); err != nil {
		br.Close()
		return err
	}
	if err := br.Close(); err != nil {
		return err
	}
	shared := min(max(phones, wallets), en.fc.BlockCap)
	q := c.prof
	if shared > en.fc.SharedContactAlert {
		q.Record.PhoneHash = ""
	}
	if m, ok := en.fc.Best(&q, records, en.tf, nil); ok && m.Rule != "" {
		d.Score, d.MatchedPerson = m.Result.Total, m.Candidate.PersonID
		d.Rules = append(d.Rules, m.Rule)
		if m.Rule == domain.RuleFuzzyPerson && d.Action == domain.ActionAdmit {
			d.Action = domain.ActionHold
		}
	}
	if shared > en.fc.SharedContactAlert {
		d.Rules = append(d.Rules, domain.RuleSharedContact)
		if shared > en.fc.SharedContactHold && d.Action == domain.ActionAdmit {
			d.Action = domain.ActionHold
		}
	}
	var w pgx.Batch
	if d.Action == domain.ActionHold && inserted {
		w.Queue(`UPDATE bl_enrolments SET status = 'held' WHERE person_key = $1 AND programme = $2`, key, e.Programme)
	}
	w.Queue(`INSERT INTO bl_candidates (person_id, name_key, father_key, birth_year, dob, place, phone, wallet, rec)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
		d.PersonID, c.name, c.father, c.year, c.dob, c.place, c.phone, c.wall, c.rec)
	return tx.SendBatch(ctx, &w).Close()
}

const paySQL = `
WITH k AS (SELECT COALESCE(NULLIF($1, ''),
             (SELECT person_key FROM bl_enrolments WHERE programme = $2 AND beneficiary_ref = $6 AND $6 <> '' LIMIT 1)) AS key),
p AS (SELECT deceased, wallet_changed_at FROM bl_persons WHERE person_key = (SELECT key FROM k)),
e AS (SELECT status, wallet FROM bl_enrolments WHERE person_key = (SELECT key FROM k) AND programme = $2),
paid AS (SELECT event_id FROM bl_payments WHERE person_key = (SELECT key FROM k) AND programme = $2 AND cycle = $3),
ins AS (INSERT INTO bl_payments (event_id, person_key, programme, cycle)
        SELECT $4, (SELECT key FROM k), $2, $3
        WHERE NOT EXISTS (SELECT 1 FROM paid) AND NOT COALESCE((SELECT deceased FROM p), false)
          AND (SELECT status FROM e) = 'active'
        ON CONFLICT DO NOTHING RETURNING 1)
SELECT (SELECT key FROM k), (SELECT event_id FROM paid), COALESCE((SELECT deceased FROM p), false),
       (SELECT wallet_changed_at FROM p), (SELECT status FROM e), (SELECT wallet FROM e),
       CASE WHEN $5 = '' THEN 0 ELSE (SELECT count(*) FROM bl_candidates WHERE wallet = $5) END`

func (en *Engine) pay(ctx context.Context, tx pgx.Tx, o *domain.Outcome) error {
	e, d := o.Event, &o.Decision
	wallet := walletHash(en.pseudo, e.Wallet)
	var key, paid, status, enrolled pgtype.Text
	var dead bool
	var wc pgtype.Timestamptz
	var walletPersons int
	if err := tx.QueryRow(ctx, paySQL, e.NID, e.Programme, e.Cycle, e.EventID, wallet, e.BeneficiaryRef).Scan(
		&key, &paid, &dead, &wc, &status, &enrolled, &walletPersons); err != nil {
		return fmt.Errorf("claim payment: %w", err)
	}
	if key.Valid {
		if k, _ := personIDOfKey(en.pseudo, key.String); k != "" {
			d.PersonID = k
		}
	}
	block := func(rule string) { d.Action, d.Rules = domain.ActionBlock, append(d.Rules, rule) }
	switch {
	case paid.Valid && paid.String != e.EventID:
		block(domain.RuleDoublePayment)
	case dead:
		block(domain.RuleDeceasedOrExited)
	case status.String == "suspended" || status.String == "exited":
		block(domain.RuleDeceasedOrExited)
	case !status.Valid || status.String != "active":
		block(domain.RuleUnknownPayee)
	default:
		d.Action = domain.ActionAdmit
		if wallet != "" && enrolled.Valid && enrolled.String != "" && enrolled.String != wallet {
			d.Action, d.Rules = domain.ActionHold, append(d.Rules, domain.RuleWalletMismatch)
		}
		recent := time.Duration(en.policy.RecentWalletChangeDays) * 24 * time.Hour
		if wc.Valid && !e.Occurred.Before(wc.Time) && e.Occurred.Sub(wc.Time) < recent {
			d.Rules = append(d.Rules, domain.RuleRecentWallet)
		}
		if d.Action == domain.ActionAdmit && walletPersons > en.fc.SharedContactAlert {
			d.Rules = append(d.Rules, domain.RuleSharedContact)
			if walletPersons > en.fc.SharedContactHold {
				d.Action = domain.ActionHold
			}
		}
	}
	return nil
}

// personIDOfKey gives the person id ekjon uses for a baseline person key.
func personIDOfKey(pseudo *domain.Pseudonymizer, key string) (string, bool) {
	switch {
	case strings.HasPrefix(key, "ref:"):
		return "", false
	case strings.HasPrefix(key, "brn:"):
		return "P" + pseudo.Hash("brn", key[4:])[:16], true
	}
	return "P" + pseudo.Hash("nid", key)[:16], true
}

func (en *Engine) status(ctx context.Context, tx pgx.Tx, o *domain.Outcome) error {
	e, d := o.Event, &o.Decision
	d.Action = domain.ActionAdmit
	d.PersonID, _ = personIDOfKey(en.pseudo, e.NID)
	var b pgx.Batch
	switch e.Status {
	case domain.StatusDeceased:
		b.Queue(`INSERT INTO bl_persons (person_key, nid, deceased) VALUES ($1, $1, true)
			ON CONFLICT (person_key) DO UPDATE SET deceased = true`, e.NID)
	case domain.StatusExited, domain.StatusSuspended:
		b.Queue(`UPDATE bl_enrolments SET status = $3 WHERE person_key = $1 AND ($2 = '' OR programme = $2)
			AND status IN ('active', 'suspended')`, e.NID, e.Programme, e.Status)
	case domain.StatusReinstated:
		b.Queue(`UPDATE bl_enrolments SET status = 'active' WHERE person_key = $1 AND ($2 = '' OR programme = $2)
			AND status IN ('exited', 'suspended')`, e.NID, e.Programme)
		if e.Programme == "" {
			b.Queue(`UPDATE bl_persons SET deceased = false WHERE person_key = $1`, e.NID)
		}
	case domain.StatusWalletChanged:
		b.Queue(`UPDATE bl_enrolments SET wallet = $3 WHERE person_key = $1 AND ($2 = '' OR programme = $2)`,
			e.NID, e.Programme, walletHash(en.pseudo, e.Wallet))
		b.Queue(`UPDATE bl_persons SET wallet_changed_at = $2 WHERE person_key = $1`, e.NID, e.Occurred)
	}
	return tx.SendBatch(ctx, &b).Close()
}

// record writes the batch's decisions in one statement.
func (en *Engine) record(ctx context.Context, tx pgx.Tx, outs []domain.Outcome) error {
	n := len(outs)
	ids, acts, rules, keys := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	scores := make([]pgtype.Float8, n)
	kt := make([]pgtype.Timestamptz, n)
	for i := range outs {
		d := &outs[i].Decision
		ids[i], acts[i], rules[i], keys[i] = d.EventID, string(d.Action), strings.Join(d.Rules, ","), d.PersonID
		scores[i] = pgtype.Float8{Float64: d.Score, Valid: d.Score != 0}
		kt[i] = pgtype.Timestamptz{Time: outs[i].Origin.Time, Valid: !outs[i].Origin.Time.IsZero()}
	}
	_, err := tx.Exec(ctx, `INSERT INTO bl_decisions (event_id, action, rules, score, person_key, kafka_time)
		SELECT id, act, COALESCE(string_to_array(NULLIF(r, ''), ','), '{}'), s, NULLIF(k, ''), t
		FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::text[], $6::timestamptz[]) AS x(id, act, r, s, k, t)
		ON CONFLICT (event_id) DO NOTHING`, ids, acts, rules, scores, keys, kt)
	return err
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
