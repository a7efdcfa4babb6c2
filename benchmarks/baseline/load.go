package baseline

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
)

// candidate is a person's row in bl_candidates.
type candidate struct {
	prof                                  fuzzy.Profile
	name, father, dob, place, phone, wall string
	year                                  int
	rec                                   []byte
}

func newCandidate(p *domain.Person, personID string, pseudo *domain.Pseudonymizer) (candidate, error) {
	prof := fuzzy.ProfileOf(p, personID, pseudo)
	rec, err := prof.Record.AppendBinary(nil)
	if err != nil {
		return candidate{}, err
	}
	r := &prof.Record
	c := candidate{prof: prof, name: strings.Join(r.Name.Strong, " "), father: strings.Join(r.Father.Strong, " "),
		dob: p.DOB, year: int(r.DOB.Year), place: r.District + "/" + r.Upazila, phone: r.PhoneHash,
		wall: walletHash(pseudo, p.Wallet), rec: rec}
	return c, nil
}

func walletHash(pseudo *domain.Pseudonymizer, w string) string {
	if w == "" {
		return ""
	}
	return pseudo.Hash("wallet", w)[:12]
}

// personKey names the person of an enrolment: the NID where there is one,
// as a PostgreSQL-only registry would, else the birth registration number,
// else the enrolment itself.
func personKey(e *domain.Event) string {
	switch {
	case e.IdentityNID() != "":
		return e.IdentityNID()
	case e.Type == domain.TypeEnrolment && e.Person != nil && e.Person.BirthRegNo != "":
		return "brn:" + e.Person.BirthRegNo
	case e.Type == domain.TypeEnrolment:
		return "ref:" + e.Source + "/" + e.Programme + "/" + e.BeneficiaryRef + "/" + e.EventID
	}
	return ""
}

// Loader loads a registry into the baseline's tables by COPY, then builds
// the deferred indexes. It is not safe for concurrent use.
type Loader struct {
	pool    *pgxpool.Pool
	pseudo  *domain.Pseudonymizer
	persons map[string]bool
	cands   map[string]bool
	tf      map[string]int64

	people, enr, cand, dec [][]any
}

// NewLoader returns a loader into pool.
func NewLoader(pool *pgxpool.Pool, pseudo *domain.Pseudonymizer) *Loader {
	return &Loader{pool: pool, pseudo: pseudo, persons: map[string]bool{}, cands: map[string]bool{}, tf: map[string]int64{}}
}

// Person loads a person's fate: dead, and when the wallet last changed.
type Person struct {
	Deceased bool
	WalletAt time.Time
}

// AddDecision records a registry event's decision.
func (l *Loader) AddDecision(eventID string, action domain.Action, rules []string, key string) {
	if rules == nil {
		rules = []string{}
	}
	var k any
	if key != "" {
		k = key
	}
	l.dec = append(l.dec, []any{eventID, string(action), rules, k})
}

// AddEnrolment loads an enrolment decided with action, now in state
// (active, held, exited, suspended; "" when blocked) and paid to wallet.
func (l *Loader) AddEnrolment(e *domain.Event, action domain.Action, rules []string, state, wallet string, p Person) error {
	key := personKey(e)
	l.AddDecision(e.EventID, action, rules, key)
	if state == "" {
		return nil
	}
	if !l.persons[key] {
		l.persons[key] = true
		var nid, wat any
		if e.Person.NID != "" {
			nid = e.Person.NID
		}
		if !p.WalletAt.IsZero() {
			wat = p.WalletAt
		}
		l.people = append(l.people, []any{key, nid, p.Deceased, wat})
	}
	l.enr = append(l.enr, []any{e.EventID, key, e.Programme, e.BeneficiaryRef, state, walletHash(l.pseudo, wallet)})
	if state != "active" && state != "held" {
		return nil
	}
	_, pid := personID(l.pseudo, e)
	if l.cands[pid] {
		return nil
	}
	l.cands[pid] = true
	c, err := newCandidate(e.Person, pid, l.pseudo)
	if err != nil {
		return nil // not indexed, as in ekjon
	}
	for _, t := range c.prof.Record.Name.Strong {
		l.tf[t]++
	}
	l.tf[""]++
	l.cand = append(l.cand, []any{pid, c.name, c.father, c.year, c.dob, c.place, c.phone, c.wall, c.rec})
	return nil
}

// personID is the pseudonymous person id ekjon gives the same person, so
// that both systems' decisions name persons alike.
func personID(pseudo *domain.Pseudonymizer, e *domain.Event) (string, string) {
	var k string
	switch {
	case e.IdentityNID() != "":
		k = pseudo.Hash("nid", e.IdentityNID())[:16]
	case e.Person != nil && e.Person.BirthRegNo != "":
		k = pseudo.Hash("brn", e.Person.BirthRegNo)[:16]
	default:
		return "", "P" + pseudo.Hash("ref", e.Source+"\x00"+e.Programme+"\x00"+e.BeneficiaryRef+"\x00"+e.EventID)[:16]
	}
	return k, "P" + k
}

// Pending is the number of decisions waiting for Flush.
func (l *Loader) Pending() int { return len(l.dec) }

// Flush copies the rows gathered so far.
func (l *Loader) Flush(ctx context.Context) error {
	return CopyTables(ctx, l.pool, []CopyTable{
		{"bl_decisions", []string{"event_id", "action", "rules", "person_key"}, &l.dec},
		{"bl_persons", []string{"person_key", "nid", "deceased", "wallet_changed_at"}, &l.people},
		{"bl_enrolments", []string{"event_id", "person_key", "programme", "beneficiary_ref", "status", "wallet"}, &l.enr},
		{"bl_candidates", []string{"person_id", "name_key", "father_key", "birth_year", "dob", "place", "phone", "wallet", "rec"}, &l.cand},
	})
}

// CopyTable is one table's rows gathered for a bulk load by COPY.
type CopyTable struct {
	Name string
	Cols []string
	Rows *[][]any
}

// CopyTables copies each table's gathered rows, in order, and empties them
// for the next batch.
func CopyTables(ctx context.Context, pool *pgxpool.Pool, tables []CopyTable) error {
	for _, tb := range tables {
		if len(*tb.Rows) == 0 {
			continue
		}
		if _, err := pool.CopyFrom(ctx, pgx.Identifier{tb.Name}, tb.Cols, pgx.CopyFromRows(*tb.Rows)); err != nil {
			return fmt.Errorf("copy %s: %w", tb.Name, err)
		}
		*tb.Rows = (*tb.Rows)[:0]
	}
	return nil
}

// Close flushes, writes the name-token frequencies and builds the indexes.
func (l *Loader) Close(ctx context.Context) error {
	if err := l.Flush(ctx); err != nil {
		return err
	}
	rows := make([][]any, 0, len(l.tf))
	for t, n := range l.tf {
		rows = append(rows, []any{t, n})
	}
	if _, err := l.pool.CopyFrom(ctx, pgx.Identifier{"bl_token_freq"}, []string{"token", "n"}, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("copy token frequencies: %w", err)
	}
	return Indexes(ctx, l.pool)
}

// tokenFreqs reads the name-token frequencies, as fractions of the
// population, or none below minPopulation persons.
func tokenFreqs(ctx context.Context, pool *pgxpool.Pool, minPopulation int) (map[string]float64, error) {
	rows, err := pool.Query(ctx, "SELECT token, n FROM bl_token_freq")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts := map[string]int64{}
	for rows.Next() {
		var t string
		var n int64
		if err := rows.Scan(&t, &n); err != nil {
			return nil, err
		}
		counts[t] = n
	}
	out := map[string]float64{}
	total := counts[""]
	if total < int64(minPopulation) || total == 0 {
		return out, rows.Err()
	}
	for t, n := range counts {
		if t != "" {
			out[t] = float64(n) / float64(total)
		}
	}
	return out, rows.Err()
}

var _ = strconv.Itoa
