package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
)

// Store is the record the review service works on, and the keeper of its
// users.
var (
	_ review.Store = (*Store)(nil)
	_ review.Users = (*Store)(nil)
)

const alertColumns = `a.alert_id, a.event_id, a.rule, a.action, a.programme, a.district, a.person_id,
	a.matched_person_id, a.score, a.explanation, a.created_at, a.status, a.assignee, a.revision,
	a.updated_at, a.resolution, a.resolved_by, a.resolved_at, a.evidence, a.case_id`

func scanAlert(row pgx.Row, extra ...any) (review.AlertRow, error) {
	var (
		a                                     review.AlertRow
		action                                string
		person, matched, assignee, res, resBy pgtype.Text
		caseID                                pgtype.Text
		score                                 pgtype.Float8
		expl, evidence                        []byte
		resAt                                 pgtype.Timestamptz
	)
	dest := []any{&a.AlertID, &a.EventID, &a.Rule, &action, &a.Programme, &a.District, &person, &matched,
		&score, &expl, &a.CreatedAt, &a.Status, &assignee, &a.Revision, &a.UpdatedAt, &res, &resBy, &resAt, &evidence, &caseID}
	err := row.Scan(append(dest, extra...)...)
	if err != nil {
		return a, err
	}
	a.Action, a.PersonID, a.MatchedPerson, a.Score = domain.Action(action), person.String, matched.String, score.Float64
	a.Assignee, a.Resolution, a.ResolvedBy, a.CaseID = assignee.String, res.String, resBy.String, caseID.String
	if resAt.Valid {
		t := resAt.Time
		a.ResolvedAt = &t
	}
	if len(expl) > 0 {
		if err := json.Unmarshal(expl, &a.Explanation); err != nil {
			return a, err
		}
	}
	if len(evidence) > 0 {
		if err := json.Unmarshal(evidence, &a.Evidence); err != nil {
			return a, err
		}
	}
	return a, nil
}

// ListAlertsQuery returns the SQL and arguments ListAlerts runs for f, so
// that its plan can be checked.
func ListAlertsQuery(f review.AlertFilter) (string, []any) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	switch f.Status {
	case "":
	case review.AlertActive:
		where = append(where, "a.status <> 'closed'")
	default:
		where = append(where, "a.status = "+arg(f.Status))
	}
	if f.Rule != "" {
		where = append(where, "a.rule = "+arg(f.Rule))
	}
	if f.Programme != "" {
		where = append(where, "a.programme = "+arg(f.Programme))
	}
	if f.Scope.Limited {
		where = append(where, "a.programme = ANY("+arg(scopeProgrammes(f.Scope))+")")
	}
	if f.District != "" {
		// Any spelling of the district finds it, and so do rows stored
		// before places were stored by code.
		where = append(where, "a.district = ANY("+arg(domain.Places().Spellings(domain.LevelDistrict, f.District))+")")
	}
	if f.Assignee != "" {
		where = append(where, "a.assignee = "+arg(f.Assignee))
	}
	if f.CaseID != "" {
		where = append(where, "a.case_id = "+arg(f.CaseID))
	}
	if !f.CreatedBefore.IsZero() {
		where = append(where, "a.created_at < "+arg(f.CreatedBefore))
	}
	if !f.CreatedAfter.IsZero() {
		where = append(where, "a.created_at >= "+arg(f.CreatedAfter))
	}
	if f.After != nil {
		where = append(where, fmt.Sprintf("(a.created_at, a.alert_id) > (%s, %s)", arg(f.After.CreatedAt), arg(f.After.AlertID)))
	}
	// The person's names come from the event's own enrolment, or else
	// from the person's first: a payment's alert names its payee.
	q := "SELECT " + alertColumns + `, coalesce(own.record->>'name_bn', first.record->>'name_bn', ''),
		coalesce(own.record->>'name_en', first.record->>'name_en', '')
		FROM alerts a
		LEFT JOIN enrolments own ON own.event_id = a.event_id
		LEFT JOIN LATERAL (SELECT e.record FROM enrolments e WHERE own.event_id IS NULL AND e.person_id = a.person_id
			ORDER BY e.enrolled_at LIMIT 1) first ON true`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return q + " ORDER BY a.created_at, a.alert_id LIMIT " + strconv.Itoa(f.PageSize()+1), args
}

// ListAlerts returns one page of alerts, oldest first, and the cursor of
// the next page (nil on the last). The query is keyset-paginated and backed
// by the partial indexes of migration 0002, so a page costs the same at any
// depth.
func (s *Store) ListAlerts(ctx context.Context, f review.AlertFilter) ([]review.AlertRow, *review.AlertCursor, error) {
	q, args := ListAlertsQuery(f)
	limit := f.PageSize()
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, nil, classify("postgres: list alerts", err)
	}
	defer rows.Close()
	out := make([]review.AlertRow, 0, limit+1)
	for rows.Next() {
		var bn, en string
		a, err := scanAlert(rows, &bn, &en)
		if err != nil {
			return nil, nil, classify("postgres: list alerts", err)
		}
		a.NameBN, a.NameEN = bn, en
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, classify("postgres: list alerts", err)
	}
	var next *review.AlertCursor
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = &review.AlertCursor{CreatedAt: last.CreatedAt, AlertID: last.AlertID}
	}
	return out, next, nil
}

// Alert returns one alert; the error is of KindNotFound when there is none.
func (s *Store) Alert(ctx context.Context, id string) (review.AlertRow, error) {
	a, err := scanAlert(s.pool.QueryRow(ctx, "SELECT "+alertColumns+" FROM alerts a WHERE a.alert_id = $1", id))
	return a, classify("postgres: read alert", err)
}

// Decision returns the recorded decision on an event; the error is of
// KindNotFound when the event is unknown.
func (s *Store) Decision(ctx context.Context, eventID string) (review.RevisedDecision, error) {
	d, err := scanRevised(s.pool.QueryRow(ctx, "SELECT "+decisionColumns+", revised_by FROM decisions WHERE event_id = $1", eventID))
	return d, classify("postgres: read decision", err)
}

func scanRevised(row pgx.Row) (review.RevisedDecision, error) {
	var (
		r       review.RevisedDecision
		score   pgtype.Float8
		expl    []byte
		person  pgtype.Text
		matched pgtype.Text
		revised pgtype.Text
		evType  string
		action  string
	)
	d := &r.Decision
	err := row.Scan(&d.EventID, &evType, &d.Source, &d.Programme, &action, &d.Rules, &d.Reason,
		&score, &expl, &person, &matched, &d.DecidedAt, &d.ConfigVersion, &revised)
	if err != nil {
		return r, err
	}
	d.EventType, d.Action = domain.EventType(evType), domain.Action(action)
	d.Score, d.PersonID, d.MatchedPerson, r.RevisedBy = score.Float64, person.String, matched.String, revised.String
	if len(expl) > 0 {
		if err := json.Unmarshal(expl, &d.Explanation); err != nil {
			return r, err
		}
	}
	return r, nil
}

const enrolmentColumns = `e.event_id, e.person_id, e.programme, e.beneficiary_ref, e.source, e.status, e.wallet_key,
	e.district, e.enrolled_at, e.record`

func scanEnrolment(row pgx.Row) (review.Enrolment, error) {
	var (
		e   review.Enrolment
		rec []byte
	)
	if err := row.Scan(&e.EventID, &e.PersonID, &e.Programme, &e.BeneficiaryRef, &e.Source, &e.Status,
		&e.WalletKey, &e.District, &e.EnrolledAt, &rec); err != nil {
		return e, err
	}
	return e, json.Unmarshal(rec, &e.Record)
}

func (s *Store) enrolments(ctx context.Context, where string, args ...any) ([]review.Enrolment, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+enrolmentColumns+" FROM enrolments e WHERE "+where, args...)
	if err != nil {
		return nil, classify("postgres: read enrolments", err)
	}
	defer rows.Close()
	var out []review.Enrolment
	for rows.Next() {
		e, err := scanEnrolment(rows)
		if err != nil {
			return nil, classify("postgres: read enrolments", err)
		}
		out = append(out, e)
	}
	return out, classify("postgres: read enrolments", rows.Err())
}

func (s *Store) payment(ctx context.Context, eventID string) (*review.Payment, error) {
	var p review.Payment
	err := s.pool.QueryRow(ctx, `SELECT event_id, person_id, programme, cycle, amount::float8, channel, wallet_key,
		distributor_id, device_id, district, upazila, action, paid_at FROM payments WHERE event_id = $1`, eventID).
		Scan(&p.EventID, &p.PersonID, &p.Programme, &p.Cycle, &p.Amount, &p.Channel, &p.WalletKey, &p.DistributorID,
			&p.DeviceID, &p.District, &p.Upazila, &p.Action, &p.PaidAt)
	if err == pgx.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, classify("postgres: read payment", err)
	}
	return &p, nil
}

// History returns the actions on one object, oldest first: its audit
// trail but for the reads of it (action read:…), which the trail keeps
// and the history a reviewer sees leaves out.
func (s *Store) History(ctx context.Context, kind, id string) ([]review.AuditEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT audit_id, at, actor, role, action, object_kind, object_id, reason,
		before, after, address FROM audit WHERE object_kind = $1 AND object_id = $2 AND action NOT LIKE 'read:%'
		ORDER BY at, audit_id`, kind, id)
	if err != nil {
		return nil, classify("postgres: read audit", err)
	}
	defer rows.Close()
	var out []review.AuditEntry
	for rows.Next() {
		var e review.AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Role, &e.Action, &e.ObjectKind, &e.ObjectID, &e.Reason,
			&e.Before, &e.After, &e.Address); err != nil {
			return nil, classify("postgres: read audit", err)
		}
		out = append(out, e)
	}
	return out, classify("postgres: read audit", rows.Err())
}

// Case assembles the case of one alert; the error is of KindNotFound when
// the alert is unknown.
func (s *Store) Case(ctx context.Context, alertID string) (*review.Case, error) {
	a, err := s.Alert(ctx, alertID)
	if err != nil {
		return nil, err
	}
	c := &review.Case{Alert: a}
	if c.Decision, err = s.Decision(ctx, a.EventID); err != nil {
		return nil, err
	}
	if c.Enrolment, c.Others, err = claimants(ctx, s.pool, a.EventID, false); err != nil {
		return nil, err
	}
	if c.Enrolment == nil {
		if c.Payment, err = s.payment(ctx, a.EventID); err != nil {
			return nil, err
		}
	}
	switch {
	case a.MatchedPerson != "":
		m, err := s.enrolments(ctx, "e.person_id = $1 AND e.event_id <> $2 ORDER BY e.enrolled_at DESC LIMIT 1", a.MatchedPerson, a.EventID)
		if err != nil {
			return nil, err
		}
		if len(m) > 0 {
			c.Matched = &m[0]
		}
	case c.Payment != nil && c.Payment.PersonID != "":
		m, err := s.enrolments(ctx, `e.person_id = $1 AND e.programme = $2 AND e.status <> ALL($3)
			ORDER BY e.enrolled_at DESC, e.event_id DESC LIMIT 1`, c.Payment.PersonID, c.Payment.Programme, domain.NeverClaims())
		if err != nil {
			return nil, err
		}
		if len(m) > 0 {
			c.Matched = &m[0]
		}
	}
	if c.History, err = s.History(ctx, "alert", alertID); err != nil {
		return nil, err
	}
	return c, nil
}

// Person returns one person's view; KindNotFound when unknown.
func (s *Store) Person(ctx context.Context, id string) (*review.PersonView, error) {
	p := &review.PersonView{PersonID: id}
	var dead pgtype.Timestamptz
	err := s.pool.QueryRow(ctx, `SELECT id_kind, nid, deceased_at, created_at FROM persons WHERE person_id = $1`, id).
		Scan(&p.IDKind, &p.NID, &dead, &p.CreatedAt)
	if err != nil {
		return nil, classify("postgres: read person", err)
	}
	if dead.Valid {
		t := dead.Time
		p.DeceasedAt = &t
	}
	if p.Enrolments, err = s.enrolments(ctx, "e.person_id = $1 ORDER BY e.enrolled_at", id); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, "SELECT "+decisionColumns+", revised_by FROM decisions WHERE person_id = $1 ORDER BY decided_at DESC LIMIT 100", id)
	if err != nil {
		return nil, classify("postgres: read person", err)
	}
	for rows.Next() {
		d, err := scanRevised(rows)
		if err != nil {
			rows.Close()
			return nil, classify("postgres: read person", err)
		}
		p.Decisions = append(p.Decisions, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, classify("postgres: read person", err)
	}
	jr, err := s.pool.Query(ctx, `SELECT CASE WHEN person_a = $1 THEN person_b ELSE person_a END, verdict, alert_id,
		decided_by, decided_at FROM match_judgements WHERE person_a = $1 OR person_b = $1 ORDER BY decided_at`, id)
	if err != nil {
		return nil, classify("postgres: read person", err)
	}
	defer jr.Close()
	for jr.Next() {
		var j review.JudgementRow
		if err := jr.Scan(&j.Other, &j.Judgement, &j.AlertID, &j.JudgedBy, &j.JudgedAt); err != nil {
			return nil, classify("postgres: read person", err)
		}
		p.Judgements = append(p.Judgements, j)
	}
	return p, classify("postgres: read person", jr.Err())
}

// Stats computes the overview for the hours up to now.
func (s *Store) Stats(ctx context.Context, now time.Time, hours int, scope review.Scope) (*review.Stats, error) {
	st := &review.Stats{}
	// $1 is the programmes the scope allows; NULL allows all.
	var progs []string
	if scope.Limited {
		progs = scopeProgrammes(scope)
	}
	counts := func(q string, into *[]review.Count) error {
		rows, err := s.pool.Query(ctx, q, progs)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c review.Count
			if err := rows.Scan(&c.Key, &c.Count); err != nil {
				return err
			}
			*into = append(*into, c)
		}
		return rows.Err()
	}
	for _, q := range []struct {
		sql  string
		into *[]review.Count
	}{
		{`SELECT rule, count(*) FROM alerts WHERE status <> 'closed' AND ($1::text[] IS NULL OR programme = ANY($1)) GROUP BY 1 ORDER BY 2 DESC, 1`, &st.OpenByRule},
		{`SELECT district, count(*) FROM alerts WHERE status <> 'closed' AND ($1::text[] IS NULL OR programme = ANY($1)) GROUP BY 1 ORDER BY 2 DESC, 1`, &st.OpenByDistrict},
		{`SELECT status, count(*) FROM alerts WHERE status <> 'closed' AND ($1::text[] IS NULL OR programme = ANY($1)) GROUP BY 1 ORDER BY 1`, &st.OpenByStatus},
	} {
		if err := counts(q.sql, q.into); err != nil {
			return nil, classify("postgres: stats", err)
		}
	}
	st.OpenByDistrict = foldDistricts(st.OpenByDistrict)
	for _, c := range st.OpenByStatus {
		st.OpenTotal += c.Count
	}
	from := now.Truncate(time.Hour).Add(-time.Duration(hours-1) * time.Hour)
	rows, err := s.pool.Query(ctx, `SELECT date_trunc('hour', decided_at), action, count(*), count(revised_by)
		FROM decisions WHERE decided_at >= $1 AND ($2::text[] IS NULL OR programme = ANY($2)) GROUP BY 1, 2 ORDER BY 1`, from, progs)
	if err != nil {
		return nil, classify("postgres: stats", err)
	}
	defer rows.Close()
	byHour := make(map[time.Time]*review.HourCount)
	for rows.Next() {
		var (
			h          time.Time
			action     string
			n, revised int64
		)
		if err := rows.Scan(&h, &action, &n, &revised); err != nil {
			return nil, classify("postgres: stats", err)
		}
		hc := byHour[h.UTC()]
		if hc == nil {
			hc = &review.HourCount{Hour: h.UTC(), ByAction: map[string]int64{}}
			byHour[h.UTC()] = hc
		}
		hc.ByAction[action] += n
		hc.Total += n
		hc.Revised += revised
	}
	if err := rows.Err(); err != nil {
		return nil, classify("postgres: stats", err)
	}
	for i := 0; i < hours; i++ {
		h := from.Add(time.Duration(i) * time.Hour).UTC()
		if hc := byHour[h]; hc != nil {
			st.DecisionsPerHr = append(st.DecisionsPerHr, *hc)
		} else {
			st.DecisionsPerHr = append(st.DecisionsPerHr, review.HourCount{Hour: h, ByAction: map[string]int64{}})
		}
	}
	return st, nil
}

// scopeProgrammes is a limited scope's programmes as a query argument:
// never NULL, which the queries read as every programme.
func scopeProgrammes(s review.Scope) []string {
	if s.Programmes == nil {
		return []string{}
	}
	return s.Programmes
}

// foldDistricts adds up counts whose keys name one district, keyed by its
// BBS code: rows stored before places were stored by code may name it in
// English or Bangla. Largest first.
func foldDistricts(cs []review.Count) []review.Count {
	sum := map[string]int64{}
	var order []string
	for _, c := range cs {
		k := domain.Places().Code(domain.LevelDistrict, c.Key)
		if _, ok := sum[k]; !ok {
			order = append(order, k)
		}
		sum[k] += c.Count
	}
	out := make([]review.Count, 0, len(order))
	for _, k := range order {
		out = append(out, review.Count{Key: k, Count: sum[k]})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// Judgement returns the stored judgement on whether persons a and b are
// one person (domain.JudgementSame or domain.JudgementNotSame), and false
// when no reviewer has judged the pair. The pair is unordered. The matcher
// calls it before holding or admitting a fuzzy match, so that a reviewer's
// judgement stands.
func (s *Store) Judgement(ctx context.Context, a, b string) (string, bool, error) {
	if a > b {
		a, b = b, a
	}
	var v string
	err := s.pool.QueryRow(ctx, `SELECT verdict FROM match_judgements WHERE person_a = $1 AND person_b = $2`, a, b).Scan(&v)
	if err == pgx.ErrNoRows {
		return "", false, nil
	}
	if err != nil {
		return "", false, classify("postgres: read judgement", err)
	}
	return v, true, nil
}

// Ruling is a pair of persons a reviewer ruled on, each with the record of
// their latest enrolment.
type Ruling struct {
	// AID and BID are the persons, A and B their latest enrolments'
	// records.
	AID, BID string
	A, B     domain.Person
	Same     bool
}

// Rulings calls fn with every pair of persons reviewers ruled the same
// person or not, oldest ruling first, each person with their latest
// enrolment's record; a pair of which a person has no enrolment is left
// out, having nothing to compare.
func (s *Store) Rulings(ctx context.Context, fn func(Ruling) error) error {
	rows, err := s.pool.Query(ctx, `SELECT j.person_a, j.person_b, j.verdict = 'same', ra.record, rb.record
		FROM match_judgements j
		JOIN LATERAL (SELECT record FROM enrolments e WHERE e.person_id = j.person_a AND e.record IS NOT NULL
			ORDER BY e.enrolled_at DESC, e.event_id DESC LIMIT 1) ra ON true
		JOIN LATERAL (SELECT record FROM enrolments e WHERE e.person_id = j.person_b AND e.record IS NOT NULL
			ORDER BY e.enrolled_at DESC, e.event_id DESC LIMIT 1) rb ON true
		ORDER BY j.decided_at, j.person_a, j.person_b`)
	if err != nil {
		return classify("postgres: read rulings", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Ruling
		var a, b []byte
		if err := rows.Scan(&r.AID, &r.BID, &r.Same, &a, &b); err != nil {
			return classify("postgres: read rulings", err)
		}
		if err := json.Unmarshal(a, &r.A); err != nil {
			return domain.Wrap(domain.KindInternal, "postgres: read rulings: enrolment record", err)
		}
		if err := json.Unmarshal(b, &r.B); err != nil {
			return domain.Wrap(domain.KindInternal, "postgres: read rulings: enrolment record", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return classify("postgres: read rulings", rows.Err())
}
