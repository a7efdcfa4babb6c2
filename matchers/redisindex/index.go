// Package redisindex is ekjon's matching index on Redis: the exact rules
// (DUP_NID, MULTI_PROGRAMME, UNKNOWN_PAYEE, DOUBLE_PAYMENT,
// DECEASED_OR_EXITED, WALLET_MISMATCH, RECENT_WALLET_CHANGE) decided by
// atomic claims. Keys carry a keyed hash of the NID, never the NID, and all
// keys of one person share a Redis Cluster hash slot.
package redisindex

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/cards"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/internal/par"
	"github.com/ekjon/ekjon/matchers/fuzzy"
)

// Config configures an Index.
type Config struct {
	// Prefix starts every key, so that several deployments or tests can
	// share one Redis.
	Prefix string
	Policy domain.Policy
	// Fuzzy configures FUZZY_PERSON, POSSIBLE_PERSON and SHARED_CONTACT.
	Fuzzy fuzzy.Config
	// Judgements, if set, reads reviewers' same/not-same judgements, which
	// the fuzzy rules respect.
	Judgements Judgements
	// BucketBits sets the number of buckets of each key family to
	// 2^BucketBits (8 to 24; 0 means DefaultBucketBits). See layout.go.
	BucketBits int
	// SingleServer says the index is one Redis server, not a cluster: a
	// person's blocks, in several buckets, are then added in one script
	// call rather than one each. The result is the same; an embedded Redis
	// that starts an interpreter per call is several times faster. It is
	// ignored on a cluster client.
	SingleServer bool
	// Cards verifies the tokens of aid cards' QR codes; nil refuses every
	// card (INVALID_CARD).
	Cards *cards.Keyring
	// Registerer, if set, registers the index's metrics.
	Registerer prometheus.Registerer
	// WaitReplicas, if above 0, makes each batch's claims wait (WAIT)
	// until that many replicas have them, for at most WaitTimeout
	// (DefaultWaitTimeout if 0); fewer is a transient error. It does
	// nothing on a cluster client (see waitReplicas).
	WaitReplicas int
	WaitTimeout  time.Duration
	// RebuildLease is how long the rebuild lock lasts unless renewed
	// (DefaultRebuildLease if 0): a rebuilder that dies frees it after
	// this, and one that stalls longer loses it.
	RebuildLease time.Duration
}

// Index decides events against Redis. It holds no state of its own beyond
// configuration, so any number of workers may share one Redis. It is safe
// for concurrent use.
type Index struct {
	rdb    redis.UniversalClient
	pseudo *domain.Pseudonymizer
	cfg    Config
	recent int64 // RECENT_WALLET_CHANGE window in seconds
	m      *metrics
	// profile is fuzzy.ProfileOf; tests replace it to make a record that
	// cannot be encoded.
	profile func(p *domain.Person, personID string, pseudo *domain.Pseudonymizer) fuzzy.Profile
}

// New returns an Index on rdb that names persons with pseudo. It registers
// its metrics with cfg.Registerer, if set, and panics if they are already
// registered there.
func New(rdb redis.UniversalClient, pseudo *domain.Pseudonymizer, cfg Config) *Index {
	if cfg.BucketBits == 0 {
		cfg.BucketBits = DefaultBucketBits
	}
	cfg.BucketBits = min(max(cfg.BucketBits, 8), 24)
	if _, ok := rdb.(*redis.ClusterClient); ok {
		// One call over several buckets would be refused (CROSSSLOT).
		cfg.SingleServer = false
	}
	return &Index{rdb: rdb, pseudo: pseudo, cfg: cfg, recent: int64(cfg.Policy.RecentWalletChangeDays) * 86400,
		m: newMetrics(cfg.Registerer), profile: fuzzy.ProfileOf}
}

// metrics are the index's Prometheus instruments.
type metrics struct {
	unencodable prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		unencodable: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ekjon_index_records_unencodable_total",
			Help: "Persons left out of the fuzzy rules' candidates because their record could not be encoded (each raised INDEX_RECORD_FAILED).",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.unencodable)
	}
	return m
}

// refHash is the keyed hash under which a programme's beneficiary ref is
// mapped to its person.
func (ix *Index) refHash(programme, ref string) string {
	return ix.pseudo.Hash("ref", programme+"\x00"+ref)[:keyDigits]
}

// identity returns the index key and person id of the person an event names,
// or "" when it names none by an exact identifier.
func (ix *Index) identity(kind, value string) (key, personID string) {
	k := ix.pseudo.Hash(kind, value)[:keyDigits]
	return k, "P" + k
}

// WalletKey returns the keyed hash under which a wallet is compared.
func (ix *Index) WalletKey(wallet string) string {
	if wallet == "" {
		return ""
	}
	return ix.pseudo.Hash("wallet", wallet)[:12]
}

// eventHash is the form of an event id kept in a claim, so that a retried
// event recognises its own claim: eventHashLen bytes of its keyed hash.
// Keyed, so that no one without the secret can craft an event id that
// passes for another's claim.
func (ix *Index) eventHash(id string) string {
	sum := ix.pseudo.Sum("event", id)
	return string(sum[:eventHashLen])
}

// Decide decides every outcome whose Event is set and whose decision is not
// yet known, in order, filling Decision (action, rules, reason, person),
// IndexKey, WalletKey, HoldsRef, IndexTokens and Alerts. The beneficiary
// refs that enrolments name are claimed first, then the claims of the
// whole batch go to Redis in one pipeline, so Redis runs them in order: two
// events of one person in a batch see each other. Deciding an event again
// (after a crash before its decision was durable) finds its own claims and
// returns the same decision; a batch whose events name one person or ref
// has the claims it left undone first, so that its earlier events do not
// see its later ones (see again.go), and marks its outcomes Redecided.
// It returns the index generation it decided
// against, which the ready marker gives (see Rebuild). Errors are of
// KindTransient when Redis is unreachable; ErrNotReady when the index is
// not ready, or stopped being the index the batch began against before its
// claims were done (see confirm).
func (ix *Index) Decide(ctx context.Context, outs []*domain.Outcome) (int64, error) {
	return ix.decide(ctx, outs, true)
}

// decide is Decide. With undo set, a batch found decided before over
// claims of its own (see decidedBefore) has them undone first, and is then
// decided afresh, once.
func (ix *Index) decide(ctx context.Context, outs []*domain.Outcome, undo bool) (int64, error) {
	outs, err := ix.resolveCards(ctx, outs)
	if err != nil {
		return 0, err
	}
	began, ls, err := ix.resolveRefs(ctx, outs)
	if err != nil {
		return 0, err
	}
	if err := ix.chooseKeys(ctx, outs, ls); err != nil {
		return 0, classify("redis: resolve links", err)
	}
	if undo {
		again, err := ix.decidedBefore(ctx, outs)
		if err != nil {
			return 0, classify("redis: find earlier claims", err)
		}
		if again {
			// Release undoes each claim that still carries the
			// event's hash, and has the index rebuilt where it cannot
			// undo exactly (a status event moved claims): the batch is
			// then decided once the rebuild has dropped what the record
			// does not hold.
			if err := ix.Release(ctx, outs); err != nil {
				return 0, err
			}
			for _, o := range outs {
				o.IndexKey, o.Decision.PersonID, o.Links, o.HoldsRef = "", "", nil, false
				o.Redecided = true
			}
			return ix.decide(ctx, outs, false)
		}
	}
	if err := ix.claimLinks(ctx, outs, ls); err != nil {
		return 0, classify("redis: claim links", err)
	}
	holders, err := ix.claimRefs(ctx, outs)
	if err != nil {
		return 0, classify("redis: claim refs", err)
	}
	payByRefInBatch(outs, holders)
	// An enrolment outside its programme's eligibility is claimed held,
	// as one whose ref another person holds, so that nothing is paid on it
	// before a reviewer decides.
	ineligible := make([]string, len(outs))
	for i, o := range outs {
		ineligible[i] = ix.cfg.Policy.Ineligible(o.Event)
	}
	enrolees := make([]*enrolee, len(outs))
	// The enrolments' profiles, for their claims and the fuzzy rules.
	par.ForEach(len(outs), func(i int) {
		if o := outs[i]; o.IndexKey != "" && o.Event.Type == domain.TypeEnrolment {
			p := ix.profile(o.Event.Person, o.Decision.PersonID, ix.pseudo)
			enrolees[i] = &enrolee{prof: p, rec: storedRecord(&p, o.IndexKey)}
		}
	})
	var cmds []*redis.Cmd
	err = ix.withScripts(ctx, func() (err error) {
		cmds, err = ix.claim(ctx, outs, enrolees, holders, ineligible, ls)
		return err
	})
	if err != nil {
		return 0, classify("redis: decide", err)
	}
	for i, o := range outs {
		var res []string
		if cmds[i] != nil {
			v, err := cmds[i].StringSlice()
			if err != nil {
				return 0, classify("redis: decide", err)
			}
			res = v
		} else {
			res = ix.unclaimed(o)
		}
		ix.apply(o, res)
		if ineligible[i] != "" {
			ix.ineligible(o, ineligible[i])
		}
		if holders[i] != "" {
			ix.refConflict(o, holders[i])
		}
		if ls[i] != nil && ls[i].conflict != "" {
			ix.idConflict(o, ls[i].conflict)
		}
		if en := enrolees[i]; en != nil && o.Decision.Action != domain.ActionBlock {
			switch {
			case en.rec == "":
				ix.unindexed(o)
			case len(res) > 4 && res[4] == flagSet:
				// Not nil, though a name may have no strong token: the
				// person is counted all the same.
				o.IndexTokens = append(make([]string, 0, len(en.prof.Record.Name.Strong)), en.prof.Record.Name.Strong...)
			}
		}
	}
	if err := ix.matchFuzzy(ctx, outs, enrolees); err != nil {
		return 0, classify("redis: fuzzy match", err)
	}
	if err := ix.confirm(ctx, began); err != nil {
		return 0, err
	}
	return began.generation, nil
}

// withScripts runs fn, a step that runs the index's scripts by hash, and
// runs it again once the scripts are loaded if Redis had lost them (a
// restart or failover). Running a step again is harmless: the claims it
// already made are the batch's own and are recognised.
func (ix *Index) withScripts(ctx context.Context, fn func() error) error {
	err := fn()
	if isNoScript(err) {
		if err = ix.LoadScripts(ctx); err == nil {
			err = fn()
		}
	}
	return err
}

// claimRefs claims the beneficiary ref of every enrolment that names one
// for the enrolment's person, in one round trip, before the enrolments'
// own claims: an enrolment whose ref another person holds is held, and
// its claim must be written held. It returns, by position in outs, the
// packed key of the person holding each such ref, and marks the outcomes
// of enrolments whose person holds its ref.
func (ix *Index) claimRefs(ctx context.Context, outs []*domain.Outcome) ([]string, error) {
	holders := make([]string, len(outs))
	var cmds []*redis.Cmd
	var at []int
	err := ix.withScripts(ctx, func() error {
		pipe := ix.rdb.Pipeline()
		cmds, at = cmds[:0], at[:0]
		for i, o := range outs {
			e := o.Event
			if e.Type != domain.TypeEnrolment || e.BeneficiaryRef == "" || o.IndexKey == "" {
				continue
			}
			key, field := ix.bucket(familyRef, ix.refHash(e.Programme, e.BeneficiaryRef))
			ix.noteFreeRef(ctx, pipe, e)
			cmds = append(cmds, refScript.EvalSha(ctx, pipe, []string{key}, field, packedKey(o.IndexKey)))
			at = append(at, i)
		}
		if len(cmds) == 0 {
			return nil
		}
		_, err := pipe.Exec(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	for j, c := range cmds {
		holder, err := c.Text()
		if err != nil {
			return nil, err
		}
		if holder == "" {
			outs[at[j]].HoldsRef = true
		}
		holders[at[j]] = holder
	}
	return holders, nil
}

// payByRefInBatch finds the person of a payment by beneficiary ref that
// resolveRefs did not find, when an enrolment earlier in the batch named
// the ref: the ref was free when the batch began and is now that
// enrolment's person's, or the person's who claimed it first. Without
// this a payment would be decided by where the stream was cut into
// batches: UNKNOWN_PAYEE in the batch of its enrolment, paid in the next.
func payByRefInBatch(outs []*domain.Outcome, holders []string) {
	for i, o := range outs {
		e := o.Event
		if e.Type != domain.TypeDistribution || e.BeneficiaryRef == "" || o.IndexKey != "" {
			continue
		}
		for j := i - 1; j >= 0; j-- {
			en := outs[j]
			if en.Event.Type != domain.TypeEnrolment || en.Event.Programme != e.Programme ||
				en.Event.BeneficiaryRef != e.BeneficiaryRef || en.IndexKey == "" {
				continue
			}
			k := en.IndexKey
			if !en.HoldsRef {
				k = unpackKey(holders[j])
			}
			o.IndexKey, o.Decision.PersonID = k, "P"+k
			break
		}
	}
}

// claim runs the batch's scripts in one pipeline, by hash. An enrolment's
// script also stores its person's candidate record, unless it is blocked;
// the profile the record comes from is left in enrolees for the fuzzy
// rules. An enrolment whose beneficiary ref another person holds (holders)
// is claimed held.
func (ix *Index) claim(ctx context.Context, outs []*domain.Outcome, enrolees []*enrolee, holders, ineligible []string, ls []*linking) ([]*redis.Cmd, error) {
	pipe := ix.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(outs))
	for i, o := range outs {
		e := o.Event
		if e.Type == domain.TypeEnrolment {
			o.WalletKey = ix.WalletKey(e.Person.Wallet)
		} else {
			o.WalletKey = ix.WalletKey(e.Wallet)
		}
		if o.IndexKey == "" {
			continue
		}
		key, pre := ix.personBucket(o.IndexKey)
		switch e.Type {
		case domain.TypeEnrolment:
			if enrolees[i] == nil {
				p := ix.profile(e.Person, o.Decision.PersonID, ix.pseudo)
				enrolees[i] = &enrolee{prof: p, rec: storedRecord(&p, o.IndexKey)}
			}
			ix.noteDisplaced(ctx, pipe, o.IndexKey, ix.eventHash(e.EventID), e.Programme)
			args := []any{pre, ix.eventHash(e.EventID), e.Programme, o.WalletKey, enrolees[i].rec, flag(holders[i] != "" || ineligible[i] != "" || (ls[i] != nil && ls[i].conflict != ""))}
			for _, p := range ix.cfg.Policy.ExcludedBy(e.Programme) {
				args = append(args, p)
			}
			cmds[i] = enrolScript.EvalSha(ctx, pipe, []string{key}, args...)
		case domain.TypeDistribution:
			cmds[i] = payScript.EvalSha(ctx, pipe, []string{key},
				pre, ix.eventHash(e.EventID), e.Programme, e.Cycle, o.WalletKey, e.Occurred.Unix(), ix.recent)
		case domain.TypeStatus:
			t, ok := domain.TransitionOf(e.Status, e.Programme)
			if !ok {
				continue // validation lets no unknown status through
			}
			args := []any{pre, ix.eventHash(e.EventID), e.Programme, o.WalletKey, e.Occurred.Unix(), e.Occurred.UnixMicro(), t.To,
				flag(t.ReplacesWallet), flag(t.SetsDeceased), flag(t.ClearsDeceased), flag(t.MarksWalletChange)}
			for _, s := range t.From {
				args = append(args, s)
			}
			cmds[i] = statusScript.EvalSha(ctx, pipe, []string{key}, args...)
		}
	}
	wait := ix.waitReplicas(ctx, pipe)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	return cmds, ix.replicated(wait)
}

// flag is a boolean as the scripts take it.
func flag(b bool) string {
	if b {
		return flagSet
	}
	return ""
}

// isNoScript reports whether Redis lacks a script in its cache (a restart
// or failover emptied it). go-redis has no typed check for NOSCRIPT: its
// ErrNoScript is one text of the reply, which Redis versions word
// differently, so the reply's code is matched.
func isNoScript(err error) bool { return redis.HasErrorPrefix(err, "NOSCRIPT") }

// LoadScripts loads the index's scripts into Redis (every master of a
// cluster), so that batches can run them by hash.
func (ix *Index) LoadScripts(ctx context.Context) error {
	for _, s := range allScripts() {
		if err := s.Load(ctx, ix.rdb).Err(); err != nil {
			return classify("redis: load scripts", err)
		}
	}
	return nil
}

// resolveRefs reads the links of each event's identity numbers, for
// chooseKeys to find its person by, and finds the person of an event
// without one through the index's beneficiary-ref map, in one round trip.
// It returns the ready marker of the index it found and, by position in
// outs, the events' identity numbers.
func (ix *Index) resolveRefs(ctx context.Context, outs []*domain.Outcome) (marker, []*linking, error) {
	var refCmds []*redis.StringCmd
	var refOuts []*domain.Outcome
	ls := make([]*linking, len(outs))
	linkCmds := make([][]*redis.StringCmd, len(outs))
	pipe := ix.rdb.Pipeline()
	// The readiness check rides with the ref look-ups: an index lost and not
	// yet rebuilt would admit what it should block. The marker's generation
	// goes with the batch to the record, which refuses it if a rebuild has
	// begun since.
	ready := pipe.Get(ctx, ix.ReadyKey())
	for i, o := range outs {
		e := o.Event
		ls[i] = ix.linkingOf(e)
		switch {
		case ls[i] != nil:
			for _, h := range ls[i].ids {
				key, field := ix.linkField(h)
				linkCmds[i] = append(linkCmds[i], pipe.HGet(ctx, key, field))
			}
		case e.Type == domain.TypeEnrolment:
			// No exact identifier: the enrolment is a person of its own,
			// whom only fuzzy matching can find again; its index entry
			// holds its claims so that payments by beneficiary ref work.
			o.IndexKey, o.Decision.PersonID = ix.identity("ref", e.Source+"\x00"+e.Programme+"\x00"+e.BeneficiaryRef+"\x00"+e.EventID)
		case e.Type == domain.TypeDistribution && e.BeneficiaryRef != "":
			key, field := ix.bucket(familyRef, ix.refHash(e.Programme, e.BeneficiaryRef))
			refCmds = append(refCmds, pipe.HGet(ctx, key, field))
			refOuts = append(refOuts, o)
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return marker{}, nil, classify("redis: resolve refs", err)
	}
	m, ok := parseMarker(ready.Val())
	if !ok {
		return marker{}, nil, ErrNotReady
	}
	for i, c := range refCmds {
		if v, err := c.Result(); err == nil && len(v) == packedLen {
			k := unpackKey(v)
			refOuts[i].IndexKey, refOuts[i].Decision.PersonID = k, "P"+k
		}
	}
	for i, cs := range linkCmds {
		for j, c := range cs {
			if v, err := c.Result(); err == nil && len(v) == packedLen {
				ls[i].found[j] = v
			}
		}
	}
	return m, ls, nil
}

// unclaimed decides an event that names no person in the index.
func (ix *Index) unclaimed(o *domain.Outcome) []string {
	if o.Event.Type == domain.TypeDistribution {
		return []string{"BLOCK", domain.RuleUnknownPayee, "no enrolment known for this NID, beneficiary ref or card", ""}
	}
	return []string{"ADMIT", "", "", ""}
}

var reasons = map[string]string{
	domain.RuleDupNID:           "NID already enrolled in %s",
	domain.RuleMultiProgramme:   "NID already holds %s, which this programme excludes",
	domain.RuleDoublePayment:    "already paid for this programme in cycle %s",
	domain.RuleDeceasedOrExited: "person is %s",
	domain.RuleUnknownPayee:     "no active enrolment in this programme (%s)",
	domain.RuleWalletMismatch:   "%s",
}

func (ix *Index) apply(o *domain.Outcome, res []string) {
	for len(res) < 4 {
		res = append(res, "")
	}
	action, rule, detail, alert := domain.Action(res[0]), res[1], res[2], res[3]
	d := &o.Decision
	d.Action = action
	if rule != "" {
		d.Rules = append(d.Rules, rule)
		if f, ok := reasons[rule]; ok {
			d.Reason = fmt.Sprintf(f, detail)
		}
	}
	now := d.DecidedAt
	// A hold waits for a reviewer. Of the blocks, only MULTI_PROGRAMME is
	// raised too: programmes' exclusions have lawful exceptions, and the
	// alert is how a supervisor finds the block to override it. The other
	// blocks are certain and would bury the doubtful cases.
	if (action == domain.ActionHold && rule != "") || rule == domain.RuleMultiProgramme {
		o.Alerts = append(o.Alerts, ix.alert(o, rule, now))
	}
	if alert != "" {
		d.Rules = append(d.Rules, alert)
		o.Alerts = append(o.Alerts, ix.alert(o, alert, now))
	}
}

// ineligible holds an enrolment outside its programme's eligibility (a
// block stays a block) and raises INELIGIBLE with the reason: dates of
// birth are often wrong, so a person decides.
func (ix *Index) ineligible(o *domain.Outcome, reason string) {
	d := &o.Decision
	if d.Action == domain.ActionBlock {
		return
	}
	d.Action = domain.ActionHold
	d.Rules = append(d.Rules, domain.RuleIneligible)
	if d.Reason != "" {
		reason = d.Reason + "; " + reason
	}
	d.Reason = reason
	o.Alerts = append(o.Alerts, ix.alert(o, domain.RuleIneligible, d.DecidedAt))
}

// refConflict holds an enrolment whose beneficiary ref the person with
// packed key holder holds (a block stays a block), and raises REF_CONFLICT
// naming the holder: one ref paying two persons is how a ref is hijacked.
func (ix *Index) refConflict(o *domain.Outcome, holder string) {
	d := &o.Decision
	if d.Action == domain.ActionAdmit {
		d.Action = domain.ActionHold
	}
	d.Rules = append(d.Rules, domain.RuleRefConflict)
	other := "P" + unpackKey(holder)
	reason := "the beneficiary ref belongs to another person (" + other + "); payments by it stay theirs"
	if d.Reason != "" {
		reason = d.Reason + "; " + reason
	}
	d.Reason = reason
	a := ix.alert(o, domain.RuleRefConflict, d.DecidedAt)
	a.MatchedPerson = other
	o.Alerts = append(o.Alerts, a)
}

// unindexed raises INDEX_RECORD_FAILED on an enrolment whose person could
// not be stored as a candidate: the fuzzy rules will not find it again, and
// someone must know. The decision stands.
func (ix *Index) unindexed(o *domain.Outcome) {
	d := &o.Decision
	d.Rules = append(d.Rules, domain.RuleIndexRecordFailed)
	if d.Reason == "" {
		d.Reason = "the person's candidate record could not be stored: later enrolments are not matched against it"
	}
	o.Alerts = append(o.Alerts, ix.alert(o, domain.RuleIndexRecordFailed, d.DecidedAt))
}

func (ix *Index) alert(o *domain.Outcome, rule string, at time.Time) domain.Alert {
	e := o.Event
	district := ""
	switch {
	case e.Person != nil && e.Person.Address != nil:
		district = e.Person.Address.District
	case e.Location != nil:
		district = e.Location.District
	}
	return domain.Alert{
		AlertID:   domain.AlertID(e.EventID, rule),
		EventID:   e.EventID,
		Rule:      rule,
		Action:    o.Decision.Action,
		Programme: e.Programme,
		PersonID:  o.Decision.PersonID,
		District:  district,
		CreatedAt: at,
	}
}

// Remember records what an enrolment leaves in the index once its decision
// is durable: the name tokens of a person it made a candidate, counted in
// the token frequencies. It runs after Decide, for a whole batch in one
// pipeline, with the decisions this worker recorded, once each, so that a
// batch decided several times counts its persons once; it also counts the
// persons the index could not store as candidates. A Remember retried
// after a failure that left part of its pipeline applied counts those
// persons again: the frequencies are statistics, and the next rebuild
// counts afresh.
func (ix *Index) Remember(ctx context.Context, outs []*domain.Outcome) error {
	pipe := ix.rdb.Pipeline()
	unencodable := 0
	for _, o := range outs {
		if o.IndexTokens != nil {
			ix.countTokens(ctx, pipe, o.IndexTokens)
		}
		if slices.Contains(o.Decision.Rules, domain.RuleIndexRecordFailed) {
			unencodable++
		}
	}
	if pipe.Len() > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return classify("redis: remember", err)
		}
	}
	ix.m.unencodable.Add(float64(unencodable))
	return nil
}

// Ping reports whether Redis answers.
func (ix *Index) Ping(ctx context.Context) error {
	return classify("redis: ping", ix.rdb.Ping(ctx).Err())
}
