package benchmarks

import (
	"context"
	"encoding/json"
	"iter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ekjon/ekjon/benchmarks/baseline"
	"github.com/ekjon/ekjon/benchmarks/synth"
	"github.com/ekjon/ekjon/cards"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/redisindex"
)

// Fate is the net effect of a registry person's status changes, applied
// when the registry is loaded: the state the record would be in after
// deciding them, by the record's own rules (domain.Transitions).
type Fate struct {
	DeadEvent string
	DeadAt    time.Time
	Wallet    string // the new wallet, after a change
	WalletAt  time.Time
	// StatusAt is the time of the latest status event naming each
	// programme ("" for those naming none), and LifeAt of the latest that
	// marked the person dead or alive: the times by which the index orders
	// later status events.
	StatusAt map[string]time.Time
	LifeAt   time.Time
	// changes are the person's status events in order, each with the
	// programme it names.
	changes []fateChange
}

type fateChange struct {
	t         domain.Transition
	programme string
}

// Fates reads the registry's status changes, keyed by the NID's core (in
// memory only; domain.NIDCore, which both forms of an NID share), and
// returns them decoded for the record.
func Fates(statuses iter.Seq[synth.Record], policy domain.Policy) (map[string]*Fate, []Decoded) {
	fates := map[string]*Fate{}
	var evs []Decoded
	for r := range statuses {
		d := Decode(r, policy)
		evs = append(evs, d)
		e := d.Event
		if e == nil {
			continue
		}
		t, ok := domain.TransitionOf(e.Status, e.Programme)
		if !ok {
			continue
		}
		f := fates[domain.NIDCore(e.NID)]
		if f == nil {
			f = &Fate{StatusAt: map[string]time.Time{}}
			fates[domain.NIDCore(e.NID)] = f
		}
		f.changes = append(f.changes, fateChange{t, e.Programme})
		if e.Occurred.After(f.StatusAt[e.Programme]) {
			f.StatusAt[e.Programme] = e.Occurred
		}
		if t.TouchesLife() && e.Occurred.After(f.LifeAt) {
			f.LifeAt = e.Occurred
		}
		switch {
		case t.SetsDeceased:
			f.DeadEvent, f.DeadAt = e.EventID, e.Occurred
		case t.ClearsDeceased:
			f.DeadEvent, f.DeadAt = "", time.Time{}
		}
		if t.MarksWalletChange {
			f.Wallet, f.WalletAt = e.Wallet, e.Occurred
		}
	}
	return fates, evs
}

// State returns the enrolment state of programme after the fate, from the
// state initial it was decided in.
func (f *Fate) State(programme, initial string) string {
	if f == nil {
		return initial
	}
	state := initial
	for _, c := range f.changes {
		if c.t.AllProgrammes || c.programme == programme {
			state, _ = c.t.Next(state)
		}
	}
	return state
}

// EkjonLoader loads the registry into ekjon's index (Redis, through the
// index's own bulk loader and key functions) and record (PostgreSQL, by
// COPY): what the pipeline would hold after deciding the registry's events
// as the ground truth says. It is not safe for concurrent use.
type EkjonLoader struct {
	ix     *redisindex.Index
	bulk   *redisindex.BulkLoader
	pool   *pgxpool.Pool
	policy string
	now    time.Time
	fates  map[string]*Fate

	persons                         map[string]bool
	decisions, people, enr, changes [][]any
	// IssueCards, set before the first Add, issues a card to each person
	// the registry admitted (see issueCard), and gathers Holders.
	IssueCards        bool
	cards, cardEvents [][]any
	cardOf            map[string]string // person id → card number
	cardNos           map[string]bool
	holders           []Holder
	// Redis and Postgres are the time spent writing to each.
	Redis, Postgres time.Duration
}

// NewEkjonLoader returns a loader into ix and the record's pool.
func NewEkjonLoader(ix *redisindex.Index, pool *pgxpool.Pool, policyVersion string, fates map[string]*Fate) *EkjonLoader {
	return &EkjonLoader{ix: ix, bulk: ix.NewBulkLoader(), pool: pool, policy: policyVersion,
		now: time.Now().UTC().Truncate(time.Microsecond), fates: fates, persons: map[string]bool{}}
}

// Add loads one decoded registry event with its truth as its decision.
func (l *EkjonLoader) Add(ctx context.Context, d Decoded) error {
	t := d.Record.Truth
	e := d.Event
	if e == nil {
		l.decisions = append(l.decisions, []any{d.Record.EventID, "", "", "", string(domain.ActionRejected),
			t.Rules, d.Err.Error(), nil, nil, l.now, l.policy})
		return nil
	}
	key, pid := l.ix.Identify(e)
	if e.Type == domain.TypeStatus {
		l.decisions = append(l.decisions, []any{e.EventID, string(e.Type), e.Source, e.Programme, string(domain.ActionAdmit),
			[]string{}, "", pid, e.Occurred, l.now, l.policy})
		l.changes = append(l.changes, []any{e.EventID, pid, e.Status, e.Programme, l.ix.WalletKey(e.Wallet), e.Occurred})
		return nil
	}
	l.decisions = append(l.decisions, []any{e.EventID, string(e.Type), e.Source, e.Programme, string(t.Action),
		t.Rules, "", pid, e.Occurred, l.now, l.policy})
	f := l.fates[domain.NIDCore(e.Person.NID)]
	if e.Person.NID == "" {
		f = nil
	}
	if key != "" && !l.persons[pid] {
		l.persons[pid] = true
		kind, nid := "nid", e.Person.NID
		if nid == "" {
			kind = "brn"
		}
		var dead any
		if f != nil && f.DeadEvent != "" {
			dead = f.DeadAt
		}
		l.people = append(l.people, []any{pid, key, kind, nid, dead})
		if f != nil && f.DeadEvent != "" {
			if err := l.fact(ctx, domain.IndexFact{Kind: "deceased", Key: key, EventID: f.DeadEvent}); err != nil {
				return err
			}
		}
		if f != nil && !f.WalletAt.IsZero() {
			if err := l.fact(ctx, domain.IndexFact{Kind: "wallet", Key: key, At: f.WalletAt}); err != nil {
				return err
			}
		}
		if err := l.clocks(ctx, key, f); err != nil {
			return err
		}
	}
	if l.IssueCards && t.Action == domain.ActionAdmit && key != "" {
		if err := l.issueCard(ctx, pid, key, e.EventID); err != nil {
			return err
		}
	}
	state := map[domain.Action]string{domain.ActionAdmit: domain.EnrolmentActive, domain.ActionHold: domain.EnrolmentHeld}[t.Action]
	wallet := e.Person.Wallet
	if state != "" {
		state = f.State(e.Programme, state)
		if f != nil && f.Wallet != "" {
			wallet = f.Wallet
		}
	} else {
		state = domain.EnrolmentBlocked
	}
	district := ""
	if e.Person.Address != nil {
		district = e.Person.Address.District
	}
	rec, _ := json.Marshal(e.Person)
	// The synthetic refs are each one enrolment's: every enrolment the
	// index keeps holds its own.
	holdsRef := state != domain.EnrolmentBlocked && key != "" && e.BeneficiaryRef != ""
	l.enr = append(l.enr, []any{e.EventID, pid, e.Programme, e.BeneficiaryRef, e.Source, state,
		l.ix.WalletKey(wallet), rec, district, e.Occurred, holdsRef})
	if state == domain.EnrolmentBlocked {
		return nil
	}
	if l.IssueCards && state == domain.EnrolmentActive && key != "" && (f == nil || f.DeadEvent == "") {
		h := Holder{PersonID: pid, Programme: e.Programme}
		if a := e.Person.Address; a != nil {
			h.District, h.Upazila = a.District, a.Upazila
		}
		l.holders = append(l.holders, h)
	}
	if key != "" {
		if err := l.fact(ctx, domain.IndexFact{Kind: "enrolment", Key: key, Programme: e.Programme, EventID: e.EventID,
			State: state, Wallet: l.ix.WalletKey(wallet)}); err != nil {
			return err
		}
		if holdsRef {
			if err := l.fact(ctx, domain.IndexFact{Kind: "ref", Key: key, Programme: e.Programme, Ref: e.BeneficiaryRef}); err != nil {
				return err
			}
		}
	}
	// Whatever became of the enrolment, its person is a candidate, as in
	// the pipeline and a rebuild.
	return l.fact(ctx, domain.IndexFact{Kind: "candidate", PersonID: pid, Person: e.Person, EventID: e.EventID})
}

// clocks loads the times by which the index orders the status events of
// the person with index key key, whose fate f may be nil.
func (l *EkjonLoader) clocks(ctx context.Context, key string, f *Fate) error {
	if f == nil {
		return nil
	}
	if !f.LifeAt.IsZero() {
		if err := l.fact(ctx, domain.IndexFact{Kind: "life", Key: key, At: f.LifeAt}); err != nil {
			return err
		}
	}
	for prog, at := range f.StatusAt {
		if err := l.fact(ctx, domain.IndexFact{Kind: "clock", Key: key, Programme: prog, At: at}); err != nil {
			return err
		}
	}
	return nil
}

func (l *EkjonLoader) fact(ctx context.Context, f domain.IndexFact) error {
	t := time.Now()
	err := l.bulk.Add(ctx, f)
	l.Redis += time.Since(t)
	return err
}

// Pending is the number of rows waiting for Flush.
func (l *EkjonLoader) Pending() int { return len(l.decisions) }

// Flush copies the rows gathered so far into the record.
func (l *EkjonLoader) Flush(ctx context.Context) error {
	t := time.Now()
	defer func() { l.Postgres += time.Since(t) }()
	// Each decision's key, which says the month it is recorded in (see
	// migration 0007_partitions.sql).
	keys := make([][]any, len(l.decisions))
	for i, r := range l.decisions {
		keys[i] = []any{r[0], t}
		l.decisions[i] = append(r, t)
	}
	return baseline.CopyTables(ctx, l.pool, []baseline.CopyTable{
		{Name: "decision_keys", Cols: []string{"event_id", "recorded_at"}, Rows: &keys},
		{Name: "decisions", Cols: []string{"event_id", "event_type", "source", "programme", "action", "rules", "reason",
			"person_id", "occurred_at", "decided_at", "config_version", "recorded_at"}, Rows: &l.decisions},
		{Name: "persons", Cols: []string{"person_id", "index_key", "id_kind", "nid", "deceased_at"}, Rows: &l.people},
		{Name: "enrolments", Cols: []string{"event_id", "person_id", "programme", "beneficiary_ref", "source", "status",
			"wallet_key", "record", "district", "enrolled_at", "holds_ref"}, Rows: &l.enr},
		{Name: "status_changes", Cols: []string{"event_id", "person_id", "status", "programme", "wallet_key", "occurred_at"}, Rows: &l.changes},
		{Name: "cards", Cols: []string{"card_no", "person_id", "version", "status", "issued_at", "issued_by", "issue_reason",
			"seq", "indexed_seq"}, Rows: &l.cards},
		{Name: "card_events", Cols: []string{"card_no", "person_id", "action", "actor", "reason", "at"}, Rows: &l.cardEvents},
	})
}

// Close flushes both stores and marks the index ready, answering to the
// record's index generation that generation gives (see
// redisindex.BulkLoader.Close).
func (l *EkjonLoader) Close(ctx context.Context, generation redisindex.Generation) error {
	if err := l.Flush(ctx); err != nil {
		return err
	}
	t := time.Now()
	err := l.bulk.Close(ctx, generation)
	l.Redis += time.Since(t)
	return err
}

// Holder is a registry person who holds a live card and is active in a
// programme: whom a distributor may hand that programme's aid to.
type Holder struct {
	PersonID, CardNo, Programme string
	// District and Upazila are the person's as enrolled.
	District, Upazila string
}

// issueCard issues the person pid (index key key), admitted by the
// enrolment event, their first card, unless they hold one: the rows the
// record's admission writes (sinks/postgres issueCards: version 1,
// active, issued by the event, reason "admitted", with its "issued" trail
// entry), already mapped in the index as the index's rebuild maps a card
// (the "card" fact), so the card is not left waiting for the indexer.
func (l *EkjonLoader) issueCard(ctx context.Context, pid, key, event string) error {
	if l.cardOf == nil {
		l.cardOf, l.cardNos = map[string]string{}, map[string]bool{}
	}
	if l.cardOf[pid] != "" {
		return nil
	}
	var no string
	for no == "" || l.cardNos[no] {
		var err error
		if no, err = cards.NewNumber(); err != nil {
			return err
		}
	}
	l.cardNos[no], l.cardOf[pid] = true, no
	l.cards = append(l.cards, []any{no, pid, 1, domain.CardActive, l.now, event, "admitted", int64(1), int64(1)})
	l.cardEvents = append(l.cardEvents, []any{no, pid, "issued", event, "admitted", l.now})
	return l.fact(ctx, domain.IndexFact{Kind: "card", Key: key, Ref: no, State: domain.CardActive, Cycle: "1"})
}

// Holders returns the persons who hold a live card and an active
// enrolment, one entry per programme they are active in, in the order
// they were loaded; they are complete once the registry is loaded.
func (l *EkjonLoader) Holders() []Holder {
	out := make([]Holder, 0, len(l.holders))
	for _, h := range l.holders {
		if h.CardNo = l.cardOf[h.PersonID]; h.CardNo != "" {
			out = append(out, h)
		}
	}
	return out
}

// Cards is the number of cards issued.
func (l *EkjonLoader) Cards() int { return len(l.cardOf) }
