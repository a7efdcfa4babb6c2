package redisindex

import (
	"context"
	"errors"
	"slices"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/internal/par"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/score"
)

func (ix *Index) tfKey() string      { return ix.cfg.Prefix + "tf" }
func (ix *Index) tfTotalKey() string { return ix.cfg.Prefix + "tf:n" }

// Judgements reads a reviewer's judgement of two persons:
// domain.JudgementSame or domain.JudgementNotSame; ok is false when nobody
// has judged the pair.
type Judgements func(ctx context.Context, a, b string) (judgement string, ok bool, err error)

// tfMap is a TermFreq read from Redis for one batch.
type tfMap map[string]float64

func (m tfMap) Freq(t string) float64 { return m[t] }

// enrolee is an enrolment's person as the claim step saw it: its profile
// and its stored candidate record ("" when it could not be encoded).
type enrolee struct {
	prof fuzzy.Profile
	rec  string
}

type fuzzyQuery struct {
	o     *domain.Outcome
	prof  *fuzzy.Profile
	id    string // packed index key
	calls []blockCall
	reads []blockRead
}

// blockCall is one block script call or read, and the query's blocks
// (by index) whose replies it carries.
type blockCall struct {
	cmd    redis.Cmder
	blocks []int
}

// blockRead is what a block says to one query: how many other persons it
// holds, and their packed keys (the query's own among them when it is
// read by a plain read).
type blockRead struct {
	others  int
	members string
}

// read fills reads from the call's reply.
func (c blockCall) read(reads []blockRead) {
	switch cmd := c.cmd.(type) {
	case *redis.Cmd: // the block script: {others, members} per block
		v, err := cmd.Slice()
		if err != nil || len(v) != 2*len(c.blocks) {
			return
		}
		for i, bi := range c.blocks {
			n, _ := v[2*i].(int64)
			m, _ := v[2*i+1].(string)
			reads[bi] = blockRead{others: int(n), members: m}
		}
	case *redis.StringCmd: // a plain read, by a query not indexed itself
		m := cmd.Val()
		reads[c.blocks[0]] = blockRead{others: len(m) / packedLen, members: m}
	}
}

// addToBlocks queues the script calls that add the person with packed key
// id to blocks, and returns them: one call in all on a single server, one
// per block on a cluster.
func (ix *Index) addToBlocks(ctx context.Context, pipe redis.Pipeliner, id string, blocks []fuzzy.Block) []blockCall {
	var calls []blockCall
	keys, args, idx := []string{}, []any{id, ix.cfg.Fuzzy.BlockCap}, []int{}
	for bi, b := range blocks {
		key, field := ix.blockBucket(b)
		keys, args, idx = append(keys, key), append(args, field), append(idx, bi)
		if !ix.cfg.SingleServer || bi == len(blocks)-1 {
			calls = append(calls, blockCall{blockScript.EvalSha(ctx, pipe, keys, args...), idx})
			keys, args, idx = []string{}, []any{id, ix.cfg.Fuzzy.BlockCap}, []int{}
		}
	}
	return calls
}

// matchFuzzy runs the fuzzy rules on a decided batch: FUZZY_PERSON and
// POSSIBLE_PERSON for enrolments that the exact rules let through, and
// SHARED_CONTACT for enrolments and payments. The claim step has stored
// each such person's candidate record; here the person joins its blocks
// and reads the other members in one atomic step per block, so of two
// workers deciding one person's two enrolments at the same moment, the one
// that comes second finds the other. Three round trips for the whole
// batch: blocks and frequencies, candidate records, final writes.
func (ix *Index) matchFuzzy(ctx context.Context, outs []*domain.Outcome, enrolees []*enrolee) error {
	fc := ix.cfg.Fuzzy
	var qs []*fuzzyQuery
	var pays []*domain.Outcome
	for i, o := range outs {
		e := o.Event
		switch {
		case e.Type == domain.TypeEnrolment && o.Decision.Action != domain.ActionBlock && enrolees[i] != nil:
			q := &fuzzyQuery{o: o, prof: &enrolees[i].prof}
			if enrolees[i].rec != "" {
				q.id = packedKey(o.IndexKey)
			}
			qs = append(qs, q)
		case e.Type == domain.TypeDistribution && e.Wallet != "" && o.Decision.Action == domain.ActionAdmit:
			pays = append(pays, o)
		}
	}
	if len(qs) == 0 && len(pays) == 0 {
		return nil
	}

	tokens := map[string]bool{}
	for _, q := range qs {
		for _, t := range q.prof.Tokens {
			tokens[t] = true
		}
	}
	tokList := make([]string, 0, len(tokens))
	for t := range tokens {
		tokList = append(tokList, t)
	}
	var tfCmd *redis.SliceCmd
	var total *redis.StringCmd
	payCards := make([]*redis.StringCmd, len(pays))
	blocks := func() error {
		pipe := ix.rdb.Pipeline()
		for _, q := range qs {
			q.calls = q.calls[:0]
			if q.id != "" {
				q.calls = ix.addToBlocks(ctx, pipe, q.id, q.prof.Blocks)
			} else {
				for bi, b := range q.prof.Blocks {
					key, field := ix.blockBucket(b)
					q.calls = append(q.calls, blockCall{pipe.HGet(ctx, key, field), []int{bi}})
				}
			}
			// Probes are read, never joined: one plain read each.
			for pi, b := range q.prof.Probes {
				key, field := ix.blockBucket(b)
				q.calls = append(q.calls, blockCall{pipe.HGet(ctx, key, field), []int{len(q.prof.Blocks) + pi}})
			}
		}
		for i, o := range pays {
			key, field := ix.blockBucket(fuzzy.WalletBlock(o.Event.Wallet, ix.pseudo))
			payCards[i] = pipe.HGet(ctx, key, field)
		}
		if len(tokList) > 0 {
			tfCmd = pipe.HMGet(ctx, ix.tfKey(), tokList...)
		}
		total = pipe.Get(ctx, ix.tfTotalKey())
		_, err := pipe.Exec(ctx)
		if errors.Is(err, redis.Nil) {
			err = nil
		}
		return err
	}
	// Adding a person to a block again changes nothing.
	if err := ix.withScripts(ctx, blocks); err != nil {
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
		if n := len(payCards[i].Val()) / packedLen; n > fc.SharedContactAlert {
			ix.sharedContact(o, n, fc, fuzzy.WalletBlock(o.Event.Wallet, ix.pseudo).Key)
		}
	}

	// Candidates: members of the query's blocks and probes, ranked (see
	// fuzzy.Rank), and earlier persons of this batch sharing a block.
	var ids []string
	wanted := map[string]bool{}
	cands := make([][]string, len(qs))
	inBatch := map[string][]int{}
	// Persons of this batch are matched against each other in batch order
	// below; their entries in Redis, left by an earlier attempt at this
	// same batch, must not make a later person a candidate of an earlier.
	batchIDs := make(map[string]bool, len(qs))
	for _, q := range qs {
		batchIDs[packedKey(q.o.IndexKey)] = true
	}
	for qi, q := range qs {
		q.reads = make([]blockRead, len(q.prof.Blocks)+len(q.prof.Probes))
		for _, c := range q.calls {
			c.read(q.reads)
		}
		lists := make([][]string, 0, len(q.reads))
		for ri, r := range q.reads {
			if ri < len(q.prof.Blocks) && !q.prof.Blocks[ri].Finds() {
				continue
			}
			l := make([]string, 0, len(r.members)/packedLen)
			for j := 0; j+packedLen <= len(r.members); j += packedLen {
				if id := r.members[j : j+packedLen]; !batchIDs[id] {
					l = append(l, id)
				}
			}
			lists = append(lists, l)
		}
		cands[qi] = fuzzy.Rank(lists, fc.MaxCandidates)
		for _, id := range cands[qi] {
			if !wanted[id] {
				wanted[id] = true
				ids = append(ids, id)
			}
		}
		for _, b := range q.prof.Blocks {
			inBatch[b.Key] = append(inBatch[b.Key], qi)
		}
	}
	recs, err := ix.fetchRecords(ctx, ids)
	if err != nil {
		return err
	}

	// Each query is scored on its own, against what was read above and the
	// batch's earlier queries' profiles: on all cores at once.
	errs := make([]error, len(qs))
	par.ForEach(len(qs), func(qi int) {
		q := qs[qi]
		records := make([]score.Record, 0, len(cands[qi]))
		for _, id := range cands[qi] {
			if r, ok := recs[id]; ok {
				records = append(records, r)
			}
		}
		seenBatch := map[int]bool{qi: true}
		for bi, b := range slices.Concat(q.prof.Blocks, q.prof.Probes) {
			if bi < len(q.prof.Blocks) && !b.Finds() {
				continue // a loose block: its holders meet through probes
			}
			for _, other := range inBatch[b.Key] {
				if other < qi && !seenBatch[other] {
					seenBatch[other] = true
					records = append(records, qs[other].prof.Record)
				}
			}
		}
		shared, contact := 0, ""
		for bi, b := range q.prof.Blocks {
			if b.Contact() && (contact == "" || q.reads[bi].others > shared) {
				shared, contact = q.reads[bi].others, b.Key
			}
		}
		query := *q.prof
		if shared > fc.SharedContactAlert {
			// A shared phone says little about identity.
			query.Record.PhoneHash = ""
		}
		if err := ix.matchAndApply(ctx, q.o, &query, records, tf); err != nil {
			errs[qi] = err
			return
		}
		if shared > fc.SharedContactAlert {
			ix.sharedContact(q.o, shared, fc, contact)
		}
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}

	// Finish: a held enrolment is marked so that payments wait for its
	// review, as if held when it was claimed (holdScript).
	return ix.withScripts(ctx, func() error {
		pipe := ix.rdb.Pipeline()
		for _, q := range qs {
			if e := q.o.Event; q.o.Decision.Action == domain.ActionHold && q.o.IndexKey != "" {
				key, pre := ix.personBucket(q.o.IndexKey)
				holdScript.EvalSha(ctx, pipe, []string{key}, pre, ix.eventHash(e.EventID), e.Programme)
			}
		}
		if pipe.Len() == 0 {
			return nil
		}
		_, err := pipe.Exec(ctx)
		return err
	})
}

// countTokens counts one more indexed person, whose name holds the strong
// tokens toks, in the name-token frequencies.
func (ix *Index) countTokens(ctx context.Context, pipe redis.Pipeliner, toks []string) {
	for i, t := range toks {
		if !slices.Contains(toks[:i], t) {
			pipe.HIncrBy(ctx, ix.tfKey(), t, 1) // persons whose name holds t
		}
	}
	pipe.Incr(ctx, ix.tfTotalKey())
}

// fetchRecords reads the candidate records of the persons with packed
// keys ids, in one pipelined round trip, and decodes each once. A person
// without a readable record is left out: it was indexed by an enrolment
// since blocked, or its entry is damaged, and either way is no candidate.
func (ix *Index) fetchRecords(ctx context.Context, ids []string) (map[string]score.Record, error) {
	out := make(map[string]score.Record, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	pipe := ix.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(ids))
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = unpackKey(id)
		key, pre := ix.personBucket(keys[i])
		cmds[i] = pipe.HGet(ctx, key, pre+fieldRecord)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	recs := make([]score.Record, len(ids))
	ok := make([]bool, len(ids))
	par.ForEach(len(cmds), func(i int) {
		b, err := cmds[i].Bytes()
		if err != nil {
			return
		}
		if r, err := loadRecord(b, keys[i]); err == nil {
			recs[i], ok[i] = r, true
		}
	})
	for i := range ids {
		if ok[i] {
			out[ids[i]] = recs[i]
		}
	}
	return out, nil
}

// matchAndApply scores the candidates and records the best match on the
// outcome, respecting reviewers' judgements of the pair.
func (ix *Index) matchAndApply(ctx context.Context, o *domain.Outcome, q *fuzzy.Profile, records []score.Record, tf score.TermFreq) error {
	fc := ix.cfg.Fuzzy
	var readErr error
	skip := func(a, b string) bool {
		if ix.cfg.Judgements == nil {
			return false
		}
		v, ok, err := ix.cfg.Judgements(ctx, a, b)
		if err != nil {
			readErr = err
		}
		return ok && v == domain.JudgementNotSame
	}
	m, ok := fc.Best(q, records, tf, skip)
	if readErr != nil {
		return readErr
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
// already tied to n other persons; contact is the number's block key, a
// keyed hash, which names the case the alert belongs to.
func (ix *Index) sharedContact(o *domain.Outcome, n int, fc fuzzy.Config, contact string) {
	d := &o.Decision
	d.Rules = append(d.Rules, domain.RuleSharedContact)
	if n > fc.SharedContactHold && d.Action == domain.ActionAdmit {
		d.Action = domain.ActionHold
	}
	if d.Reason == "" {
		d.Reason = "phone or wallet already tied to " + strconv.Itoa(n) + " other persons"
	}
	a := ix.alert(o, domain.RuleSharedContact, d.DecidedAt)
	a.CaseID = "contact-" + contact
	a.Evidence = map[string]string{"other_persons": strconv.Itoa(n)}
	o.Alerts = append(o.Alerts, a)
}
