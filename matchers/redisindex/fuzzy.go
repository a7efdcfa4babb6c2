package redisindex

import (
	"context"
	"errors"
	"slices"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/score"
)

// The candidate index, beside the exact claims:
//
//	b:<block>   set of numeric person ids sharing a blocking key
//	c:<id>      the person's compact candidate record
//	tf          hash: strong name token → persons carrying it
//	tf:n        persons counted in tf
//
// Block and record keys are keyed hashes or numbers: a dump reveals no
// name, phone or wallet. Each command touches one key, so it runs on Redis
// Cluster as it is.

func (ix *Index) blockKey(b fuzzy.Block) string { return ix.cfg.Prefix + "b:" + b.Key }
func (ix *Index) recordKey(id uint64) string {
	return ix.cfg.Prefix + "c:" + strconv.FormatUint(id, 10)
}
func (ix *Index) tfKey() string      { return ix.cfg.Prefix + "tf" }
func (ix *Index) tfTotalKey() string { return ix.cfg.Prefix + "tf:n" }

// Judge says whether reviewers judged two persons the same ("same") or
// different ("not_same"); ok is false when nobody has.
type Judge func(ctx context.Context, a, b string) (verdict string, ok bool, err error)

// tfMap is a TermFreq read from Redis for one batch.
type tfMap map[string]float64

func (m tfMap) Freq(t string) float64 { return m[t] }

type fuzzyQuery struct {
	o       *domain.Outcome
	prof    fuzzy.Profile
	members []*redis.StringSliceCmd // per finding block: at most BlockCap members
	cards   []*redis.IntCmd         // per block: its size
}

// matchFuzzy runs the fuzzy rules on a decided batch: FUZZY_PERSON and
// POSSIBLE_PERSON for enrolments that the exact rules let through, and
// SHARED_CONTACT for enrolments and payments. The batch's admitted and
// held persons are indexed as candidates *before* the search: of two
// workers deciding one person's two enrolments at the same moment, the one
// that searches second finds the other. Four round trips for the whole
// batch: index, blocks and frequencies, candidate records, final writes.
func (ix *Index) matchFuzzy(ctx context.Context, outs []*domain.Outcome) error {
	fc := ix.cfg.Fuzzy
	var qs []*fuzzyQuery
	var pays []*domain.Outcome
	for _, o := range outs {
		e := o.Event
		switch {
		case e.Type == domain.TypeEnrolment && o.Decision.Action != domain.ActionBlock:
			qs = append(qs, &fuzzyQuery{o: o, prof: fuzzy.ProfileOf(e.Person, o.Decision.PersonID, ix.pseudo)})
		case e.Type == domain.TypeDistribution && e.Wallet != "" && o.Decision.Action == domain.ActionAdmit:
			pays = append(pays, o)
		}
	}
	if len(qs) > 0 {
		pipe := ix.rdb.Pipeline()
		for _, q := range qs {
			rec, err := q.prof.Record.AppendBinary(nil)
			if err != nil {
				continue // a record that cannot be encoded is not indexed
			}
			pipe.Set(ctx, ix.recordKey(q.prof.ID), rec, 0)
			for _, b := range q.prof.Blocks {
				pipe.SAdd(ctx, ix.blockKey(b), q.prof.ID)
			}
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return err
		}
	}

	pipe := ix.rdb.Pipeline()
	tokens := map[string]bool{}
	for _, q := range qs {
		for _, b := range q.prof.Blocks {
			// The size (less the person itself) says whether the block
			// is generic; a generic block's members are never used, so
			// at most BlockCap+1 are fetched.
			q.cards = append(q.cards, pipe.SCard(ctx, ix.blockKey(b)))
			if b.Finds() {
				q.members = append(q.members, pipe.SRandMemberN(ctx, ix.blockKey(b), int64(fc.BlockCap+1)))
			} else {
				q.members = append(q.members, nil)
			}
		}
		for _, t := range q.prof.Tokens {
			tokens[t] = true
		}
	}
	payCards := make([]*redis.IntCmd, len(pays))
	for i, o := range pays {
		payCards[i] = pipe.SCard(ctx, ix.blockKey(fuzzy.WalletBlock(o.Event.Wallet, ix.pseudo)))
	}
	if len(qs) == 0 && len(pays) == 0 {
		return nil
	}
	tokList := make([]string, 0, len(tokens))
	for t := range tokens {
		tokList = append(tokList, t)
	}
	var tfCmd *redis.SliceCmd
	if len(tokList) > 0 {
		tfCmd = pipe.HMGet(ctx, ix.tfKey(), tokList...)
	}
	total := pipe.Get(ctx, ix.tfTotalKey())
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	tf := tfMap{}
	if n, _ := total.Float64(); n >= float64(fc.MinTFPopulation) && n > 0 && tfCmd != nil {
		for i, v := range tfCmd.Val() {
			if s, ok := v.(string); ok {
				c, _ := strconv.ParseFloat(s, 64)
				tf[tokList[i]] = c / n
			}
		}
	}

	for i, o := range pays {
		if n := int(payCards[i].Val()); n > fc.SharedContactAlert {
			ix.sharedContact(o, n, fc)
		}
	}

	// Candidates: members of the query's non-generic blocks, and earlier
	// persons of this batch sharing a block.
	recCmds := map[uint64]*redis.StringCmd{}
	pipe = ix.rdb.Pipeline()
	cands := make([][]uint64, len(qs))
	inBatch := map[string][]int{}
	// Persons of this batch are matched against each other in batch order
	// below; their records in Redis, left by an earlier attempt at this
	// same batch, must not make a later person a candidate of an earlier.
	batchIDs := make(map[uint64]bool, len(qs))
	for _, q := range qs {
		batchIDs[q.prof.ID] = true
	}
	for qi, q := range qs {
		seen := map[uint64]bool{q.prof.ID: true}
		for bi := range q.prof.Blocks {
			if m := q.members[bi]; m != nil {
				if q.others(bi) >= fc.BlockCap {
					continue // a generic value: no evidence
				}
				for _, s := range m.Val() {
					id, err := strconv.ParseUint(s, 10, 64)
					if err != nil || seen[id] || batchIDs[id] || len(cands[qi]) >= fc.MaxCandidates {
						continue
					}
					seen[id] = true
					cands[qi] = append(cands[qi], id)
					if recCmds[id] == nil {
						recCmds[id] = pipe.Get(ctx, ix.recordKey(id))
					}
				}
			}
		}
		for _, b := range q.prof.Blocks {
			if b.Finds() {
				inBatch[b.Key] = append(inBatch[b.Key], qi)
			}
		}
	}
	if len(recCmds) > 0 {
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
	}

	for qi, q := range qs {
		records := make([]score.Record, 0, len(cands[qi]))
		for _, id := range cands[qi] {
			b, err := recCmds[id].Bytes()
			if err != nil {
				continue
			}
			if r, err := score.DecodeRecord(b); err == nil {
				records = append(records, r)
			}
		}
		seenBatch := map[int]bool{qi: true}
		for _, b := range q.prof.Blocks {
			for _, other := range inBatch[b.Key] {
				if other < qi && !seenBatch[other] {
					seenBatch[other] = true
					records = append(records, qs[other].prof.Record)
				}
			}
		}
		shared := 0
		for bi, b := range q.prof.Blocks {
			if b.Contact() {
				shared = max(shared, q.others(bi))
			}
		}
		query := q.prof
		if shared > fc.SharedContactAlert {
			// A shared phone says little about identity.
			query.Record.PhoneHash = ""
		}
		if err := ix.judgeAndApply(ctx, q.o, &query, records, tf); err != nil {
			return err
		}
		if shared > fc.SharedContactAlert {
			ix.sharedContact(q.o, shared, fc)
		}
	}

	// Finish indexing: a generic block keeps no more members than its cap,
	// and the name tokens are counted.
	pipe = ix.rdb.Pipeline()
	for _, q := range qs {
		for bi, b := range q.prof.Blocks {
			if q.others(bi) >= fc.BlockCap {
				pipe.SRem(ctx, ix.blockKey(b), q.prof.ID)
			}
		}
		for i, t := range q.prof.Record.Name.Strong {
			if !slices.Contains(q.prof.Record.Name.Strong[:i], t) {
				pipe.HIncrBy(ctx, ix.tfKey(), t, 1) // persons whose name holds t
			}
		}
		pipe.Incr(ctx, ix.tfTotalKey())
		if q.o.Decision.Action == domain.ActionHold && q.o.IndexKey != "" {
			pipe.HSet(ctx, ix.PersonKey(q.o.IndexKey), "h:"+q.o.Event.Programme, "1")
		}
	}
	_, err := pipe.Exec(ctx)
	return err
}

// others is how many persons other than the query's own share its bi-th
// block (the query was added to it before it was read).
func (q *fuzzyQuery) others(bi int) int { return max(0, int(q.cards[bi].Val())-1) }

// judgeAndApply scores the candidates and records the verdict on the
// outcome, respecting reviewers' judgements of the pair.
func (ix *Index) judgeAndApply(ctx context.Context, o *domain.Outcome, q *fuzzy.Profile, records []score.Record, tf score.TermFreq) error {
	fc := ix.cfg.Fuzzy
	var judgeErr error
	skip := func(a, b string) bool {
		if ix.cfg.Judge == nil {
			return false
		}
		v, ok, err := ix.cfg.Judge(ctx, a, b)
		if err != nil {
			judgeErr = err
		}
		return ok && v == "not_same"
	}
	m, ok := fc.Best(q, records, tf, skip)
	if judgeErr != nil {
		return judgeErr
	}
	if !ok || m.Rule == "" {
		return nil
	}
	d := &o.Decision
	d.Score, d.Explanation, d.MatchedPerson = m.Result.Total, m.Result.Contributions, m.Candidate.PersonID
	d.Rules = append(d.Rules, m.Rule)
	if m.Rule == domain.RuleFuzzyPerson {
		if d.Action == domain.ActionAdmit {
			d.Action = domain.ActionHold
		}
		if d.Reason == "" {
			d.Reason = "matches an enrolled person (" + m.Candidate.PersonID + ") closely: held for review"
		}
	} else if d.Reason == "" {
		d.Reason = "may match an enrolled person (" + m.Candidate.PersonID + "): admitted, for review"
	}
	a := ix.alert(o, m.Rule, d.DecidedAt)
	a.Action, a.MatchedPerson, a.Score, a.Explanation = d.Action, m.Candidate.PersonID, m.Result.Total, m.Result.Contributions
	o.Alerts = append(o.Alerts, a)
	return nil
}

// sharedContact raises SHARED_CONTACT for an event whose phone or wallet is
// already tied to n other persons.
func (ix *Index) sharedContact(o *domain.Outcome, n int, fc fuzzy.Config) {
	d := &o.Decision
	d.Rules = append(d.Rules, domain.RuleSharedContact)
	if n > fc.SharedContactHold && d.Action == domain.ActionAdmit {
		d.Action = domain.ActionHold
	}
	if d.Reason == "" {
		d.Reason = "phone or wallet already tied to " + strconv.Itoa(n) + " other persons"
	}
	o.Alerts = append(o.Alerts, ix.alert(o, domain.RuleSharedContact, d.DecidedAt))
}
