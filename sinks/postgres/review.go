package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ekjon/ekjon/domain"
)

// Alert statuses. An alert is unresolved until closed.
const (
	AlertOpen      = "open"
	AlertAssigned  = "assigned"
	AlertEscalated = "escalated"
	AlertClosed    = "closed"
	// AlertActive is a filter value meaning every status but closed.
	AlertActive = "active"
)

// AlertRow is an alert as the review queue sees it: the pipeline's alert and
// where review stands.
type AlertRow struct {
	domain.Alert
	Status     string     `json:"status"`
	Assignee   string     `json:"assignee,omitempty"`
	Revision   int        `json:"revision"`
	UpdatedAt  time.Time  `json:"updated_at"`
	Resolution string     `json:"resolution,omitempty"`
	ResolvedBy string     `json:"resolved_by,omitempty"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
}

// AlertCursor is the position after the last alert of a page: the queue is
// ordered by (created_at, alert_id).
type AlertCursor struct {
	CreatedAt time.Time
	AlertID   string
}

// Encode returns the cursor as an opaque URL-safe token.
func (c AlertCursor) Encode() string {
	return strconv.FormatInt(c.CreatedAt.UnixMicro(), 36) + "." + encodeB64(c.AlertID)
}

// DecodeAlertCursor parses a token from Encode; the error is of KindInvalid.
func DecodeAlertCursor(s string) (AlertCursor, error) {
	ts, id, ok := strings.Cut(s, ".")
	us, err := strconv.ParseInt(ts, 36, 64)
	if !ok || err != nil {
		return AlertCursor{}, &domain.Error{Kind: domain.KindInvalid, Op: "cursor", Fields: []domain.FieldError{{Field: "cursor", Reason: "is not a cursor this API returned"}}}
	}
	alertID, err := decodeB64(id)
	if err != nil {
		return AlertCursor{}, &domain.Error{Kind: domain.KindInvalid, Op: "cursor", Fields: []domain.FieldError{{Field: "cursor", Reason: "is not a cursor this API returned"}}}
	}
	return AlertCursor{CreatedAt: time.UnixMicro(us).UTC(), AlertID: alertID}, nil
}

// AlertFilter selects alerts for the queue. Zero fields do not filter.
type AlertFilter struct {
	// Status is one of the alert statuses or AlertActive.
	Status    string
	Rule      string
	Programme string
	District  string
	Assignee  string
	// CreatedBefore and CreatedAfter bound the alert's age.
	CreatedBefore time.Time
	CreatedAfter  time.Time
	After         *AlertCursor
	// Limit is the page size; ListAlerts caps it at 500.
	Limit int
}

const alertColumns = `a.alert_id, a.event_id, a.rule, a.action, a.programme, a.district, a.person_id,
	a.matched_person_id, a.score, a.explanation, a.created_at, a.status, a.assignee, a.revision,
	a.updated_at, a.resolution, a.resolved_by, a.resolved_at`

func scanAlert(row pgx.Row) (AlertRow, error) {
	var (
		a                                     AlertRow
		action                                string
		person, matched, assignee, res, resBy pgtype.Text
		score                                 pgtype.Float8
		expl                                  []byte
		resAt                                 pgtype.Timestamptz
	)
	err := row.Scan(&a.AlertID, &a.EventID, &a.Rule, &action, &a.Programme, &a.District, &person, &matched,
		&score, &expl, &a.CreatedAt, &a.Status, &assignee, &a.Revision, &a.UpdatedAt, &res, &resBy, &resAt)
	if err != nil {
		return a, err
	}
	a.Action, a.PersonID, a.MatchedPerson, a.Score = domain.Action(action), person.String, matched.String, score.Float64
	a.Assignee, a.Resolution, a.ResolvedBy = assignee.String, res.String, resBy.String
	if resAt.Valid {
		t := resAt.Time
		a.ResolvedAt = &t
	}
	if len(expl) > 0 {
		if err := json.Unmarshal(expl, &a.Explanation); err != nil {
			return a, err
		}
	}
	return a, nil
}

// ListAlertsQuery returns the SQL and arguments ListAlerts runs for f, so
// that its plan can be checked.
func ListAlertsQuery(f AlertFilter) (string, []any) {
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
	case AlertActive:
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
	if f.District != "" {
		where = append(where, "a.district = "+arg(f.District))
	}
	if f.Assignee != "" {
		where = append(where, "a.assignee = "+arg(f.Assignee))
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
	q := "SELECT " + alertColumns + " FROM alerts a"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return q + " ORDER BY a.created_at, a.alert_id LIMIT " + strconv.Itoa(pageSize(f)+1), args
}

func pageSize(f AlertFilter) int {
	if f.Limit <= 0 {
		return 50
	}
	return min(f.Limit, 500)
}

// ListAlerts returns one page of alerts, oldest first, and the cursor of
// the next page (nil on the last). The query is keyset-paginated and backed
// by the partial indexes of migration 0002, so a page costs the same at any
// depth.
func (s *Store) ListAlerts(ctx context.Context, f AlertFilter) ([]AlertRow, *AlertCursor, error) {
	q, args := ListAlertsQuery(f)
	limit := pageSize(f)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, nil, classify("postgres: list alerts", err)
	}
	defer rows.Close()
	out := make([]AlertRow, 0, limit+1)
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, nil, classify("postgres: list alerts", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, classify("postgres: list alerts", err)
	}
	var next *AlertCursor
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = &AlertCursor{CreatedAt: last.CreatedAt, AlertID: last.AlertID}
	}
	return out, next, nil
}

// Alert returns one alert; the error is of KindNotFound when there is none.
func (s *Store) Alert(ctx context.Context, id string) (AlertRow, error) {
	a, err := scanAlert(s.pool.QueryRow(ctx, "SELECT "+alertColumns+" FROM alerts a WHERE a.alert_id = $1", id))
	return a, classify("postgres: read alert", err)
}

// RevisedDecision is a decision as recorded, with who last revised it.
type RevisedDecision struct {
	domain.Decision
	RevisedBy string `json:"revised_by,omitempty"`
}

// Decision returns the recorded decision on an event; the error is of
// KindNotFound when the event is unknown.
func (s *Store) Decision(ctx context.Context, eventID string) (RevisedDecision, error) {
	d, err := scanRevised(s.pool.QueryRow(ctx, "SELECT "+decisionColumns+", revised_by FROM decisions WHERE event_id = $1", eventID))
	return d, classify("postgres: read decision", err)
}

func scanRevised(row pgx.Row) (RevisedDecision, error) {
	var (
		r       RevisedDecision
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

func encodeB64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func decodeB64(s string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return string(b), err
}

// Enrolment is one enrolment as recorded, with the person as enrolled.
type Enrolment struct {
	EventID        string        `json:"event_id"`
	PersonID       string        `json:"person_id"`
	Programme      string        `json:"programme"`
	BeneficiaryRef string        `json:"beneficiary_ref,omitempty"`
	Source         string        `json:"source,omitempty"`
	Status         string        `json:"status"`
	WalletKey      string        `json:"wallet_key,omitempty"`
	District       string        `json:"district,omitempty"`
	EnrolledAt     time.Time     `json:"enrolled_at"`
	Record         domain.Person `json:"record"`
}

// Payment is one distribution as recorded.
type Payment struct {
	EventID       string    `json:"event_id"`
	PersonID      string    `json:"person_id,omitempty"`
	Programme     string    `json:"programme"`
	Cycle         string    `json:"cycle"`
	Amount        float64   `json:"amount"`
	Channel       string    `json:"channel,omitempty"`
	WalletKey     string    `json:"wallet_key,omitempty"`
	DistributorID string    `json:"distributor_id,omitempty"`
	DeviceID      string    `json:"device_id,omitempty"`
	District      string    `json:"district,omitempty"`
	Upazila       string    `json:"upazila,omitempty"`
	Action        string    `json:"action"`
	PaidAt        time.Time `json:"paid_at"`
}

const enrolmentColumns = `e.event_id, e.person_id, e.programme, e.beneficiary_ref, e.source, e.status, e.wallet_key,
	e.district, e.enrolled_at, e.record`

func scanEnrolment(row pgx.Row) (Enrolment, error) {
	var (
		e   Enrolment
		rec []byte
	)
	if err := row.Scan(&e.EventID, &e.PersonID, &e.Programme, &e.BeneficiaryRef, &e.Source, &e.Status,
		&e.WalletKey, &e.District, &e.EnrolledAt, &rec); err != nil {
		return e, err
	}
	return e, json.Unmarshal(rec, &e.Record)
}

func (s *Store) enrolments(ctx context.Context, where string, args ...any) ([]Enrolment, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+enrolmentColumns+" FROM enrolments e WHERE "+where, args...)
	if err != nil {
		return nil, classify("postgres: read enrolments", err)
	}
	defer rows.Close()
	var out []Enrolment
	for rows.Next() {
		e, err := scanEnrolment(rows)
		if err != nil {
			return nil, classify("postgres: read enrolments", err)
		}
		out = append(out, e)
	}
	return out, classify("postgres: read enrolments", rows.Err())
}

func (s *Store) payment(ctx context.Context, eventID string) (*Payment, error) {
	var p Payment
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

// AuditEntry is one row of the audit trail.
type AuditEntry struct {
	ID         int64           `json:"id"`
	At         time.Time       `json:"at"`
	Actor      string          `json:"actor"`
	Role       string          `json:"role,omitempty"`
	Action     string          `json:"action"`
	ObjectKind string          `json:"object_kind"`
	ObjectID   string          `json:"object_id"`
	Reason     string          `json:"reason,omitempty"`
	Before     json.RawMessage `json:"before,omitempty"`
	After      json.RawMessage `json:"after,omitempty"`
	Address    string          `json:"address,omitempty"`
}

// History returns the audit trail of one object, oldest first.
func (s *Store) History(ctx context.Context, kind, id string) ([]AuditEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT audit_id, at, actor, role, action, object_kind, object_id, reason,
		before, after, address FROM audit WHERE object_kind = $1 AND object_id = $2 ORDER BY at, audit_id`, kind, id)
	if err != nil {
		return nil, classify("postgres: read audit", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Role, &e.Action, &e.ObjectKind, &e.ObjectID, &e.Reason,
			&e.Before, &e.After, &e.Address); err != nil {
			return nil, classify("postgres: read audit", err)
		}
		out = append(out, e)
	}
	return out, classify("postgres: read audit", rows.Err())
}

// Case is everything a reviewer needs to decide an alert: the alert, the
// decision, the event's record, the record it is compared with and the
// history of actions on it. Personal data is in clear; the API masks it.
type Case struct {
	Alert    AlertRow        `json:"alert"`
	Decision RevisedDecision `json:"decision"`
	// Enrolment is the event's record when the event is an enrolment.
	Enrolment *Enrolment `json:"enrolment,omitempty"`
	// Payment is the event's record when the event is a distribution.
	Payment *Payment `json:"payment,omitempty"`
	// Matched is the matched person's latest enrolment, when the alert
	// names one; for a payment without one, the payee's enrolment in the
	// programme, so the wallets can be compared.
	Matched *Enrolment   `json:"matched,omitempty"`
	History []AuditEntry `json:"history"`
}

// Case assembles the case of one alert; the error is of KindNotFound when
// the alert is unknown.
func (s *Store) Case(ctx context.Context, alertID string) (*Case, error) {
	a, err := s.Alert(ctx, alertID)
	if err != nil {
		return nil, err
	}
	c := &Case{Alert: a}
	if c.Decision, err = s.Decision(ctx, a.EventID); err != nil {
		return nil, err
	}
	ens, err := s.enrolments(ctx, "e.event_id = $1", a.EventID)
	if err != nil {
		return nil, err
	}
	if len(ens) > 0 {
		c.Enrolment = &ens[0]
	} else if c.Payment, err = s.payment(ctx, a.EventID); err != nil {
		return nil, err
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
		m, err := s.enrolments(ctx, `e.person_id = $1 AND e.programme = $2 AND e.status <> 'blocked'
			ORDER BY e.enrolled_at DESC LIMIT 1`, c.Payment.PersonID, c.Payment.Programme)
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

// PersonView is a person with their enrolments, recent decisions and the
// judgements made about them. The NID is in clear; the API masks it.
type PersonView struct {
	PersonID   string            `json:"person_id"`
	IDKind     string            `json:"id_kind"`
	NID        string            `json:"nid,omitempty"`
	DeceasedAt *time.Time        `json:"deceased_at,omitempty"`
	CreatedAt  time.Time         `json:"created_at"`
	Enrolments []Enrolment       `json:"enrolments"`
	Decisions  []RevisedDecision `json:"decisions"`
	Judgements []JudgementRow    `json:"judgements"`
}

// JudgementRow is one stored "same person" / "not the same person" verdict.
type JudgementRow struct {
	Other     string    `json:"other_person_id"`
	Verdict   string    `json:"verdict"`
	AlertID   string    `json:"alert_id,omitempty"`
	DecidedBy string    `json:"decided_by"`
	DecidedAt time.Time `json:"decided_at"`
}

// Person returns one person's view; KindNotFound when unknown.
func (s *Store) Person(ctx context.Context, id string) (*PersonView, error) {
	p := &PersonView{PersonID: id}
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
		var j JudgementRow
		if err := jr.Scan(&j.Other, &j.Verdict, &j.AlertID, &j.DecidedBy, &j.DecidedAt); err != nil {
			return nil, classify("postgres: read person", err)
		}
		p.Judgements = append(p.Judgements, j)
	}
	return p, classify("postgres: read person", jr.Err())
}

// Stats is the overview: unresolved alerts by rule and district and
// decisions per hour.
type Stats struct {
	OpenTotal      int64       `json:"open_total"`
	OpenByRule     []Count     `json:"open_by_rule"`
	OpenByDistrict []Count     `json:"open_by_district"`
	OpenByStatus   []Count     `json:"open_by_status"`
	DecisionsPerHr []HourCount `json:"decisions_per_hour"`
}

// Count is a number of things sharing a key.
type Count struct {
	Key   string `json:"key"`
	Count int64  `json:"count"`
}

// HourCount is the decisions made in one hour, by action.
type HourCount struct {
	Hour     time.Time        `json:"hour"`
	Total    int64            `json:"total"`
	ByAction map[string]int64 `json:"by_action"`
	Revised  int64            `json:"revised"`
}

// Stats computes the overview for the hours up to now.
func (s *Store) Stats(ctx context.Context, now time.Time, hours int) (*Stats, error) {
	st := &Stats{}
	counts := func(q string, into *[]Count) error {
		rows, err := s.pool.Query(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c Count
			if err := rows.Scan(&c.Key, &c.Count); err != nil {
				return err
			}
			*into = append(*into, c)
		}
		return rows.Err()
	}
	for _, q := range []struct {
		sql  string
		into *[]Count
	}{
		{`SELECT rule, count(*) FROM alerts WHERE status <> 'closed' GROUP BY 1 ORDER BY 2 DESC, 1`, &st.OpenByRule},
		{`SELECT district, count(*) FROM alerts WHERE status <> 'closed' GROUP BY 1 ORDER BY 2 DESC, 1`, &st.OpenByDistrict},
		{`SELECT status, count(*) FROM alerts WHERE status <> 'closed' GROUP BY 1 ORDER BY 1`, &st.OpenByStatus},
	} {
		if err := counts(q.sql, q.into); err != nil {
			return nil, classify("postgres: stats", err)
		}
	}
	for _, c := range st.OpenByStatus {
		st.OpenTotal += c.Count
	}
	from := now.Truncate(time.Hour).Add(-time.Duration(hours-1) * time.Hour)
	rows, err := s.pool.Query(ctx, `SELECT date_trunc('hour', decided_at), action, count(*), count(revised_by)
		FROM decisions WHERE decided_at >= $1 GROUP BY 1, 2 ORDER BY 1`, from)
	if err != nil {
		return nil, classify("postgres: stats", err)
	}
	defer rows.Close()
	byHour := make(map[time.Time]*HourCount)
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
			hc = &HourCount{Hour: h.UTC(), ByAction: map[string]int64{}}
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
			st.DecisionsPerHr = append(st.DecisionsPerHr, HourCount{Hour: h, ByAction: map[string]int64{}})
		}
	}
	return st, nil
}

// Judgement returns the stored verdict on whether persons a and b are one
// person: "same" or "not_same", and false when no reviewer has judged the
// pair. The pair is unordered. The matcher calls it before holding or
// admitting a fuzzy match, so that a reviewer's verdict stands.
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
