package synth

import (
	"bytes"
	"encoding/json"
	"iter"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/ekjon/ekjon/domain"
)

// emitter numbers the events of one stream, sprinkles malformed copies after
// valid ones and holds records that are due later (a duplicate enrolment
// arrives weeks after the first one).
type emitter struct {
	g       *Generator
	prefix  string // event_id prefix: run id and stream
	phase   Phase
	n       int
	r       *rand.Rand // stream-level draws: malformed events
	pending []pending
	yield   func(Record) bool
	stopped bool
}

type pending struct {
	at int
	e  *domain.Event
	t  Truth
}

func (g *Generator) emitter(stream string, phase Phase, salt uint64, yield func(Record) bool) *emitter {
	return &emitter{g: g, prefix: g.cfg.RunID + "-" + stream + "-", phase: phase,
		r: g.rng(saltStream, int(phase), salt), yield: yield}
}

func (em *emitter) nextID() string {
	em.n++
	return em.prefix + pad(em.n, 8)
}

// emit marshals e, assigns its event_id and yields it, possibly followed by
// a malformed copy. It reports false once the consumer has stopped.
func (em *emitter) emit(e *domain.Event, t Truth) bool {
	if em.stopped {
		return false
	}
	e.EventID = em.nextID()
	t.EventID = e.EventID
	slices.Sort(t.Rules)
	t.Rules = slices.Compact(t.Rules)
	if t.Rules == nil {
		t.Rules = []string{}
	}
	t.Action = actionFor(t.Rules)
	v, err := json.Marshal(e)
	if err != nil { // cannot happen: Event holds only strings and numbers
		panic(err)
	}
	if !em.yield(Record{Type: e.Type, Key: keyOf(e), Value: v, EventID: e.EventID, Phase: em.phase, Truth: t}) {
		em.stopped = true
		return false
	}
	if em.r.Float64() < em.g.cfg.MalformedRate {
		return em.malformed(e, v, t.PersonID)
	}
	return true
}

// later queues e to be emitted once the stream has reached position at.
func (em *emitter) later(at int, e *domain.Event, t Truth) {
	em.pending = append(em.pending, pending{at: at, e: e, t: t})
}

// flush emits the queued records that are due at position pos.
func (em *emitter) flush(pos int) bool {
	k := 0
	for _, p := range em.pending {
		if p.at <= pos {
			if !em.emit(p.e, p.t) {
				return false
			}
			continue
		}
		em.pending[k] = p
		k++
	}
	em.pending = em.pending[:k]
	return true
}

func keyOf(e *domain.Event) []byte {
	nid := e.NID
	if e.Person != nil {
		nid = e.Person.NID
	}
	if n, ok := domain.NormalizeNID(nid); ok {
		// The core, as the docs ask: both forms of one NID go to one
		// partition.
		return []byte(domain.NIDCore(n))
	}
	return []byte(e.BeneficiaryRef)
}

// malformed emits a broken copy of e, on one line.
func (em *emitter) malformed(e *domain.Event, v []byte, cluster string) bool {
	c := *e
	if c.Person != nil {
		p := *c.Person
		c.Person = &p
	}
	c.EventID = em.nextID()
	t := Truth{EventID: c.EventID, PersonID: cluster, Pattern: PatternMalformed, Fraud: false}
	rule := domain.RuleInvalidEvent
	var b []byte
	kind := em.r.IntN(7)
	if kind == 6 && c.Person == nil {
		kind = 5
	}
	switch kind {
	case 0: // truncated in transit
		b, _ = json.Marshal(&c)
		b = b[:len(b)*2/3]
	case 1: // a field of the wrong type
		b, _ = json.Marshal(&c)
		b = bytes.Replace(b, []byte(`"occurred_at":"`+c.OccurredAt+`"`),
			[]byte(`"occurred_at":`+strconv.FormatInt(c.Occurred.Unix(), 10)), 1)
	case 2: // an unknown event type
		c.Type = [...]domain.EventType{"enrollment", "payment", "death", "ENROLMENT"}[em.r.IntN(4)]
		b, _ = json.Marshal(&c)
	case 3: // not UTF-8: a legacy encoder's byte in a name
		b, _ = json.Marshal(&c)
		if i := bytes.IndexByte(b, ','); i > 0 {
			b = append(b[:i:i], append([]byte("\xff"), b[i:]...)...)
		}
	case 4: // required field missing
		c.Source = ""
		b, _ = json.Marshal(&c)
	case 5: // an NID that is not 10, 13 or 17 digits
		bad := badNID(em.r)
		if c.Person != nil {
			c.Person.NID = bad
		} else {
			c.NID = bad
		}
		rule = domain.RuleInvalidID
		b, _ = json.Marshal(&c)
	default: // 17-digit NID whose birth year disagrees with dob
		dob, _ := time.Parse("2006-01-02", c.Person.DOB)
		n, _ := domain.NormalizeNID(c.Person.NID)
		if len(n) == 10 || n == "" {
			n = "000" + nid10(uint64(em.n))
		}
		if len(n) == 17 {
			n = n[4:]
		}
		c.Person.NID = strconv.Itoa(dob.Year()+1+em.r.IntN(5)) + n
		rule = domain.RuleInvalidID
		b, _ = json.Marshal(&c)
	}
	t.Rules, t.Action = []string{rule}, domain.ActionRejected
	key := keyOf(e)
	if !em.yield(Record{Type: c.Type, Key: key, Value: b, EventID: c.EventID, Phase: em.phase, Truth: t}) {
		em.stopped = true
		return false
	}
	return true
}

func badNID(r *rand.Rand) string {
	switch r.IntN(3) {
	case 0:
		return pad(r.IntN(1_000_000_000), 9) + "12" // 11 digits
	case 1:
		return "19" + pad(r.IntN(1_000_000_000), 9) + "O4" // a letter O for a zero
	}
	return pad(r.IntN(1_000_000), 6) + pad(r.IntN(1_000_000), 6) // 12 digits
}

// sharedRules returns SHARED_CONTACT when a phone is already tied to more
// than K other persons.
func (g *Generator) sharedRules(others int, rules []string) []string {
	if others > g.cfg.SharedContactK {
		return append(rules, domain.RuleSharedContact)
	}
	return rules
}

func enrolmentSource(programme string) string {
	switch programme {
	case "vgd":
		return "dwa-mis"
	case "vgf", "gr", "emergency_cash":
		return "ddm-mis"
	case "oms":
		return "dgf-oms"
	case "freedom_fighter":
		return "molwa-mis"
	}
	return "dss-mis"
}

// Enrolments streams every enrolment in the order offices send them:
// persons in turn over the six months before the first cycle, a duplicate
// or variant enrolment some weeks after the first, malformed events
// sprinkled in. Every call yields the same records.
func (g *Generator) Enrolments() iter.Seq[Record] {
	return func(yield func(Record) bool) {
		em := g.emitter("enr", PhaseEnrolment, 1, yield)
		n := g.cfg.Persons
		start := g.t0.AddDate(0, -6, 0)
		span := float64(150 * 24 * time.Hour)
		tied := make([]int32, len(g.size)) // distinct persons seen per shared phone
		for i := range n {
			if !em.flush(i) {
				return
			}
			c := g.core(i)
			id := g.identity(c)
			rr := g.rng(saltRender, i, 0)
			at := start.Add(time.Duration(span * float64(i) / float64(n)))
			others := 0
			if c.fate.group >= 0 {
				others = int(tied[c.fate.group])
				tied[c.fate.group]++
			}
			base := Truth{PersonID: c.cluster(), Pattern: PatternClean}
			if c.fate.group >= 0 {
				base.Pattern, base.Fraud = PatternSharedPhone, c.fate.fraudG
			}
			e := g.enrolment(c, rr, at, c.programme, c.ref, g.render(rr, c, id, c.nid))
			t := base
			t.Rules = g.sharedRules(others, nil)
			if !em.emit(e, t) {
				return
			}
			// The second enrolment, if any, arrives 1–60 persons later.
			delay := i + 1 + rr.IntN(60)
			later := start.Add(time.Duration(span * float64(min(delay, n)) / float64(n)))
			t = Truth{PersonID: c.cluster()}
			switch c.fate.second {
			case secondDupNID:
				e2 := g.enrolment(c, rr, later, c.programme, refOf(c.programme, i, 1), g.render(rr, c, id, c.nid))
				t.Pattern, t.Fraud, t.Rules = PatternDupNID, true, []string{domain.RuleDupNID}
				em.later(delay, e2, t)
			case secondMulti:
				prog := excludedFor(c, g.t0.Year()-c.dob.Year())
				e2 := g.enrolment(c, rr, later, prog, refOf(prog, i, 1), g.render(rr, c, id, c.nid))
				t.Pattern, t.Fraud, t.Rules = PatternMultiProgramme, true, []string{domain.RuleMultiProgramme}
				em.later(delay, e2, t)
			case secondFuzzy:
				nid := ""
				if rr.Float64() < 0.6 {
					nid = g.nid(rr, c, MaxPersons+i)
				}
				prog := c.programme
				if x := excludedFor(c, g.t0.Year()-c.dob.Year()); x != "" && rr.Float64() < 0.3 {
					prog = x
				}
				orig := g.render(g.rng(saltRender, i, 0), c, id, c.nid)
				p := g.variant(g.rng(saltVariant, i, 0), c, id, orig, nid)
				e2 := g.enrolment(c, rr, later, prog, refOf(prog, i, 2), p)
				t.Pattern, t.Fraud, t.Rules = PatternFuzzyDup, true, []string{domain.RuleFuzzyPerson}
				em.later(delay, e2, t)
			case secondCompat:
				prog := g.compatible(c)
				e2 := g.enrolment(c, rr, later, prog, refOf(prog, i, 3), g.render(rr, c, id, c.nid))
				t = base
				t.Rules = g.sharedRules(others, nil)
				em.later(delay, e2, t)
			}
		}
		em.flush(int(^uint(0) >> 1))
	}
}

func (g *Generator) enrolment(c *core, r *rand.Rand, at time.Time, programme, ref string, p *domain.Person) *domain.Event {
	at = at.Add(time.Duration(r.IntN(3600)) * time.Second)
	return &domain.Event{
		Type: domain.TypeEnrolment, OccurredAt: at.Format(time.RFC3339), Occurred: at,
		Source: enrolmentSource(programme), Programme: programme, BeneficiaryRef: ref, Person: p,
	}
}

type statusEvent struct {
	at time.Time
	e  *domain.Event
	t  Truth
}

// Statuses streams deaths, exits, suspensions, reinstatements and wallet
// changes in time order, all in the weeks before the first cycle. It holds
// only the status events (a few per cent of persons) in memory to sort them.
func (g *Generator) Statuses() iter.Seq[Record] {
	return func(yield func(Record) bool) {
		var evs []statusEvent
		for i := range g.cfg.Persons {
			f := g.fate(i)
			if f.status == statusNone {
				continue
			}
			c := g.core(i)
			r := g.rng(saltStatus, i, 0)
			at := g.t0.Add(-time.Duration(1+r.IntN(25*24)) * time.Hour)
			add := func(at time.Time, source, st, programme, wallet string, fraud bool) {
				t := Truth{PersonID: c.cluster(), Pattern: PatternClean, Rules: []string{}, Fraud: fraud}
				if st == domain.StatusWalletChanged {
					t.Pattern = PatternWalletChange
				}
				e := &domain.Event{Type: domain.TypeStatus, OccurredAt: at.Format(time.RFC3339), Occurred: at,
					Source: source, NID: formatNID(r, c.nid), Status: st, Programme: programme, Wallet: wallet}
				evs = append(evs, statusEvent{at: at, e: e, t: t})
			}
			switch f.status {
			case statusDead, statusDeadPaid:
				add(at, "crvs", domain.StatusDeceased, "", "", false)
			case statusExited, statusExitedPaid:
				add(at, enrolmentSource(c.programme), domain.StatusExited, c.programme, "", false)
			case statusSuspended:
				add(at, enrolmentSource(c.programme), domain.StatusSuspended, c.programme, "", false)
				add(at.Add(time.Duration(1+r.IntN(72))*time.Hour), enrolmentSource(c.programme), domain.StatusReinstated, c.programme, "", false)
			case statusWalletChange:
				add(at, enrolmentSource(c.programme), domain.StatusWalletChanged, c.programme, formatPhone(r, c.newWallet), false)
			case statusTakeover:
				at = g.t0.Add(-time.Duration(1+r.IntN(72)) * time.Hour)
				add(at, "mfs-gateway", domain.StatusWalletChanged, c.programme, formatPhone(r, c.newWallet), true)
			}
		}
		slices.SortStableFunc(evs, func(a, b statusEvent) int { return a.at.Compare(b.at) })
		em := g.emitter("st", PhaseStatus, 2, yield)
		for _, s := range evs {
			if !em.emit(s.e, s.t) {
				return
			}
		}
	}
}

// cycleIndex returns the months from the first cycle to cycle, and the
// cycle's first day.
func (g *Generator) cycleIndex(cycle string) (int, time.Time, bool) {
	t, err := time.ParseInLocation("2006-01", cycle, dhaka)
	if err != nil {
		return 0, time.Time{}, false
	}
	k := (t.Year()-g.t0.Year())*12 + int(t.Month()) - int(g.t0.Month())
	return k, t, true
}

// Payments streams one payment per enrolled, active beneficiary for cycle
// ("YYYY-MM"), with the payment frauds injected: double payments, payments
// after death or exit, ghosts never enrolled, payments to another wallet.
// A cycle that is not YYYY-MM yields nothing (Config.Validate checks the
// configured ones).
func (g *Generator) Payments(cycle string) iter.Seq[Record] {
	return func(yield func(Record) bool) {
		k, start, ok := g.cycleIndex(cycle)
		if !ok {
			return
		}
		salt := uint64(k + 1000)
		em := g.emitter("pay-"+cycle, PaymentPhase(max(k, 0)), salt, yield)
		n := g.cfg.Persons
		span := float64(15 * 24 * time.Hour)
		for i := range n {
			if !em.flush(i) {
				return
			}
			c := g.core(i)
			r := g.rng(saltPay, i, salt)
			at := start.Add(48*time.Hour + time.Duration(span*float64(i)/float64(n)) + time.Duration(r.IntN(600))*time.Second)
			if !g.payPerson(em, c, r, at, cycle, i) {
				return
			}
			// A ghost on the payroll: the same ghosts are paid every cycle.
			gr := g.rng(saltGhost, i, 0)
			if gr.Float64() < g.cfg.UnknownPayeeRate {
				prog := pickProgramme(gr)
				e := g.payment(gr, at.Add(time.Minute), prog, cycle, refOf(prog, MaxPersons+i, 0), "", phoneOf(uint64(5*MaxPersons+i)), c.dist, c.upa)
				if gr.Float64() < 0.5 {
					e.NID = nid10(uint64(2*MaxPersons + i))
				}
				t := Truth{PersonID: "G" + pad(i, 7), Pattern: PatternUnknownPayee, Fraud: true, Rules: []string{domain.RuleUnknownPayee}}
				if !em.emit(e, t) {
					return
				}
			}
		}
		em.flush(int(^uint(0) >> 1))
	}
}

func (g *Generator) payPerson(em *emitter, c *core, r *rand.Rand, at time.Time, cycle string, i int) bool {
	progs, refs := []string{c.programme}, []string{c.ref}
	if c.fate.second == secondCompat {
		prog := g.compatible(c)
		progs, refs = append(progs, prog), append(refs, refOf(prog, i, 3))
	}
	st := c.fate.status
	for k, prog := range progs {
		main := k == 0
		if st == statusDead || (st == statusExited && main) {
			continue
		}
		t := Truth{PersonID: c.cluster(), Pattern: PatternClean}
		wallet := c.wallet
		mfs := amountOf(prog) > 0
		switch {
		case st == statusDeadPaid || (st == statusExitedPaid && main):
			t.Pattern, t.Fraud = PatternDeceasedPaid, true
			t.Rules = append(t.Rules, domain.RuleDeceasedOrExited)
		case st == statusWalletChange || st == statusTakeover:
			wallet = c.newWallet
			t.Pattern, t.Fraud = PatternWalletChange, st == statusTakeover
			if mfs && at.Sub(g.walletChangedAt(c)) <= time.Duration(g.cfg.RecentWalletChangeDays)*24*time.Hour {
				t.Rules = append(t.Rules, domain.RuleRecentWallet)
			}
		case c.fate.group >= 0 && wallet == c.phone && mfs:
			t.Pattern, t.Fraud = PatternSharedPhone, c.fate.fraudG
			t.Rules = g.sharedRules(int(g.size[c.fate.group])-1, t.Rules)
		}
		if t.Pattern == PatternClean && mfs && r.Float64() < g.cfg.WalletMismatchRate {
			wallet = phoneOf(uint64(6*MaxPersons + i))
			t.Pattern, t.Fraud, t.Rules = PatternWalletMismatch, true, append(t.Rules, domain.RuleWalletMismatch)
		}
		nid := ""
		if r.Float64() < 0.85 {
			nid = formatNID(r, c.nid)
		}
		e := g.payment(r, at, prog, cycle, refs[k], nid, wallet, c.dist, c.upa)
		if !em.emit(e, t) {
			return false
		}
		if r.Float64() < g.cfg.DoublePaymentRate && t.Pattern != PatternDeceasedPaid {
			d := *e
			d.OccurredAt = at.Add(time.Duration(1+r.IntN(72)) * time.Hour).Format(time.RFC3339)
			d.DistributorID = distributor(r, c.upa)
			dt := Truth{PersonID: c.cluster(), Pattern: PatternDoublePayment, Fraud: true,
				Rules: append(slices.Clone(t.Rules), domain.RuleDoublePayment)}
			em.later(i+1+r.IntN(40), &d, dt)
		}
	}
	return true
}

// walletChangedAt returns when Statuses changed c's wallet.
func (g *Generator) walletChangedAt(c *core) time.Time {
	r := g.rng(saltStatus, c.idx, 0)
	at := g.t0.Add(-time.Duration(1+r.IntN(25*24)) * time.Hour)
	if c.fate.status == statusTakeover {
		at = g.t0.Add(-time.Duration(1+r.IntN(72)) * time.Hour)
	}
	return at
}

// compatible returns the programme c also draws, when its fate says so.
func (g *Generator) compatible(c *core) string {
	return compatibleFor(g.rng(saltFate, c.idx, 99), c)
}

// amountOf returns the per-cycle cash amount of a programme in taka; 0
// marks relief handed out in kind.
func amountOf(prog string) float64 {
	switch prog {
	case "old_age", "hijra", "bede", "backward_community":
		return 600
	case "widow":
		return 550
	case "disability":
		return 850
	case "emergency_cash":
		return 2500
	case "freedom_fighter":
		return 20000
	case "tea_garden":
		return 5000
	}
	return 0
}

func distributor(r *rand.Rand, u *upazila) string {
	return "agent-" + u.code + pad(r.IntN(100), 2)
}

func (g *Generator) payment(r *rand.Rand, at time.Time, prog, cycle, ref, nid, wallet string, d *district, u *upazila) *domain.Event {
	e := &domain.Event{
		Type: domain.TypeDistribution, OccurredAt: at.Format(time.RFC3339), Occurred: at,
		Source: "g2p-gateway", Programme: prog, Cycle: cycle, BeneficiaryRef: ref, NID: nid,
		Amount: amountOf(prog), Channel: "mfs", Wallet: wallet, DistributorID: distributor(r, u),
		Location: &domain.Location{District: d.en, Upazila: u.en},
	}
	if e.Amount == 0 { // relief in kind: rice or wheat handed out in person
		e.Channel, e.Wallet = "in_kind", ""
	}
	return e
}
