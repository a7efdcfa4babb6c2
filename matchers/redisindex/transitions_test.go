package redisindex

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
	"github.com/ekjon/ekjon/sinks/postgres"
	"github.com/ekjon/ekjon/sinks/postgres/pgtest"
)

// The three places a person's status changes land: the index as the
// pipeline leaves it (the scripts), the record (the store's SQL) and the
// index rebuilt from the record (IndexFacts and load). These tests run
// events through the real pieces, Decide, Write and Remember as a worker
// does, and after each round compare what the three say of every person.

// agreement is one live index, one record and one index rebuilt from it.
type agreement struct {
	t       *testing.T
	ctx     context.Context
	policy  domain.Policy
	live    *Index
	rebuilt *Index
	store   *postgres.Store
	names   map[string]string  // event hash → event id
	refs    map[[2]string]bool // programme and beneficiary ref of every enrolment sent
	seq     int
	t0      time.Time
}

func newAgreement(t *testing.T) *agreement {
	t.Helper()
	ctx := context.Background()
	rdb, prefix := redistest.MustClient(t)
	rdb2, prefix2 := redistest.MustClient(t)
	pseudo := domain.NewPseudonymizer([]byte("transitions-secret-0123456789"))
	cfg := Config{Prefix: prefix, Policy: domain.DefaultPolicy(), Fuzzy: fuzzy.DefaultConfig(), BucketBits: 8}
	live := mustReady(t, New(rdb, pseudo, cfg))
	cfg.Prefix = prefix2
	store, err := postgres.Open(ctx, pgtest.MustSchema(t), 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return &agreement{t: t, ctx: ctx, policy: cfg.Policy, live: live, rebuilt: New(rdb2, pseudo, cfg), store: store,
		names: map[string]string{}, refs: map[[2]string]bool{}, t0: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
}

// send decides one event and records it, as a worker does with a batch.
func (a *agreement) send(e *domain.Event, at time.Time) *domain.Outcome {
	a.t.Helper()
	return a.sendBatch([]*domain.Event{e}, []time.Time{at})[0]
}

// sendBatch decides events, which occurred at ats, in one batch and
// records them, as a worker does.
func (a *agreement) sendBatch(events []*domain.Event, ats []time.Time) []*domain.Outcome {
	a.t.Helper()
	outs := make([]domain.Outcome, len(events))
	ptrs := make([]*domain.Outcome, len(events))
	for i, e := range events {
		a.seq++
		e.EventID, e.Source = fmt.Sprintf("ev-%d", a.seq), "test"
		e.OccurredAt = ats[i].Format(time.RFC3339Nano)
		if err := domain.Validate(e, a.policy); err != nil {
			a.t.Fatalf("event %+v: %v", e, err)
		}
		a.names[a.live.eventHash(e.EventID)] = e.EventID
		if e.BeneficiaryRef != "" {
			a.refs[[2]string{e.Programme, e.BeneficiaryRef}] = true
		}
		outs[i] = domain.Outcome{Event: e, Decision: domain.Decision{EventID: e.EventID, EventType: e.Type, Source: e.Source,
			Programme: e.Programme, DecidedAt: a.t0.Add(time.Duration(a.seq) * time.Minute), ConfigVersion: "test", Rules: []string{}}}
		ptrs[i] = &outs[i]
	}
	if _, err := a.live.Decide(a.ctx, ptrs); err != nil {
		a.t.Fatal(err)
	}
	if _, err := a.store.Write(a.ctx, outs, 0); err != nil {
		a.t.Fatal(err)
	}
	if err := a.live.Remember(a.ctx, ptrs); err != nil {
		a.t.Fatal(err)
	}
	return ptrs
}

// person is the enrolled person of one scenario, one NID each, born on a
// real date (never 1 January, which says only the year).
func person(nid string, i int, wallet string) *domain.Person {
	given := []string{"Rafiqul", "Shahana", "Abdul", "Nasima", "Jamal", "Rokeya", "Mizanur", "Farida", "Habibur", "Kulsum"}
	family := []string{"Islam", "Begum", "Karim", "Akter", "Uddin", "Khatun", "Rahman", "Yasmin", "Hossain", "Bibi"}
	return &domain.Person{NID: nid, NameEN: given[i%len(given)] + " " + family[i/len(given)%len(family)],
		FatherName: fmt.Sprintf("Father %d", i), DOB: fmt.Sprintf("%d-%02d-%02d", 1930+i%40, 1+i%12, 2+i%27), Gender: "female",
		Wallet: wallet, Address: &domain.Address{District: "Dhaka", Upazila: fmt.Sprintf("Upazila %d", i)}}
}

// step is one event of a scenario, for the person with the scenario's NID.
type step struct {
	enrol  string // an enrolment in this programme, else a status event
	ref    string // the enrolment's beneficiary ref; "" for one of its own
	status string
	prog   string // the status event's programme; "" for all
	wallet int    // which of the person's wallets, from 1; 0 for none
	// late is how many rounds before its arrival the event occurred: a
	// source system that delivers late. 0 means it occurred as it arrived.
	late int
}

// stampedEarly is s delivered rounds rounds after it occurred.
func stampedEarly(s step, rounds int) step { s.late = rounds; return s }

func enrolIn(prog string, wallet int) step { return step{enrol: prog, wallet: wallet} }

// enrolWithRef is an enrolment naming beneficiary ref, which other persons
// may name too.
func enrolWithRef(prog, ref string) step { return step{enrol: prog, ref: ref, wallet: 1} }
func statusOf(st, prog string) step      { return step{status: st, prog: prog} }
func walletChange(prog string, wallet int) step {
	return step{status: domain.StatusWalletChanged, prog: prog, wallet: wallet}
}

// walletOf is wallet w of person i: persons share none, which would be a
// SHARED_CONTACT.
func walletOf(i, w int) string {
	if w == 0 {
		return ""
	}
	return fmt.Sprintf("017%02d%06d", w, i%1000000)
}

func (s step) String() string {
	if s.enrol != "" && s.ref != "" {
		return "enrol " + s.enrol + " ref " + s.ref
	}
	if s.enrol != "" {
		return "enrol " + s.enrol
	}
	scope := s.prog
	if scope == "" {
		scope = "all"
	}
	if s.late > 0 {
		return fmt.Sprintf("%s %s stamped %d early", s.status, scope, s.late)
	}
	return s.status + " " + scope
}

// apply sends s for the person with NID nid, the i-th of its scenarios'
// persons, as occurred at at.
func (a *agreement) apply(nid string, i int, s step, at time.Time) {
	a.t.Helper()
	a.send(a.event(nid, i, s), at)
}

// event is the event of step s for the person with NID nid.
func (a *agreement) event(nid string, i int, s step) *domain.Event {
	if s.enrol != "" {
		ref := s.ref
		if ref == "" {
			ref = fmt.Sprintf("ref-%d", a.seq+1)
		}
		return &domain.Event{Type: domain.TypeEnrolment, Programme: s.enrol, BeneficiaryRef: ref,
			Person: person(nid, i, walletOf(i, s.wallet))}
	}
	return &domain.Event{Type: domain.TypeStatus, NID: nid, Status: s.status, Programme: s.prog, Wallet: walletOf(i, s.wallet)}
}

// claimLine is how every view writes a claim on a programme.
func claimLine(prog, state, eventID, walletKey string) string {
	return fmt.Sprintf("%s: %s %s wallet %q", prog, state, eventID, walletKey)
}

// indexView is what ix holds of the person with NID nid, one line per
// programme claimed and per fact of the person, sorted.
func (a *agreement) indexView(ix *Index, nid string) []string {
	a.t.Helper()
	k, _ := ix.identity("nid", nid)
	fields, err := ix.PersonFields(a.ctx, k)
	if err != nil {
		a.t.Fatal(err)
	}
	type claim struct {
		enrol, exited   string
		held, suspended bool
	}
	claims := map[string]*claim{}
	claimOf := func(p string) *claim {
		if claims[p] == nil {
			claims[p] = &claim{}
		}
		return claims[p]
	}
	var out []string
	for name, v := range fields {
		if p, ok := strings.CutPrefix(name, fieldEnrol); ok {
			claimOf(p).enrol = v
		} else if p, ok := strings.CutPrefix(name, fieldExited); ok {
			claimOf(p).exited = v
		} else if p, ok := strings.CutPrefix(name, fieldHeld); ok {
			claimOf(p).held = true
		} else if p, ok := strings.CutPrefix(name, fieldSuspended); ok {
			claimOf(p).suspended = true
		} else if strings.HasPrefix(name, fieldPaid) {
			continue
		} else if p, ok := strings.CutPrefix(name, fieldStatusAt); ok {
			out = append(out, clockLine(p, microTime(a.t, v)))
		} else {
			switch name {
			case fieldLifeAt:
				out = append(out, lifeLine(microTime(a.t, v)))
			case fieldDead:
				out = append(out, "deceased")
			case fieldWalletAt:
				out = append(out, "wallet changed at "+v)
			case fieldRecord:
				out = append(out, "candidate")
			default:
				out = append(out, "field "+name)
			}
		}
	}
	for p, c := range claims {
		// A claim in a state of the layout reads as the state; any other
		// set of fields reads as the fields it has.
		var marks []string
		if c.held {
			marks = append(marks, domain.EnrolmentHeld)
		}
		if c.suspended {
			marks = append(marks, domain.EnrolmentSuspended)
		}
		v, state := c.enrol, strings.Join(marks, "+")
		switch {
		case c.enrol != "" && c.exited != "":
			state = strings.Join(append([]string{"enrolled and exited"}, marks...), "+")
		case c.exited != "":
			v, state = c.exited, strings.Join(append([]string{domain.EnrolmentExited}, marks...), "+")
		case c.enrol == "":
			state = strings.Join(append([]string{"no claim"}, marks...), "+")
		case state == "":
			state = domain.EnrolmentActive
		}
		var id, wallet string
		if len(v) >= eventHashLen {
			id, wallet = a.names[v[:eventHashLen]], v[eventHashLen:]
		}
		out = append(out, claimLine(p, state, id, wallet))
	}
	slices.Sort(out)
	return out
}

// clockLine is how every view writes the time of the latest status event
// of scope prog ("" for all programmes).
func clockLine(prog string, at time.Time) string {
	if prog == "" {
		prog = "all"
	}
	return "last status of " + prog + " at " + at.UTC().Format(time.RFC3339Nano)
}

// lifeLine is how every view writes the time of the latest status event
// that marked the person dead or alive.
func lifeLine(at time.Time) string {
	return "last death or return at " + at.UTC().Format(time.RFC3339Nano)
}

// microTime reads a time kept as Unix microseconds.
func microTime(t *testing.T, v string) time.Time {
	t.Helper()
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("time %q: %v", v, err)
	}
	return time.UnixMicro(n)
}

// recordView is what the record says of the person with NID nid, in the
// index's terms: per programme the claim (its latest enrolment not
// blocked), and any older enrolment that would still be a claim.
func (a *agreement) recordView(nid string) []string {
	a.t.Helper()
	_, pid := a.live.identity("nid", nid)
	pool := a.store.Pool()
	rows, err := pool.Query(a.ctx, `SELECT programme, event_id, status, wallet_key FROM enrolments
		WHERE person_id = $1 AND status <> 'blocked' ORDER BY programme, enrolled_at DESC, event_id DESC`, pid)
	if err != nil {
		a.t.Fatal(err)
	}
	var out []string
	last := ""
	for rows.Next() {
		var prog, id, status, wallet string
		if err := rows.Scan(&prog, &id, &status, &wallet); err != nil {
			a.t.Fatal(err)
		}
		switch {
		case prog != last:
			out = append(out, claimLine(prog, status, id, wallet), "candidate")
		case status != domain.EnrolmentExited:
			out = append(out, fmt.Sprintf("%s: also %s %s", prog, status, id))
		}
		last = prog
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		a.t.Fatal(err)
	}
	var dead bool
	var walletAt *time.Time
	if err := pool.QueryRow(a.ctx, `SELECT deceased_at IS NOT NULL,
			(SELECT max(occurred_at) FROM status_changes WHERE person_id = $1 AND status = 'wallet_changed')
		FROM persons WHERE person_id = $1`, pid).Scan(&dead, &walletAt); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		a.t.Fatal(err)
	}
	if dead {
		out = append(out, "deceased")
	}
	clocks, err := pool.Query(a.ctx, `SELECT programme, max(occurred_at) FROM status_changes WHERE person_id = $1 GROUP BY programme`, pid)
	if err != nil {
		a.t.Fatal(err)
	}
	for clocks.Next() {
		var prog string
		var at time.Time
		if err := clocks.Scan(&prog, &at); err != nil {
			a.t.Fatal(err)
		}
		out = append(out, clockLine(prog, at))
	}
	clocks.Close()
	if err := clocks.Err(); err != nil {
		a.t.Fatal(err)
	}
	var lifeAt *time.Time
	if err := pool.QueryRow(a.ctx, `SELECT max(occurred_at) FROM status_changes WHERE person_id = $1
		AND ((programme = '' AND status = ANY($2)) OR (programme <> '' AND status = ANY($3)))`, pid,
		domain.StatusesWhere(func(t domain.Transition) bool { return t.AllProgrammes && t.TouchesLife() }),
		domain.StatusesWhere(func(t domain.Transition) bool { return !t.AllProgrammes && t.TouchesLife() })).Scan(&lifeAt); err != nil {
		a.t.Fatal(err)
	}
	if lifeAt != nil {
		out = append(out, lifeLine(*lifeAt))
	}
	if walletAt != nil {
		out = append(out, fmt.Sprintf("wallet changed at %d", walletAt.Unix()))
	}
	out = slices.Compact(slices.Sorted(slices.Values(out)))
	return out
}

// check rebuilds the index from the record and reports every person of
// whom the live index, the record and the rebuilt index do not say the
// same. what names each person's scenario and the steps so far.
func (a *agreement) check(nids []string, what func(i int) string) {
	a.t.Helper()
	if _, ok, err := a.rebuilt.Rebuild(a.ctx, a.store.BeginRebuild, a.store.IndexFacts); err != nil || !ok {
		a.t.Fatalf("rebuild: %v %v", ok, err)
	}
	for i, nid := range nids {
		live, record, rebuilt := a.indexView(a.live, nid), a.recordView(nid), a.indexView(a.rebuilt, nid)
		if !slices.Equal(live, record) || !slices.Equal(live, rebuilt) {
			a.t.Errorf("%s:\n  index:   %s\n  record:  %s\n  rebuilt: %s", what(i),
				strings.Join(live, "; "), strings.Join(record, "; "), strings.Join(rebuilt, "; "))
		}
	}
	if live, record, rebuilt := a.refsView(a.live), a.recordRefs(), a.refsView(a.rebuilt); !slices.Equal(live, record) || !slices.Equal(live, rebuilt) {
		a.t.Errorf("beneficiary refs:\n  index:   %s\n  record:  %s\n  rebuilt: %s",
			strings.Join(live, "; "), strings.Join(record, "; "), strings.Join(rebuilt, "; "))
	}
	if live, rebuilt := a.tfView(a.live), a.tfView(a.rebuilt); !slices.Equal(live, rebuilt) {
		a.t.Errorf("name-token frequencies:\n  index:   %s\n  rebuilt: %s", strings.Join(live, "; "), strings.Join(rebuilt, "; "))
	}
}

// refsView is the person each beneficiary ref sent maps to in ix, one
// line per ref mapped, sorted.
func (a *agreement) refsView(ix *Index) []string {
	a.t.Helper()
	var out []string
	for r := range a.refs {
		key, field := ix.bucket(familyRef, ix.refHash(r[0], r[1]))
		v, err := ix.rdb.HGet(a.ctx, key, field).Result()
		if errors.Is(err, redis.Nil) {
			continue
		} else if err != nil {
			a.t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s/%s: P%s", r[0], r[1], unpackKey(v)))
	}
	slices.Sort(out)
	return out
}

// recordRefs is the person each beneficiary ref maps to in the record:
// the persons of the enrolments that hold their refs.
func (a *agreement) recordRefs() []string {
	a.t.Helper()
	rows, err := a.store.Pool().Query(a.ctx, `SELECT DISTINCT e.programme || '/' || e.beneficiary_ref || ': ' || e.person_id
		FROM enrolments e WHERE e.holds_ref ORDER BY 1`)
	if err != nil {
		a.t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		a.t.Fatal(err)
	}
	return out
}

// tfView is ix's name-token frequencies: a line per token and the number
// of persons counted, sorted.
func (a *agreement) tfView(ix *Index) []string {
	a.t.Helper()
	tf, err := ix.rdb.HGetAll(a.ctx, ix.tfKey()).Result()
	if err != nil {
		a.t.Fatal(err)
	}
	n, err := ix.rdb.Get(a.ctx, ix.tfTotalKey()).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		a.t.Fatal(err)
	}
	out := []string{"persons " + n}
	for t, c := range tf {
		out = append(out, t+" "+c)
	}
	slices.Sort(out)
	return out
}

// run runs scenarios side by side, one person each, a step of each per
// round, and checks the three views after every round.
func (a *agreement) run(names []string, scenarios [][]step, nidBase int) {
	a.t.Helper()
	nids := make([]string, len(scenarios))
	rounds := 0
	for i, sc := range scenarios {
		nids[i] = fmt.Sprintf("%010d", nidBase+i)
		rounds = max(rounds, len(sc))
	}
	for r := range rounds {
		for i, sc := range scenarios {
			if r < len(sc) {
				// Each event a minute after the last; one stamped early is
				// so many rounds earlier, and half a minute more, so that
				// no two events of a person occur at one time.
				at := a.t0.Add(time.Duration(r*len(scenarios)+i+1) * time.Minute)
				if l := sc[r].late; l > 0 {
					at = at.Add(-time.Duration(l*len(scenarios))*time.Minute - 30*time.Second)
				}
				a.apply(nids[i], nidBase+i, sc[r], at)
			}
		}
		a.check(nids, func(i int) string {
			sc := scenarios[i][:min(r+1, len(scenarios[i]))]
			var steps []string
			for _, s := range sc {
				steps = append(steps, s.String())
			}
			return names[i] + " (" + strings.Join(steps, ", ") + ")"
		})
	}
}

// TestStatusTransitionsAgree runs every status event, on one programme and
// on all, from every state an enrolment can be in, then reinstates the
// person, and a few sequences around exit, suspension and re-enrolment.
func TestStatusTransitionsAgree(t *testing.T) {
	const w1, w2 = 1, 2
	// Each start leaves old_age and vgd in one state.
	starts := map[string][]step{
		domain.EnrolmentActive: {enrolIn("old_age", w1), enrolIn("vgd", w1)},
		// An enrolment of the dead is held for review; reinstatement
		// brings the person back and leaves the holds.
		domain.EnrolmentHeld: {statusOf(domain.StatusDeceased, ""), enrolIn("old_age", w1), enrolIn("vgd", w1),
			statusOf(domain.StatusReinstated, "")},
		domain.EnrolmentSuspended: {enrolIn("old_age", w1), enrolIn("vgd", w1), statusOf(domain.StatusSuspended, "")},
		domain.EnrolmentExited:    {enrolIn("old_age", w1), enrolIn("vgd", w1), statusOf(domain.StatusExited, "")},
	}
	var names []string
	var scenarios [][]step
	for _, from := range slices.Sorted(func(yield func(string) bool) {
		for k := range starts {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, st := range []string{domain.StatusDeceased, domain.StatusExited, domain.StatusSuspended,
			domain.StatusReinstated, domain.StatusWalletChanged} {
			for _, prog := range []string{"old_age", ""} {
				ev := statusOf(st, prog)
				if st == domain.StatusWalletChanged {
					ev = walletChange(prog, w2)
				}
				sc := append(slices.Clone(starts[from]), ev,
					statusOf(domain.StatusReinstated, "old_age"), statusOf(domain.StatusReinstated, ""))
				names = append(names, from+" then "+ev.String())
				scenarios = append(scenarios, sc)
			}
		}
	}
	named := []struct {
		name  string
		steps []step
	}{
		{"re-enrolment after exit, then reinstatement", []step{enrolIn("old_age", w1), statusOf(domain.StatusExited, "old_age"),
			enrolIn("old_age", w2), statusOf(domain.StatusReinstated, "old_age")}},
		{"two exits, then reinstatement", []step{enrolIn("old_age", w1), statusOf(domain.StatusExited, "old_age"),
			enrolIn("old_age", w2), statusOf(domain.StatusExited, ""), statusOf(domain.StatusReinstated, "")}},
		{"suspension of all, then a new enrolment", []step{enrolIn("old_age", w1), statusOf(domain.StatusSuspended, ""),
			enrolIn("vgd", w1), statusOf(domain.StatusReinstated, "old_age")}},
		{"suspension before enrolment", []step{statusOf(domain.StatusSuspended, "vgd"), enrolIn("vgd", w1),
			statusOf(domain.StatusExited, "old_age")}},
		{"suspension, then exit, then reinstatement", []step{enrolIn("vgd", w1), statusOf(domain.StatusSuspended, "vgd"),
			statusOf(domain.StatusExited, "vgd"), statusOf(domain.StatusReinstated, "vgd")}},
		{"death and enrolment in a second programme", []step{enrolIn("old_age", w1), statusOf(domain.StatusDeceased, ""),
			enrolIn("vgd", w1), statusOf(domain.StatusReinstated, "vgd"), statusOf(domain.StatusReinstated, "")}},
	}
	for _, n := range named {
		names, scenarios = append(names, n.name), append(scenarios, n.steps)
	}
	newAgreement(t).run(names, scenarios, 1000000000)
}

// TestStatusTransitionsAgreeRandomly runs random sequences of enrolments
// and status events, seeded, and checks the three views after each round.
func TestStatusTransitionsAgreeRandomly(t *testing.T) {
	const persons, rounds = 16, 12
	rng := rand.New(rand.NewPCG(7, 11))
	progs := []string{"old_age", "vgd", "widow"}
	statuses := []string{domain.StatusDeceased, domain.StatusExited, domain.StatusSuspended,
		domain.StatusReinstated, domain.StatusWalletChanged}
	names := make([]string, persons)
	scenarios := make([][]step, persons)
	for i := range scenarios {
		names[i] = fmt.Sprintf("person %d", i)
		for range rounds {
			prog := progs[rng.IntN(len(progs))]
			switch st := statuses[rng.IntN(len(statuses))]; {
			case rng.IntN(3) == 0:
				s := enrolIn(prog, 1+rng.IntN(3))
				if rng.IntN(2) == 0 {
					// A ref other persons may name too.
					s.ref = fmt.Sprintf("shared-%d", rng.IntN(4))
				}
				scenarios[i] = append(scenarios[i], s)
			default:
				if rng.IntN(2) == 0 {
					prog = ""
				}
				s := statusOf(st, prog)
				if st == domain.StatusWalletChanged {
					s.wallet = 1 + rng.IntN(3)
				}
				if rng.IntN(2) == 0 {
					// Delivered late, after events that occurred later.
					s.late = 1 + rng.IntN(3)
				}
				scenarios[i] = append(scenarios[i], s)
			}
		}
	}
	newAgreement(t).run(names, scenarios, 2000000000)
}

// TestRefsAgree runs persons enrolling with one another's beneficiary refs:
// each ref stays with the first person to enrol with it, in the index, the
// record and the rebuilt index, whatever became of that person's
// enrolments, and a payment by the ref finds that person after a rebuild.
func TestRefsAgree(t *testing.T) {
	a := newAgreement(t)
	names := []string{"first owner", "newcomer", "third"}
	a.run(names, [][]step{
		{enrolWithRef("old_age", "R1"), enrolWithRef("old_age", "R1"), statusOf(domain.StatusExited, "old_age"),
			enrolWithRef("vgd", "R2")},
		{enrolWithRef("old_age", "R1"), enrolWithRef("vgd", "R1"), enrolWithRef("vgd", "R2"), enrolWithRef("old_age", "R1")},
		{enrolWithRef("widow", "R1"), enrolWithRef("old_age", "R2"), statusOf(domain.StatusDeceased, ""), enrolWithRef("old_age", "R1")},
	}, 3000000000)
	// The rebuilt index pays by ref whom the live one does.
	for _, ref := range [][2]string{{"old_age", "R1"}, {"vgd", "R1"}, {"vgd", "R2"}, {"old_age", "R2"}, {"widow", "R1"}} {
		var got [2]string
		for i, ix := range []*Index{a.live, a.rebuilt} {
			o := &domain.Outcome{Event: &domain.Event{EventID: "pay-" + ref[0] + ref[1], Type: domain.TypeDistribution, Programme: ref[0],
				BeneficiaryRef: ref[1], Cycle: "2026-12", Occurred: a.t0}}
			if _, _, err := ix.resolveRefs(a.ctx, []*domain.Outcome{o}); err != nil {
				t.Fatal(err)
			}
			got[i] = o.Decision.PersonID
		}
		if got[0] == "" || got[0] != got[1] {
			t.Errorf("payment by %s/%s: the index pays %q, the rebuilt index %q", ref[0], ref[1], got[0], got[1])
		}
	}
	_, owner := a.live.identity("nid", "3000000000")
	o := &domain.Outcome{Event: &domain.Event{EventID: "pay-r1", Type: domain.TypeDistribution, Programme: "old_age",
		BeneficiaryRef: "R1", Cycle: "2026-12", Occurred: a.t0}}
	if _, _, err := a.rebuilt.resolveRefs(a.ctx, []*domain.Outcome{o}); err != nil {
		t.Fatal(err)
	}
	if o.Decision.PersonID != owner {
		t.Errorf("after a rebuild, old_age/R1 pays %s, want its first owner %s", o.Decision.PersonID, owner)
	}
}

// TestStatusEventsApplyInTheOrderTheyOccurred delivers status events late,
// after events of the same person that occurred after them: an older event
// never overrides a newer one of its person and scope, in the index, the
// record and the rebuilt index.
func TestStatusEventsApplyInTheOrderTheyOccurred(t *testing.T) {
	const w1, w2, w3 = 1, 2, 3
	named := []struct {
		name  string
		steps []step
	}{
		{"an exit older than a reinstatement leaves the person active", []step{enrolIn("old_age", w1),
			statusOf(domain.StatusExited, "old_age"), statusOf(domain.StatusReinstated, "old_age"),
			stampedEarly(statusOf(domain.StatusExited, "old_age"), 1)}},
		{"a reinstatement older than a death leaves the person dead", []step{enrolIn("old_age", w1),
			statusOf(domain.StatusDeceased, ""), stampedEarly(statusOf(domain.StatusReinstated, ""), 1)}},
		{"a death newer than a reinstatement stands", []step{enrolIn("old_age", w1),
			statusOf(domain.StatusDeceased, ""), statusOf(domain.StatusReinstated, ""), statusOf(domain.StatusDeceased, "")}},
		{"an older wallet change keeps the newer wallet", []step{enrolIn("old_age", w1),
			walletChange("old_age", w2), stampedEarly(walletChange("old_age", w3), 1)}},
		{"a programme's exit older than a reinstatement of all", []step{enrolIn("old_age", w1), enrolIn("vgd", w1),
			statusOf(domain.StatusSuspended, ""), statusOf(domain.StatusReinstated, ""),
			stampedEarly(statusOf(domain.StatusExited, "old_age"), 1), statusOf(domain.StatusExited, "vgd")}},
		{"an exit of all older than one programme's reinstatement", []step{enrolIn("old_age", w1), enrolIn("vgd", w1),
			statusOf(domain.StatusSuspended, "old_age"), statusOf(domain.StatusReinstated, "old_age"),
			stampedEarly(statusOf(domain.StatusExited, ""), 1)}},
		{"a late suspension of another programme still applies", []step{enrolIn("old_age", w1), enrolIn("vgd", w1),
			statusOf(domain.StatusExited, "vgd"), stampedEarly(statusOf(domain.StatusSuspended, "old_age"), 1)}},
		{"a late death older than an exit still marks the person", []step{enrolIn("old_age", w1),
			statusOf(domain.StatusExited, "old_age"), stampedEarly(statusOf(domain.StatusDeceased, ""), 1)}},
	}
	var names []string
	var scenarios [][]step
	for _, n := range named {
		names, scenarios = append(names, n.name), append(scenarios, n.steps)
	}
	newAgreement(t).run(names, scenarios, 4000000000)
}

// TestFuzzyHoldAndStatusInOneBatch sends, in one batch, the enrolment of a
// person already enrolled under another NID, which the fuzzy rules hold,
// and status events for its programme: the hold is decided after the
// batch's claims were made, yet the index must hold the enrolment as the
// record does, since no status event moves a held enrolment.
func TestFuzzyHoldAndStatusInOneBatch(t *testing.T) {
	a := newAgreement(t)
	batches := []struct {
		name  string
		steps []step
	}{
		{"exit", []step{statusOf(domain.StatusExited, "old_age")}},
		{"suspension of all", []step{statusOf(domain.StatusSuspended, "")}},
		{"exit and reinstatement", []step{statusOf(domain.StatusExited, ""), statusOf(domain.StatusReinstated, "old_age")}},
		{"suspension and wallet change", []step{statusOf(domain.StatusSuspended, "old_age"), walletChange("", 2)}},
		{"death", []step{statusOf(domain.StatusDeceased, "")}},
	}
	const base = 5000000000
	var nids []string
	for i, b := range batches {
		// The same person under two NIDs: the second enrolment matches
		// the first closely and is held.
		first, second := fmt.Sprintf("%010d", base+2*i), fmt.Sprintf("%010d", base+2*i+1)
		nids = append(nids, first, second)
		at := a.t0.Add(time.Duration(10*i) * time.Minute)
		a.send(a.event(first, i, enrolIn("old_age", 1)), at)
		events := []*domain.Event{a.event(second, i, enrolIn("old_age", 1))}
		ats := []time.Time{at.Add(time.Minute)}
		for j, s := range b.steps {
			events, ats = append(events, a.event(second, i, s)), append(ats, at.Add(time.Duration(j+2)*time.Minute))
		}
		outs := a.sendBatch(events, ats)
		if d := outs[0].Decision; d.Action != domain.ActionHold || !slices.Contains(d.Rules, domain.RuleFuzzyPerson) {
			t.Fatalf("%s: the second enrolment is %s %v, want held as FUZZY_PERSON", b.name, d.Action, d.Rules)
		}
	}
	a.check(nids, func(i int) string { return batches[i/2].name + fmt.Sprintf(" (person %d)", i%2) })
}
