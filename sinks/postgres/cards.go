package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ekjon/ekjon/cards"
	"github.com/ekjon/ekjon/domain"
)

// addCard issues a card to person, admitted by event at: in the
// transaction of the decision, so that a redelivered event, whose decision
// is already recorded, issues nothing, and a person admitted twice (two
// programmes, two workers) gets one card (issueCards).
func (b *batchRows) addCard(person, event string, at time.Time) {
	c := &b.cards
	if c.seen == nil {
		c.seen = make(map[string]bool)
	}
	if c.seen[person] {
		return
	}
	no, err := cards.NewNumber()
	if err != nil {
		// The system's random source failed: the person is left without
		// a card, which a supervisor can issue (ReplaceCard); the
		// decision is not held up for it.
		return
	}
	c.seen[person] = true
	c.no = append(c.no, no)
	c.person = append(c.person, person)
	c.event = append(c.event, event)
	c.at = append(c.at, at)
}

// issueCards issues version 1 to each person ($2) who has never held a
// card. The partial unique index cards_one_active settles two workers
// issuing to one person at once, and a card number drawn twice: the
// second insert is dropped.
const issueCards = `WITH issued AS (
		INSERT INTO cards (card_no, person_id, version, status, issued_at, issued_by, issue_reason)
		SELECT no, person, 1, 'active', at, ev, 'admitted'
		FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS t(no, person, ev, at)
		WHERE NOT EXISTS (SELECT 1 FROM cards c WHERE c.person_id = t.person)
		ON CONFLICT DO NOTHING
		RETURNING card_no, person_id, issued_by, issued_at
	)
	INSERT INTO card_events (card_no, person_id, action, actor, reason, at)
	SELECT card_no, person_id, 'issued', issued_by, 'admitted', issued_at FROM issued`

// ErrNoCard says a person holds no card, or a card number is not one the
// record holds. It is of KindNotFound.
var ErrNoCard = domain.Errorf(domain.KindNotFound, "card", "no such card")

const cardCols = `c.card_no, c.person_id, c.version, c.status, c.issued_at, c.issued_by, COALESCE(p.index_key, ''), c.seq`

func scanCard(row pgx.Row) (domain.Card, error) {
	var c domain.Card
	err := row.Scan(&c.CardNo, &c.PersonID, &c.Version, &c.Status, &c.IssuedAt, &c.IssuedBy, &c.IndexKey, &c.Seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, ErrNoCard
	}
	return c, err
}

// CardOf returns the person's card: the live one, or else the last one
// they held. The error is ErrNoCard when they never held one.
func (s *Store) CardOf(ctx context.Context, personID string) (domain.Card, error) {
	c, err := scanCard(s.pool.QueryRow(ctx, `SELECT `+cardCols+` FROM cards c LEFT JOIN persons p USING (person_id)
		WHERE c.person_id = $1 ORDER BY c.status = 'active' DESC, c.version DESC LIMIT 1`, personID))
	if err != nil && !errors.Is(err, ErrNoCard) {
		return c, classify("postgres: card", err)
	}
	return c, err
}

// Card returns the card numbered no, ErrNoCard if there is none.
func (s *Store) Card(ctx context.Context, no string) (domain.Card, error) {
	c, err := scanCard(s.pool.QueryRow(ctx, `SELECT `+cardCols+` FROM cards c LEFT JOIN persons p USING (person_id)
		WHERE c.card_no = $1`, no))
	if err != nil && !errors.Is(err, ErrNoCard) {
		return c, classify("postgres: card", err)
	}
	return c, err
}

// CardTrail returns what was done to the person's cards, oldest first.
func (s *Store) CardTrail(ctx context.Context, personID string) ([]domain.CardEvent, error) {
	rows, err := s.pool.Query(ctx, `SELECT card_no, action, actor, reason, at FROM card_events
		WHERE person_id = $1 ORDER BY card_event_id`, personID)
	if err != nil {
		return nil, classify("postgres: card trail", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.CardEvent, error) {
		var e domain.CardEvent
		return e, r.Scan(&e.CardNo, &e.Action, &e.Actor, &e.Reason, &e.At)
	})
	return out, classify("postgres: card trail", err)
}

// ReplaceCard ends the person's live card, if any, as replaced, and issues
// the next version under a new random number, recording who did it and
// why. It also issues a first card to an enrolled person who has none (one
// admitted by a reviewer). The old card's number is kept, so that scanning
// it is known for what it is (CARD_REVOKED). The error is ErrNoCard when
// the person is not on record.
func (s *Store) ReplaceCard(ctx context.Context, personID, actor, reason string) (domain.Card, error) {
	return s.changeCard(ctx, personID, actor, reason, true)
}

// RevokeCard ends the person's live card as revoked, issuing none in its
// place. The error is ErrNoCard when the person holds no live card.
func (s *Store) RevokeCard(ctx context.Context, personID, actor, reason string) (domain.Card, error) {
	return s.changeCard(ctx, personID, actor, reason, false)
}

func (s *Store) changeCard(ctx context.Context, personID, actor, reason string, issue bool) (domain.Card, error) {
	var out domain.Card
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var indexKey string
		// The person's row serialises changes to their cards.
		if err := tx.QueryRow(ctx, `SELECT index_key FROM persons WHERE person_id = $1 FOR UPDATE`, personID).Scan(&indexKey); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return ErrNoCard
			}
			return err
		}
		end := domain.CardRevoked
		if issue {
			end = domain.CardReplaced
		}
		var old string
		var version int
		err := tx.QueryRow(ctx, `UPDATE cards SET status = $2, ended_at = clock_timestamp(), ended_by = $3, end_reason = $4,
				seq = seq + 1
			WHERE person_id = $1 AND status = 'active' RETURNING card_no, version`, personID, end, actor, reason).Scan(&old, &version)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			if !issue {
				return ErrNoCard
			}
			if err := tx.QueryRow(ctx, `SELECT COALESCE(max(version), 0) FROM cards WHERE person_id = $1`, personID).Scan(&version); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			if _, err := tx.Exec(ctx, `INSERT INTO card_events (card_no, person_id, action, actor, reason)
				VALUES ($1, $2, $3, $4, $5)`, old, personID, end, actor, reason); err != nil {
				return err
			}
		}
		if !issue {
			c, err := scanCard(tx.QueryRow(ctx, `SELECT `+cardCols+` FROM cards c LEFT JOIN persons p USING (person_id) WHERE c.card_no = $1`, old))
			out = c
			return err
		}
		no, err := cards.NewNumber()
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO cards (card_no, person_id, version, status, issued_at, issued_by, issue_reason)
			VALUES ($1, $2, $3, 'active', clock_timestamp(), $4, $5)`, no, personID, version+1, actor, reason); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO card_events (card_no, person_id, action, actor, reason)
			VALUES ($1, $2, 'issued', $3, $4)`, no, personID, actor, reason); err != nil {
			return err
		}
		out, err = scanCard(tx.QueryRow(ctx, `SELECT `+cardCols+` FROM cards c LEFT JOIN persons p USING (person_id) WHERE c.card_no = $1`, no))
		return err
	})
	if errors.Is(err, ErrNoCard) {
		return out, err
	}
	return out, classify("postgres: change card", err)
}

// PendingCards returns up to limit cards whose latest change the index
// does not yet hold, oldest change first.
func (s *Store) PendingCards(ctx context.Context, limit int) ([]domain.Card, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+cardCols+` FROM cards c JOIN persons p USING (person_id)
		WHERE c.seq > c.indexed_seq LIMIT $1`, limit)
	if err != nil {
		return nil, classify("postgres: pending cards", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Card, error) { return scanCard(r) })
	return out, classify("postgres: pending cards", err)
}

// MarkCardsIndexed records that the index holds each card as of its Seq;
// a card changed since stays pending.
func (s *Store) MarkCardsIndexed(ctx context.Context, cs []domain.Card) error {
	if len(cs) == 0 {
		return nil
	}
	nos := make([]string, len(cs))
	seqs := make([]int64, len(cs))
	for i, c := range cs {
		nos[i], seqs[i] = c.CardNo, c.Seq
	}
	_, err := s.pool.Exec(ctx, `UPDATE cards c SET indexed_seq = t.seq
		FROM unnest($1::text[], $2::int8[]) AS t(no, seq)
		WHERE c.card_no = t.no AND c.indexed_seq < t.seq`, nos, seqs)
	return classify("postgres: mark cards indexed", err)
}

// SheetCard is one line of a printable card sheet.
type SheetCard struct {
	domain.Card
	NameBN, NameEN string
	Union, Upazila string
}

// CardSheet returns the live cards of the persons enrolled in union ("" for
// every union), with the names of their latest enrolment, by English
// name; at most limit. A union the gazetteer knows (domain.Places) is a
// place: it takes the persons whose address names it in any spelling or
// by code, within its district and upazila; one it does not know, those
// whose address writes it so. Each card's union and upazila are shown by
// their one name. A non-nil programmes keeps the persons ever enrolled in
// one of them (none, if it is empty).
func (s *Store) CardSheet(ctx context.Context, union string, programmes []string, limit int) ([]SheetCard, error) {
	const op = "postgres: card sheet"
	g := domain.Places()
	union = strings.TrimSpace(union)
	place, known := g.Find(domain.LevelUnion, union)
	// A known union is looked for in its district (stored by code) and
	// told from its namesakes by reading each address; an unknown one
	// by its spelling.
	district, sqlLimit := "", limit
	if known {
		district, sqlLimit = place.Code[:2], -1
	}
	rows, err := s.pool.Query(ctx, `SELECT `+cardCols+`, e.record->>'name_bn', e.record->>'name_en',
			COALESCE(e.record->'address'->>'union', ''), COALESCE(e.record->'address'->>'upazila', ''), e.district
		FROM cards c JOIN persons p USING (person_id)
		JOIN LATERAL (SELECT record, district FROM enrolments WHERE person_id = c.person_id
			ORDER BY enrolled_at DESC, event_id DESC LIMIT 1) e ON true
		WHERE c.status = 'active'
			AND ($1 = '' OR ($4 = '' AND e.record->'address'->>'union' = $1)
				OR ($4 <> '' AND e.district = $4 AND COALESCE(e.record->'address'->>'union', '') <> ''))
			AND ($3::text[] IS NULL OR EXISTS (SELECT 1 FROM enrolments m
				WHERE m.person_id = c.person_id AND m.programme = ANY($3)))
		ORDER BY e.record->>'name_en', c.card_no LIMIT CASE WHEN $2 < 0 THEN NULL ELSE $2 END`,
		union, sqlLimit, programmes, district)
	if err != nil {
		return nil, classify(op, err)
	}
	defer rows.Close()
	var out []SheetCard
	for rows.Next() && len(out) < limit {
		var c SheetCard
		var district string
		if err := rows.Scan(&c.CardNo, &c.PersonID, &c.Version, &c.Status, &c.IssuedAt, &c.IssuedBy, &c.IndexKey, &c.Seq,
			&c.NameBN, &c.NameEN, &c.Union, &c.Upazila, &district); err != nil {
			return nil, classify(op, err)
		}
		at := g.PlaceArea(domain.Area{District: district, Upazila: c.Upazila, Union: c.Union})
		if known && at.Union != place.Code {
			continue
		}
		if !slices.Contains(at.Unknown, domain.LevelUnion) && at.Union != "" {
			c.Union = g.Label(domain.LevelUnion, at.Union)
		}
		if !slices.Contains(at.Unknown, domain.LevelUpazila) && at.Upazila != "" {
			c.Upazila = g.Label(domain.LevelUpazila, at.Upazila)
		}
		out = append(out, c)
	}
	return out, classify(op, rows.Err())
}

// cardFact is a card as the index's rebuild reads it.
func cardFact(c domain.Card) domain.IndexFact {
	return domain.IndexFact{Kind: "card", Key: c.IndexKey, Ref: c.CardNo, State: c.Status, Cycle: strconv.Itoa(c.Version)}
}

// cardFacts streams every card, for the index's rebuild, through q.
func cardFacts(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, fn func(domain.IndexFact) error) error {
	rows, err := q.Query(ctx, `SELECT `+cardCols+` FROM cards c JOIN persons p USING (person_id)`)
	if err != nil {
		return classify("postgres: index facts: cards", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanCard(rows)
		if err != nil {
			return classify("postgres: index facts: cards", err)
		}
		if err := fn(cardFact(c)); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return classify("postgres: index facts: cards", err)
	}
	return nil
}

// DistributorScope returns what a distributor may hand out; a user without
// one may hand out nothing.
func (s *Store) DistributorScope(ctx context.Context, username string) (domain.DistributorScope, error) {
	var sc domain.DistributorScope
	err := s.pool.QueryRow(ctx, `SELECT programmes, areas, devices FROM distributor_scopes WHERE username = $1`, username).
		Scan(&sc.Programmes, &sc.Areas, &sc.Devices)
	if errors.Is(err, pgx.ErrNoRows) {
		return sc, nil
	}
	return sc, classify("postgres: distributor scope", err)
}

// DistributorScopes returns what each of names may hand out, for those
// that are distributors with a scope on record.
func (s *Store) DistributorScopes(ctx context.Context, names []string) (map[string]domain.DistributorScope, error) {
	const op = "postgres: distributor scopes"
	rows, err := s.pool.Query(ctx, `SELECT username, programmes, areas, devices FROM distributor_scopes WHERE username = ANY($1)`, names)
	if err != nil {
		return nil, classify(op, err)
	}
	defer rows.Close()
	out := make(map[string]domain.DistributorScope, len(names))
	for rows.Next() {
		var name string
		var sc domain.DistributorScope
		if err := rows.Scan(&name, &sc.Programmes, &sc.Areas, &sc.Devices); err != nil {
			return nil, classify(op, err)
		}
		out[name] = sc
	}
	return out, classify(op, rows.Err())
}

// SetDistributorScope sets what a distributor may hand out.
func (s *Store) SetDistributorScope(ctx context.Context, username string, sc domain.DistributorScope) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO distributor_scopes (username, programmes, areas, devices) VALUES ($1, $2, $3, $4)
		ON CONFLICT (username) DO UPDATE SET programmes = $2, areas = $3, devices = $4, updated_at = clock_timestamp()`,
		username, nonNil(sc.Programmes), nonNil(sc.Areas), nonNil(sc.Devices))
	return classify("postgres: set distributor scope", err)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// CardHolder returns what a distributor is told of a card's person before
// handing anything out: names and NID as enrolled (the caller masks it),
// whether the person is dead, and the person's standing in programme for
// cycle.
func (s *Store) CardHolder(ctx context.Context, personID, programme, cycle string) (domain.CardHolder, error) {
	h := domain.CardHolder{PersonID: personID}
	var record []byte
	err := s.pool.QueryRow(ctx, `SELECT p.nid, p.deceased_at IS NOT NULL,
			COALESCE((SELECT record FROM enrolments WHERE person_id = p.person_id ORDER BY enrolled_at DESC, event_id DESC LIMIT 1), '{}'),
			COALESCE((SELECT status FROM enrolments WHERE person_id = p.person_id AND programme = $2
				ORDER BY enrolled_at DESC, event_id DESC LIMIT 1), ''),
			EXISTS (SELECT 1 FROM payments WHERE person_id = p.person_id AND programme = $2 AND cycle = $3 AND action = 'ADMIT')
		FROM persons p WHERE p.person_id = $1`, personID, programme, cycle).
		Scan(&h.NID, &h.Deceased, &record, &h.Enrolment, &h.PaidThisCycle)
	if errors.Is(err, pgx.ErrNoRows) {
		return h, ErrNoCard
	}
	if err != nil {
		return h, classify("postgres: card holder", err)
	}
	var p domain.Person
	if json.Unmarshal(record, &p) == nil {
		h.NameBN, h.NameEN = p.NameBN, p.NameEN
		if h.NID == "" {
			h.NID = p.NID
		}
	}
	return h, nil
}

// RecordRefusal records a request refused before any decision (a
// distributor scanning outside their scope): d, with its alert, so that
// the attempt is on record and in the reviewers' queue, and both in the
// outbox, for the decisions and alerts topics. It is idempotent on d's
// event id; an alert whose id is on record already is left as it is.
func (s *Store) RecordRefusal(ctx context.Context, d domain.Decision, a domain.Alert) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// decision_keys decides whether the refusal is new, since decisions
		// is partitioned by month and holds no unique event id of its own.
		tag, err := tx.Exec(ctx, `WITH k AS (
				INSERT INTO decision_keys (event_id) VALUES ($1) ON CONFLICT (event_id) DO NOTHING
				RETURNING event_id, recorded_at)
			INSERT INTO decisions (event_id, event_type, source, programme, action, rules, reason,
				person_id, decided_at, config_version, recorded_at)
			SELECT k.event_id, $2, $3, $4, $5, $6, $7, NULLIF($8, ''), $9, $10, k.recorded_at FROM k`,
			d.EventID, string(d.EventType), d.Source, d.Programme, string(d.Action), d.Rules, d.Reason, d.PersonID, d.DecidedAt, d.ConfigVersion)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		evidence := ""
		if len(a.Evidence) > 0 {
			evidence = jsonText(a.Evidence)
		}
		// An alert on record already (one raised for a distributor's
		// hour by their scans) is neither recorded nor published again.
		var raised bool
		err = tx.QueryRow(ctx, `INSERT INTO alerts (alert_id, event_id, rule, action, programme, district, person_id,
				created_at, updated_at, evidence)
			VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, ''), $8, $8, NULLIF($9, '')::jsonb) ON CONFLICT (alert_id) DO NOTHING
			RETURNING true`,
			a.AlertID, a.EventID, a.Rule, string(a.Action), a.Programme, a.District, a.PersonID, a.CreatedAt, evidence).Scan(&raised)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		var alerts any // NULL
		if raised {
			alerts = jsonText([]domain.Alert{a})
		}
		_, err = tx.Exec(ctx, `INSERT INTO outbox (event_id, decision, alerts) VALUES ($1, $2, $3)`,
			d.EventID, jsonText(d), alerts)
		return err
	})
	return classify("postgres: record refusal", err)
}
