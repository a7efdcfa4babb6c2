package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/pipeline/kafka"
)

// plannedEvent is one event a fault run sends, with what its decision must
// be: the ground truth the run checks the record and the topics against.
// It is known from how the events were made and in what order they were
// sent, never by deciding anything.
type plannedEvent struct {
	id    string // event_id in the JSON; a rejected event may have none usable
	kind  string // what it is, for messages and the summary
	topic string
	key   string // the NID, as source systems key their messages
	value []byte
	// nid, programme and cycle are what the run checks its invariants on.
	nid, programme, cycle string
	// coordinates: the decision is filed under the message's Kafka
	// coordinates, as the event has no usable id or reuses one.
	coordinates bool
	actions     []domain.Action // the actions its decision may have
	rules       []string        // one of these must be among its rules, if any are given
	after       *plannedEvent   // the event whose decision it was sent after, if any
}

// check says what is wrong with d as the decision of e, if anything.
func (e *plannedEvent) check(d domain.Decision) error {
	if !slices.Contains(e.actions, d.Action) {
		return fmt.Errorf("%s %s: decided %s %v (%s), want %v", e.kind, e.id, d.Action, d.Rules, d.Reason, e.actions)
	}
	if len(e.rules) > 0 && !slices.ContainsFunc(d.Rules, func(r string) bool { return slices.Contains(e.rules, r) }) {
		return fmt.Errorf("%s %s: decided %s %v (%s), want a rule of %v", e.kind, e.id, d.Action, d.Rules, d.Reason, e.rules)
	}
	return nil
}

// sendGroup is events sent together, in order, under one key: one
// partition takes them in this order. A group with a gate waits until the
// gate's decision is durable; it is sent if that decision is one of
// gateActions, and dropped otherwise (a payment to a held enrolment would
// rightly be blocked, which the run could not foretell).
type sendGroup struct {
	events      []*plannedEvent
	gate        *plannedEvent
	gateActions []domain.Action
}

var (
	admitted      = []domain.Action{domain.ActionAdmit, domain.ActionHold}
	anyAction     = []domain.Action{domain.ActionAdmit, domain.ActionHold, domain.ActionBlock, domain.ActionRejected}
	onlyAdmit     = []domain.Action{domain.ActionAdmit}
	onlyBlock     = []domain.Action{domain.ActionBlock}
	onlyRejected  = []domain.Action{domain.ActionRejected}
	exclusiveDSS  = []string{"old_age", "widow", "disability"}
	otherSchemes  = []string{"vgd", "tea_garden", "gr"}
	upazilas      = []string{"Savar", "Dhamrai", "Keraniganj", "Nawabganj", "Dohar"}
	workloadNames = []string{"Rafiqul", "Abdul", "Karim", "Jamal", "Nurul", "Amin", "Shahidul", "Mizanur", "Anwar", "Belal",
		"Delwar", "Faruk", "Habibur", "Jahangir", "Kamrul", "Liakot", "Mostafa", "Nazrul", "Obaidul", "Rashed", "Sirajul",
		"Tofazzal", "Amena", "Rahima", "Fatema", "Shirin", "Nasima", "Rokeya", "Jahanara", "Parvin", "Selina", "Hasina",
		"Monowara", "Kohinoor", "Lutfa", "Shefali", "Anjuman", "Dilruba", "Mahmuda", "Razia"}
	workloadFamilies = []string{"Islam", "Rahman", "Hossain", "Ahmed", "Uddin", "Sarkar", "Mollah", "Talukder", "Bhuiyan",
		"Chowdhury", "Mia", "Khan", "Sheikh", "Begum", "Khatun", "Akter", "Sultana", "Biswas", "Mondal", "Pramanik",
		"Howlader", "Sikder", "Munshi", "Fakir", "Dewan"}
)

// workload makes a fault run's events from a seed: people enrolling,
// some twice in one programme or in two that exclude each other, paid
// monthly, some twice in one cycle, some dying and paid afterwards; a
// source resending an event, one reusing an event id; malformed events
// among them. It is used by one goroutine.
type workload struct {
	rng       *rand.Rand
	topics    kafka.Topics
	persons   int
	malformed int
	all       []*plannedEvent
}

func newWorkload(seed uint64, topics kafka.Topics) *workload {
	return &workload{rng: rand.New(rand.NewPCG(seed, 0x656b6a6f6e)), topics: topics}
}

func (w *workload) chance(p float64) bool { return w.rng.Float64() < p }

func (w *workload) plan(e *plannedEvent) *plannedEvent {
	w.all = append(w.all, e)
	return e
}

// next returns the groups of the next person, or now and then a malformed
// event: the first group goes at once, the others wait for their gates.
func (w *workload) next() []*sendGroup {
	if w.chance(0.03) {
		return []*sendGroup{{events: []*plannedEvent{w.malformedEvent()}}}
	}
	return w.person()
}

// person plans one person's events.
func (w *workload) person() []*sendGroup {
	i := w.persons
	w.persons++
	nid := fmt.Sprintf("%010d", 2000000000+i)
	prog := exclusiveDSS[w.rng.IntN(len(exclusiveDSS))]
	if w.chance(0.3) {
		prog = otherSchemes[w.rng.IntN(len(otherSchemes))]
	}
	gender := []string{"male", "female"}[w.rng.IntN(2)]
	if prog == "widow" || prog == "vgd" {
		gender = "female"
	}
	name := workloadNames[w.rng.IntN(len(workloadNames))] + " " + workloadNames[w.rng.IntN(len(workloadNames))] + " " +
		workloadFamilies[w.rng.IntN(len(workloadFamilies))]
	father := workloadNames[w.rng.IntN(len(workloadNames))] + " " + workloadFamilies[w.rng.IntN(len(workloadFamilies))]
	// Old enough for the old age allowance: eligibility holds no one here.
	dob := fmt.Sprintf("%d-%02d-%02d", 1925+w.rng.IntN(35), 1+w.rng.IntN(12), 1+w.rng.IntN(28))
	phone := fmt.Sprintf("017%08d", i)
	upazila := upazilas[w.rng.IntN(len(upazilas))]
	enrol := func(id, kind, prog string, actions []domain.Action, rules ...string) *plannedEvent {
		return w.plan(&plannedEvent{id: id, kind: kind, topic: w.topics.Enrolments, key: nid, nid: nid, programme: prog,
			value:   []byte(personEnrolment(id, nid, prog, "", name, father, dob, gender, phone, upazila)),
			actions: actions, rules: rules})
	}
	pay := func(id, kind, cycle, at string, actions []domain.Action, rules ...string) *plannedEvent {
		return w.plan(&plannedEvent{id: id, kind: kind, topic: w.topics.Distributions, key: nid, nid: nid, programme: prog, cycle: cycle,
			value:   []byte(paymentEvent(id, nid, prog, cycle, phone, at)),
			actions: actions, rules: rules})
	}
	id := func(what string) string { return fmt.Sprintf("p%d-%s", i, what) }

	first := enrol(id("enrol"), "enrolment", prog, admitted)
	g := &sendGroup{events: []*plannedEvent{first}}
	if w.chance(0.12) {
		g.events = append(g.events, enrol(id("again"), "second enrolment in one programme", prog, onlyBlock, domain.RuleDupNID))
	}
	if slices.Contains(exclusiveDSS, prog) && w.chance(0.1) {
		other := exclusiveDSS[(slices.Index(exclusiveDSS, prog)+1+w.rng.IntN(2))%len(exclusiveDSS)]
		g.events = append(g.events, enrol(id("exclusive"), "enrolment in an excluded programme", other, onlyBlock, domain.RuleMultiProgramme))
	}
	if w.chance(0.08) {
		g.events = append(g.events, enrol(id("vgf"), "enrolment in a compatible programme", "vgf", admitted))
	}
	groups := []*sendGroup{g}
	gated := func(g *sendGroup) *sendGroup {
		for _, e := range g.events {
			if e != g.gate {
				e.after = g.gate
			}
		}
		return g
	}

	pays := &sendGroup{gate: first, gateActions: onlyAdmit}
	pays.events = append(pays.events, pay(id("pay-2026-11"), "payment", "2026-11", "2026-11-05T09:00:00Z", onlyAdmit))
	if w.chance(0.12) {
		pays.events = append(pays.events, pay(id("pay-2026-11-again"), "second payment in one cycle", "2026-11", "2026-11-06T09:00:00Z",
			onlyBlock, domain.RuleDoublePayment))
	}
	pays.events = append(pays.events, pay(id("pay-2026-12"), "payment", "2026-12", "2026-12-05T09:00:00Z", onlyAdmit))
	groups = append(groups, gated(pays))

	if w.chance(0.15) {
		// The death is sent once the payments before it are decided, and the
		// payment after it once the death is.
		death := w.plan(&plannedEvent{id: id("death"), kind: "death", topic: w.topics.Status, key: nid, nid: nid,
			value:   []byte(statusEvent(id("death"), nid, domain.StatusDeceased, "", "", "2026-12-10T00:00:00Z")),
			actions: onlyAdmit})
		groups = append(groups, gated(&sendGroup{events: []*plannedEvent{death}, gate: pays.events[len(pays.events)-1], gateActions: anyAction}),
			gated(&sendGroup{gate: death, gateActions: onlyAdmit, events: []*plannedEvent{
				pay(id("pay-2027-01"), "payment to the dead", "2027-01", "2027-01-05T09:00:00Z", onlyBlock, domain.RuleDeceasedOrExited)}}))
	}
	if w.chance(0.05) {
		// A source sending the same event again: the same bytes, one decision.
		groups = append(groups, &sendGroup{events: []*plannedEvent{first}, gate: first, gateActions: anyAction})
	}
	if w.chance(0.03) {
		reused := w.plan(&plannedEvent{id: first.id, kind: "reused event id", topic: w.topics.Enrolments, key: nid, nid: nid, programme: "oms",
			value:       []byte(personEnrolment(first.id, nid, "oms", "", name, father, dob, gender, phone, upazila)),
			coordinates: true, actions: onlyRejected, rules: []string{domain.RuleEventIDReused}})
		groups = append(groups, gated(&sendGroup{events: []*plannedEvent{reused}, gate: first, gateActions: anyAction}))
	}
	return groups
}

// malformedEvent plans one of a few kinds of bad input.
func (w *workload) malformedEvent() *plannedEvent {
	n := w.malformed
	w.malformed++
	id := fmt.Sprintf("bad-%d", n)
	values := []string{
		fmt.Sprintf(`{"event_id":%q,"type":`, id),
		fmt.Sprintf("{\"event_id\":%q,\"type\":\"enrolment\",\"source\":\"\xff\xfe\"}", id),
		fmt.Sprintf(`{"event_id":%q,"type":"enrolment"}`, id),
		fmt.Sprintf(`{"event_id":%q,"type":"lottery","occurred_at":"2026-11-01T10:00:00Z","source":"x"}`, id),
		fmt.Sprintf(`{"event_id":%q,"type":"distribution","amount":"six hundred"}`, id),
		personEnrolment(id, "12345", "widow", "", "Amena Begum", "", "1950-01-01", "female", "01812345678", "Savar"),
	}
	v := []byte(values[w.rng.IntN(len(values))])
	e := &plannedEvent{id: domain.PeekEventID(v), kind: "malformed event", topic: w.topics.Enrolments,
		key: fmt.Sprintf("%010d", w.rng.IntN(1e9)), value: v, actions: onlyRejected,
		rules: []string{domain.RuleInvalidEvent, domain.RuleInvalidID}}
	e.coordinates = e.id == ""
	return w.plan(e)
}

// feeder sends a workload to Kafka at a steady rate, as source systems
// would, holding back gated groups until their gates are decided (it reads
// the record for that) and retrying writes the broker refuses while it is
// down. Run is its only goroutine; the counters may be read at any time,
// the rest once Run has returned.
type feeder struct {
	w      *workload
	writer *kafka.Writer
	db     *pgxpool.Pool
	rate   int // events a second

	generating atomic.Bool  // new people are made while set
	sent       atomic.Int64 // messages the broker acknowledged

	ready, waiting []*sendGroup
	dropped        int                    // groups whose gate was decided otherwise, or never sent
	unsent         map[*plannedEvent]bool // events of dropped groups
	writeRetries   int
	acked          map[*plannedEvent]int
}

func newFeeder(w *workload, broker string, db *pgxpool.Pool, rate int) *feeder {
	f := &feeder{w: w, db: db, rate: rate, acked: map[*plannedEvent]int{}, unsent: map[*plannedEvent]bool{}, writer: kafka.NewWriter(&kafkago.Writer{
		Addr: kafkago.TCP(broker), Balancer: &kafkago.Hash{}, RequiredAcks: kafkago.RequireAll,
		BatchTimeout: time.Millisecond, BatchBytes: 8 << 20, MaxAttempts: 2, WriteBackoffMax: 200 * time.Millisecond,
		WriteTimeout: 5 * time.Second, ReadTimeout: 5 * time.Second,
	})}
	f.generating.Store(true)
	return f
}

// run sends until new people are no longer made and every gated group has
// been sent or dropped, or ctx ends.
func (f *feeder) run(ctx context.Context) error {
	defer f.writer.Close()
	const tick = 50 * time.Millisecond
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	lastPoll := time.Now()
	budget := 0.0
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("feeder: %w (%d groups ready, %d waiting)", ctx.Err(), len(f.ready), len(f.waiting))
		case <-ticker.C:
		}
		if time.Since(lastPoll) >= 300*time.Millisecond {
			f.release(ctx)
			lastPoll = time.Now()
		}
		generating := f.generating.Load()
		if !generating && len(f.ready) == 0 && len(f.waiting) == 0 {
			return nil
		}
		rate := float64(f.rate)
		if !generating {
			rate *= 2 // what is left is what waited for the faults to pass
		}
		budget = min(budget+rate*tick.Seconds(), rate/2)
		var batch []*sendGroup
		for budget >= 1 {
			if len(f.ready) > 0 {
				batch = append(batch, f.ready[0])
				budget -= float64(len(f.ready[0].events))
				f.ready = f.ready[1:]
				continue
			}
			if !generating {
				break
			}
			gs := f.w.next()
			batch = append(batch, gs[0])
			budget -= float64(len(gs[0].events))
			f.waiting = append(f.waiting, gs[1:]...)
		}
		if len(batch) > 0 {
			if err := f.send(ctx, batch); err != nil {
				return err
			}
		}
	}
}

// release moves the waiting groups whose gates are decided to ready, or
// drops them. A record that does not answer (restarting) is asked again
// at the next tick.
func (f *feeder) release(ctx context.Context) {
	if len(f.waiting) == 0 {
		return
	}
	ids := make([]string, 0, len(f.waiting))
	for _, g := range f.waiting {
		ids = append(ids, g.gate.id)
	}
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	rows, err := f.db.Query(qctx, `SELECT event_id, action FROM decisions WHERE event_id = ANY($1)`, ids)
	if err != nil {
		return
	}
	decided := map[string]domain.Action{}
	for rows.Next() {
		var id, action string
		if rows.Scan(&id, &action) == nil {
			decided[id] = domain.Action(action)
		}
	}
	rows.Close()
	if rows.Err() != nil {
		return
	}
	for changed := true; changed; {
		changed = false
		still := f.waiting[:0]
		for _, g := range f.waiting {
			a, ok := decided[g.gate.id]
			switch {
			case f.unsent[g.gate] || ok && !slices.Contains(g.gateActions, a):
				// A group gated on an event never sent is never sent.
				for _, e := range g.events {
					f.unsent[e] = true
				}
				f.dropped++
				changed = true
			case ok:
				f.ready = append(f.ready, g)
			default:
				still = append(still, g)
			}
		}
		clear(f.waiting[len(still):])
		f.waiting = still
	}
}

// send writes the groups' events, retrying what the broker refused until
// it takes them or ctx ends. A message may so be written twice, as a
// source system's retries would; its decision is still one.
func (f *feeder) send(ctx context.Context, groups []*sendGroup) error {
	var msgs []kafkago.Message
	var events []*plannedEvent
	for _, g := range groups {
		for _, e := range g.events {
			msgs = append(msgs, kafkago.Message{Topic: e.topic, Key: []byte(e.key), Value: e.value})
			events = append(events, e)
		}
	}
	for {
		err := f.writer.WriteMessages(ctx, msgs...)
		var werrs kafkago.WriteErrors
		switch {
		case err == nil:
			for _, e := range events {
				f.acked[e]++
			}
			f.sent.Add(int64(len(msgs)))
			return nil
		case errors.As(err, &werrs) && len(werrs) == len(msgs):
			var retryMsgs []kafkago.Message
			var retryEvents []*plannedEvent
			for i, werr := range werrs {
				if werr == nil {
					f.acked[events[i]]++
					f.sent.Add(1)
					continue
				}
				retryMsgs = append(retryMsgs, msgs[i])
				retryEvents = append(retryEvents, events[i])
			}
			msgs, events = retryMsgs, retryEvents
		}
		f.writeRetries++
		select {
		case <-ctx.Done():
			return fmt.Errorf("feeder: %d messages unsent: %w (last error: %v)", len(msgs), ctx.Err(), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
