package benchmarks

import (
	"context"
	"encoding/json"
	"iter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ekjon/ekjon/benchmarks/baseline"
	"github.com/ekjon/ekjon/benchmarks/synth"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/redisindex"
)

// Fate is the net effect of a registry person's status changes, applied
// when the registry is loaded: the state the record would be in after
// deciding them.
type Fate struct {
	DeadEvent string
	DeadAt    time.Time
	// Exited and Suspended hold programmes ("" for all).
	Exited, Suspended map[string]bool
	Wallet            string // the new wallet, after a change
	WalletAt          time.Time
}

// Fates reads the registry's status changes, keyed by normalised NID (in
// memory only), and returns them decoded for the record.
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
		f := fates[e.NID]
		if f == nil {
			f = &Fate{Exited: map[string]bool{}, Suspended: map[string]bool{}}
			fates[e.NID] = f
		}
		switch e.Status {
		case domain.StatusDeceased:
			f.DeadEvent, f.DeadAt = e.EventID, e.Occurred
		case domain.StatusExited:
			f.Exited[e.Programme] = true
		case domain.StatusSuspended:
			f.Suspended[e.Programme] = true
		case domain.StatusReinstated:
			delete(f.Suspended, e.Programme)
			delete(f.Exited, e.Programme)
		case domain.StatusWalletChanged:
			f.Wallet, f.WalletAt = e.Wallet, e.Occurred
		}
	}
	return fates, evs
}

// State returns the enrolment state of programme after the fate.
func (f *Fate) State(programme, initial string) string {
	if f == nil {
		return initial
	}
	switch {
	case f.Exited[programme] || f.Exited[""]:
		return "exited"
	case f.Suspended[programme] || f.Suspended[""]:
		return "suspended"
	}
	return initial
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
	f := l.fates[e.Person.NID]
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
	}
	state := map[domain.Action]string{domain.ActionAdmit: "active", domain.ActionHold: "held"}[t.Action]
	wallet := e.Person.Wallet
	if state != "" {
		state = f.State(e.Programme, state)
		if f != nil && f.Wallet != "" {
			wallet = f.Wallet
		}
	} else {
		state = "blocked"
	}
	district := ""
	if e.Person.Address != nil {
		district = e.Person.Address.District
	}
	rec, _ := json.Marshal(e.Person)
	l.enr = append(l.enr, []any{e.EventID, pid, e.Programme, e.BeneficiaryRef, e.Source, state,
		l.ix.WalletKey(wallet), rec, district, e.Occurred})
	if state == "blocked" {
		return nil
	}
	if key != "" {
		if err := l.fact(ctx, domain.IndexFact{Kind: "enrolment", Key: key, Programme: e.Programme, EventID: e.EventID,
			State: state, Wallet: l.ix.WalletKey(wallet)}); err != nil {
			return err
		}
		if e.BeneficiaryRef != "" {
			if err := l.fact(ctx, domain.IndexFact{Kind: "ref", Key: key, Programme: e.Programme, Ref: e.BeneficiaryRef}); err != nil {
				return err
			}
		}
	}
	if state == "active" || state == "held" {
		return l.fact(ctx, domain.IndexFact{Kind: "candidate", PersonID: pid, Person: e.Person})
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
	return baseline.CopyTables(ctx, l.pool, []baseline.CopyTable{
		{Name: "decisions", Cols: []string{"event_id", "event_type", "source", "programme", "action", "rules", "reason",
			"person_id", "occurred_at", "decided_at", "config_version"}, Rows: &l.decisions},
		{Name: "persons", Cols: []string{"person_id", "index_key", "id_kind", "nid", "deceased_at"}, Rows: &l.people},
		{Name: "enrolments", Cols: []string{"event_id", "person_id", "programme", "beneficiary_ref", "source", "status",
			"wallet_key", "record", "district", "enrolled_at"}, Rows: &l.enr},
		{Name: "status_changes", Cols: []string{"event_id", "person_id", "status", "programme", "wallet_key", "occurred_at"}, Rows: &l.changes},
	})
}

// Close flushes both stores and marks the index ready.
func (l *EkjonLoader) Close(ctx context.Context) error {
	if err := l.Flush(ctx); err != nil {
		return err
	}
	t := time.Now()
	err := l.bulk.Close(ctx)
	l.Redis += time.Since(t)
	return err
}
