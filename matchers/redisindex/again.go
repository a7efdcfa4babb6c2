package redisindex

import (
	"context"
	"errors"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/domain"
)

// Deciding a batch again. A batch is decided a second time before the
// record holds it when a worker dies after Decide, when two workers hold
// its partition in a rebalance, or when it is split to set an event aside.
// Each event then finds its own claims and gets its first decision, but an
// event that shares a person or a beneficiary ref with a later event of
// the batch would see what the later one did: a payment sent before its
// enrolment paid, one admitted before a suspension blocked. So a batch
// whose events touch one another, one of which holds a claim of its own
// already, has those claims undone first (Release) and is decided afresh.

// tangled reports whether two of outs name one person or one beneficiary
// ref: the batches in which an event can see a later one's claims.
func tangled(outs []*domain.Outcome) bool {
	seen := make(map[string]bool, 2*len(outs))
	touch := func(k string) bool {
		if seen[k] {
			return true
		}
		seen[k] = true
		return false
	}
	for _, o := range outs {
		e := o.Event
		if o.IndexKey != "" && touch("p"+o.IndexKey) {
			return true
		}
		if e.BeneficiaryRef != "" && (e.Type == domain.TypeEnrolment || e.Type == domain.TypeDistribution) &&
			touch("r"+e.Programme+"\x00"+e.BeneficiaryRef) {
			return true
		}
	}
	return false
}

// decidedBefore reports whether outs, once their persons are known, are a
// tangled batch one of whose events holds a claim carrying its own hash:
// an enrolment's claim on its programme (active or exited since), the
// note that it found its ref free, a payment's claim on its cycle, a
// death's mark. The processor decides only events the record does not
// hold, so such a claim is a decision not kept — or one another worker has
// just recorded, which the processor finds when it writes (see
// Outcome.Redecided). A status event leaves no claim of its own but its
// time, which another status event may share; one whose batch has no
// other event's claim to find is not found.
func (ix *Index) decidedBefore(ctx context.Context, outs []*domain.Outcome) (bool, error) {
	if !tangled(outs) {
		return false, nil
	}
	type claim struct {
		cmd *redis.StringCmd
		eid string
	}
	var claims []claim
	var notes []*redis.BoolCmd
	pipe := ix.rdb.Pipeline()
	for _, o := range outs {
		e := o.Event
		if o.IndexKey == "" {
			continue
		}
		key, pre := ix.personBucket(o.IndexKey)
		eid := ix.eventHash(e.EventID)
		switch e.Type {
		case domain.TypeEnrolment:
			claims = append(claims, claim{pipe.HGet(ctx, key, pre+fieldEnrol+e.Programme), eid},
				claim{pipe.HGet(ctx, key, pre+fieldExited+e.Programme), eid})
			if e.BeneficiaryRef != "" {
				nk, _ := ix.bucket(familyNote, ix.refHash(e.Programme, e.BeneficiaryRef))
				notes = append(notes, pipe.HExists(ctx, nk, noteRef+eid))
			}
		case domain.TypeDistribution:
			claims = append(claims, claim{pipe.HGet(ctx, key, pre+fieldPaid+e.Programme+cycleSep+e.Cycle), eid})
		case domain.TypeStatus:
			if t, ok := domain.TransitionOf(e.Status, e.Programme); ok && t.SetsDeceased {
				claims = append(claims, claim{pipe.HGet(ctx, key, pre+fieldDead), eid})
			}
		}
	}
	if len(claims)+len(notes) == 0 {
		return false, nil
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return false, err
	}
	for _, c := range claims {
		if strings.HasPrefix(c.cmd.Val(), c.eid) {
			return true, nil
		}
	}
	for _, n := range notes {
		if n.Val() {
			return true, nil
		}
	}
	return false, nil
}
