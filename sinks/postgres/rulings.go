package postgres

import (
	"time"

	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
)

// ReviewAlert applies one action to an alert in one transaction: it locks
// the alert and its decision, asks plan what to change (plan may refuse
// with an error, which is returned as is), and writes the changes, the
// audit row and, for a revised decision, the outbox row together. So a
// revised decision is published if and only if it was committed, and two
// reviewers acting at once are serialised: the second sees the first's
// outcome. It returns the alert as it now stands and whether an outbox row
// was written.
//
// The transaction holds the index generation lock shared, as Write does,
// taken first so that it orders with Write's row locks, and records the
// generation in the outbox row: a rebuild cannot begin while a review is
// being committed, so the rebuild of any later generation reads a record
// that holds the review (see review.OutboxRow.Generation).
func (s *Store) ReviewAlert(ctx context.Context, alertID string, actor review.Actor, reason string, plan func(*review.Locked) (review.Plan, error)) (review.AlertRow, bool, error) {
	var (
		out       review.AlertRow
		published bool
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		gen, err := sharedGeneration(ctx, tx)
		if err != nil {
			return classify("postgres: index generation", err)
		}
		var l review.Locked
		if l.Alert, err = scanAlert(tx.QueryRow(ctx, "SELECT "+alertColumns+" FROM alerts a WHERE a.alert_id = $1 FOR UPDATE", alertID)); err != nil {
			return classify("postgres: lock alert", err)
		}
		if l.Decision, err = scanRevised(tx.QueryRow(ctx, "SELECT "+decisionColumns+", revised_by FROM decisions WHERE event_id = $1 FOR UPDATE", l.Alert.EventID)); err != nil {
			return classify("postgres: lock decision", err)
		}
		if l.Decision.PersonID != "" {
			var key pgtype.Text
			err := tx.QueryRow(ctx, "SELECT index_key FROM persons WHERE person_id = $1", l.Decision.PersonID).Scan(&key)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return classify("postgres: read person", err)
			}
			l.IndexKey = key.String
		}
		switch l.Decision.EventType {
		case domain.TypeEnrolment:
			if l.Enrolment, l.Others, err = claimants(ctx, tx, l.Alert.EventID, true); err != nil {
				return err
			}
		case domain.TypeDistribution:
			err := tx.QueryRow(ctx, "SELECT action FROM payments WHERE event_id = $1 FOR UPDATE", l.Alert.EventID).Scan(&l.PaymentAction)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return classify("postgres: lock payment", err)
			}
		}
		p, err := plan(&l)
		if err != nil {
			return err
		}
		before := map[string]any{"alert": l.Alert, "decision": l.Decision}
		after := map[string]any{}

		status := l.Alert.Status
		if p.AlertStatus != "" {
			status = p.AlertStatus
		}
		assignee := pgtype.Text{String: l.Alert.Assignee, Valid: l.Alert.Assignee != ""}
		if p.Assignee != nil {
			assignee = pgtype.Text{String: *p.Assignee, Valid: *p.Assignee != ""}
		}
		closing := status == review.AlertClosed && l.Alert.Status != review.AlertClosed
		if out, err = scanAlert(tx.QueryRow(ctx, `UPDATE alerts a SET status = $2, assignee = $3, revision = revision + 1,
				updated_at = clock_timestamp(),
				resolution = CASE WHEN $4 THEN $5 ELSE resolution END,
				resolved_by = CASE WHEN $4 THEN $6 ELSE resolved_by END,
				resolved_at = CASE WHEN $4 THEN clock_timestamp() ELSE resolved_at END
			WHERE alert_id = $1 RETURNING `+alertColumns,
			alertID, status, assignee, closing, p.Resolution, actor.Username)); err != nil {
			return classify("postgres: update alert", err)
		}
		after["alert"] = out

		if d := p.Decision; d != nil {
			var expl []byte
			if len(d.Explanation) > 0 {
				expl, _ = json.Marshal(d.Explanation)
			}
			if _, err := tx.Exec(ctx, `UPDATE decisions SET action = $2, rules = $3, reason = $4, decided_at = $5,
					revised_by = $6, explanation = COALESCE($7::jsonb, explanation) WHERE event_id = $1`,
				d.EventID, string(d.Action), d.Rules, d.Reason, d.DecidedAt, actor.Username, expl); err != nil {
				return classify("postgres: revise decision", err)
			}
			body, err := json.Marshal(d)
			if err != nil {
				return domain.Wrap(domain.KindInternal, "postgres: encode decision", err)
			}
			var op []byte
			if p.IndexOp != nil {
				op, _ = json.Marshal(p.IndexOp)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO outbox (event_id, decision, index_op, generation) VALUES ($1, $2, $3, $4)`,
				d.EventID, body, op, gen); err != nil {
				return classify("postgres: write outbox", err)
			}
			after["decision"] = review.RevisedDecision{Decision: *d, RevisedBy: actor.Username}
			published = true
		}
		if err := retire(ctx, tx, p.Retire, &l, actor, alertID); err != nil {
			return err
		}
		if len(p.Retire) > 0 {
			after["replaced"] = p.Retire
		}
		if p.EnrolmentStatus != "" && l.Enrolment != nil {
			if _, err := tx.Exec(ctx, `UPDATE enrolments SET status = $2 WHERE event_id = $1`, l.Alert.EventID, p.EnrolmentStatus); err != nil {
				return classify("postgres: update enrolment", err)
			}
			after["enrolment_status"] = p.EnrolmentStatus
			if p.EnrolmentStatus == domain.EnrolmentActive {
				// A person a reviewer admits is issued a card as one
				// the stream admits is (issueCards).
				var b batchRows
				b.addCard(l.Enrolment.PersonID, "review:"+actor.Username, time.Now().UTC())
				if c := b.cards; len(c.no) > 0 {
					if _, err := tx.Exec(ctx, issueCards, c.no, c.person, c.event, c.at); err != nil {
						return classify("postgres: issue card", err)
					}
				}
			}
		}
		if p.PaymentAction != "" && l.PaymentAction != "" {
			if _, err := tx.Exec(ctx, `UPDATE payments SET action = $2 WHERE event_id = $1`, l.Alert.EventID, p.PaymentAction); err != nil {
				return classify("postgres: update payment", err)
			}
			after["payment_action"] = p.PaymentAction
		}
		if p.Judgement != "" {
			a, b := l.Alert.PersonID, l.Alert.MatchedPerson
			if a > b {
				a, b = b, a
			}
			if _, err := tx.Exec(ctx, `INSERT INTO match_judgements (person_a, person_b, verdict, alert_id, decided_by, decided_at)
					VALUES ($1, $2, $3, $4, $5, clock_timestamp())
				ON CONFLICT (person_a, person_b) DO UPDATE SET verdict = EXCLUDED.verdict, alert_id = EXCLUDED.alert_id,
					decided_by = EXCLUDED.decided_by, decided_at = EXCLUDED.decided_at`,
				a, b, p.Judgement, alertID, actor.Username); err != nil {
				return classify("postgres: store judgement", err)
			}
			// The person's cluster follows the judgement in the same
			// transaction: "same" joins, "not the same" splits.
			if err := judgeCluster(ctx, tx, p.Judgement, l.Alert.PersonID, l.Alert.MatchedPerson, alertID,
				l.Alert.EventID, actor.Username); err != nil {
				return classify("postgres: cluster judgement", err)
			}
			after["judgement"] = p.Judgement
		}
		return insertAudit(ctx, tx, review.AuditEntry{
			Actor: actor.Username, Role: actor.Role, Action: p.AuditAction, ObjectKind: "alert", ObjectID: alertID,
			Reason: reason, Address: actor.Address,
		}, before, after)
	})
	return out, published, err
}

// querier is what a pool and a transaction share.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// claimants returns the enrolment of event eventID (nil when the event has
// none) and, newest first (review.ClaimOrder), the person's other
// enrolments in its programme that may be the claim there
// (review.Locked.Others). With lock, it locks them all, in event id order
// so that two reviews of one person's enrolments lock them in the same
// order.
func claimants(ctx context.Context, q querier, eventID string, lock bool) (*review.Enrolment, []review.Enrolment, error) {
	var person, prog string
	err := q.QueryRow(ctx, "SELECT person_id, programme FROM enrolments WHERE event_id = $1", eventID).Scan(&person, &prog)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, classify("postgres: read enrolment", err)
	}
	sql := "SELECT " + enrolmentColumns + " FROM enrolments e WHERE e.person_id = $1 AND e.programme = $2 ORDER BY e.event_id"
	if lock {
		sql += " FOR UPDATE"
	}
	rows, err := q.Query(ctx, sql, person, prog)
	if err != nil {
		return nil, nil, classify("postgres: read enrolments", err)
	}
	defer rows.Close()
	var (
		own    *review.Enrolment
		others []review.Enrolment
	)
	for rows.Next() {
		e, err := scanEnrolment(rows)
		if err != nil {
			return nil, nil, classify("postgres: read enrolments", err)
		}
		switch {
		case e.EventID == eventID:
			own = &e
		case !slices.Contains(domain.NeverClaims(), e.Status):
			others = append(others, e)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, classify("postgres: read enrolments", err)
	}
	slices.SortFunc(others, review.ClaimOrder)
	return own, others, nil
}

// retire marks the enrolments ids, among l.Others, replaced by the alert's
// enrolment, each with an audit entry of its own. It runs before the
// alert's enrolment becomes active: the record allows one live enrolment
// per person and programme.
func retire(ctx context.Context, tx pgx.Tx, ids []string, l *review.Locked, actor review.Actor, alertID string) error {
	for _, id := range ids {
		i := slices.IndexFunc(l.Others, func(e review.Enrolment) bool { return e.EventID == id })
		if i < 0 || l.Enrolment == nil {
			return domain.Errorf(domain.KindInternal, "postgres: retire enrolment", "%s is not an enrolment the review locked", id)
		}
		if _, err := tx.Exec(ctx, `UPDATE enrolments SET status = $2 WHERE event_id = $1`, id, domain.EnrolmentReplaced); err != nil {
			return classify("postgres: retire enrolment", err)
		}
		if err := insertAudit(ctx, tx, review.AuditEntry{
			Actor: actor.Username, Role: actor.Role, Action: "enrolment:" + domain.EnrolmentReplaced, ObjectKind: "enrolment",
			ObjectID: id, Reason: "replaced on the override of alert " + alertID, Address: actor.Address,
		}, map[string]string{"status": l.Others[i].Status},
			map[string]string{"status": domain.EnrolmentReplaced, "replaced_by": l.Enrolment.EventID, "alert_id": alertID}); err != nil {
			return err
		}
	}
	return nil
}

func insertAudit(ctx context.Context, tx pgx.Tx, e review.AuditEntry, before, after any) error {
	var b, a []byte
	if before != nil {
		b, _ = json.Marshal(before)
	}
	if after != nil {
		a, _ = json.Marshal(after)
	}
	_, err := tx.Exec(ctx, `INSERT INTO audit (actor, role, action, object_kind, object_id, reason, before, after, address)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		e.Actor, e.Role, e.Action, e.ObjectKind, e.ObjectID, e.Reason, b, a, e.Address)
	return classify("postgres: write audit", err)
}

// Audit appends one entry to the audit trail on its own, for actions that
// change nothing else (a login, a refused login, a read of personal data),
// with e's Before and After if set.
func (s *Store) Audit(ctx context.Context, e review.AuditEntry) error {
	var before, after any
	if len(e.Before) > 0 {
		before = e.Before
	}
	if len(e.After) > 0 {
		after = e.After
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return insertAudit(ctx, tx, e, before, after)
	})
}
