package redisindex

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
)

// Undoing a decision's claims, for an event the record refused for good
// after Decide made them. Each claim holds its event's hash, so a claim is
// undone only where it is still the event's own: another event's claim is
// never touched.
var (
	noteScript      = newScript("note.lua")
	noteRefScript   = newScript("note_ref.lua")
	undoEnrolScript = newScript("undo_enrol.lua")
	undoRefScript   = newScript("undo_ref.lua")
	undoPayScript   = newScript("undo_pay.lua")
	unblockScript   = newScript("unblock.lua")
)

// familyNote is the key family of the notes an enrolment leaves of what
// its claims replace: the exited claim its programme claim replaces
// (note.lua), and that the beneficiary ref it claims was free
// (note_ref.lua). A notes bucket stands beside each person or ref bucket,
// in its hash slot, so that one script reads both; the two kinds of note
// are told apart by their fields, since a person bucket and a ref bucket
// may have the same number.
const familyNote = "u"

// The fields of an enrolment's notes: these prefixes, then its event hash.
const (
	noteExited = "x"
	noteRef    = "r"
)

// noteTTL is how long a note is kept. Release follows Decide within the
// same batch's handling; a note outlives it only when the enrolment was
// recorded.
const noteTTL = 24 * time.Hour

// noteDisplaced queues, before an enrolment's claim in the same pipeline,
// the note of the exited claim the claim will replace, if any (see
// note.lua): an enrolment of someone who left the programme replaces the
// old claim's exit, which Release must put back. The note sees the batch's
// earlier events, which run before it in the pipeline.
func (ix *Index) noteDisplaced(ctx context.Context, pipe redis.Pipeliner, indexKey, eventHash, programme string) {
	key, pre := ix.personBucket(indexKey)
	notes, _ := ix.bucket(familyNote, indexKey)
	noteScript.EvalSha(ctx, pipe, []string{key, notes}, pre, eventHash, programme, noteExited+eventHash, noteTTL.Milliseconds())
}

// noteFreeRef queues, before an enrolment's claim of its beneficiary ref
// in the same pipeline, the note that nobody held the ref (see
// note_ref.lua), so that Release frees it again: a ref held by a person
// the record does not hold would hold for review everyone enrolling with
// it, and pay no one.
func (ix *Index) noteFreeRef(ctx context.Context, pipe redis.Pipeliner, e *domain.Event) {
	h := ix.refHash(e.Programme, e.BeneficiaryRef)
	key, field := ix.bucket(familyRef, h)
	notes, _ := ix.bucket(familyNote, h)
	noteRefScript.EvalSha(ctx, pipe, []string{key, notes}, field, noteRef+ix.eventHash(e.EventID), noteTTL.Milliseconds())
}

// Release undoes the claims Decide made for outs, whose decisions the
// record refused for good:
//
//   - a payment's claim on its cycle, if it holds the payment's hash;
//   - an enrolment's claim on its programme (and its hold), if it holds
//     the enrolment's hash, putting back the exited claim it replaced;
//     when the person is left with no claim at all, its candidate record
//     and its places in the blocking keys go too, so the fuzzy rules no
//     longer see a person the record does not hold;
//   - an enrolment's claim on its beneficiary ref, if the ref was free
//     before it and its person still holds it;
//   - the links of an enrolment's identity numbers that it made, where
//     they still name its person (see links.go).
//
// Where the claims cannot be undone exactly, the whole index is marked
// incomplete instead, to be rebuilt from the record: for a status event,
// whose transition moved claims that were not its own; and for an
// enrolment whose claim a status event has since exited or suspended.
// Not undone: when the person holds other claims, the candidate record
// and blocking keys the enrolment gave it (the same person's profile,
// perhaps with a new phone or wallet). The name-token counts are not
// touched by Decide, only by Remember, for recorded decisions. An event decided in a batch with others of the same person
// may have let them act on its claim in ways only a rebuild undoes.
func (ix *Index) Release(ctx context.Context, outs []*domain.Outcome) error {
	invalidate := false
	for _, o := range outs {
		if o.Event == nil || o.IndexKey == "" {
			continue
		}
		e := o.Event
		key, pre := ix.personBucket(o.IndexKey)
		eid := ix.eventHash(e.EventID)
		switch e.Type {
		case domain.TypeDistribution:
			field := pre + fieldPaid + e.Programme + cycleSep + e.Cycle
			if err := undoPayScript.Run(ctx, ix.rdb, []string{key}, field, eid).Err(); err != nil {
				return classify("redis: release payment", err)
			}
		case domain.TypeEnrolment:
			if err := ix.freeRef(ctx, o); err != nil {
				return err
			}
			if err := ix.freeLinks(ctx, o); err != nil {
				return err
			}
			notes, _ := ix.bucket(familyNote, o.IndexKey)
			res, err := undoEnrolScript.Run(ctx, ix.rdb, []string{key, notes}, pre, eid, e.Programme, noteExited+eid).Text()
			if err != nil {
				return classify("redis: release enrolment", err)
			}
			switch res {
			case "acted":
				invalidate = true
			case "alone":
				if err := ix.removeFromBlocks(ctx, o); err != nil {
					return err
				}
			}
		case domain.TypeStatus:
			invalidate = true
		}
	}
	if invalidate {
		return ix.Invalidate(ctx)
	}
	return nil
}

// freeRef frees the beneficiary ref an enrolment claimed, if it found it
// free and its person still holds it.
func (ix *Index) freeRef(ctx context.Context, o *domain.Outcome) error {
	e := o.Event
	if e.BeneficiaryRef == "" {
		return nil
	}
	h := ix.refHash(e.Programme, e.BeneficiaryRef)
	key, field := ix.bucket(familyRef, h)
	notes, _ := ix.bucket(familyNote, h)
	err := undoRefScript.Run(ctx, ix.rdb, []string{key, notes}, field, packedKey(o.IndexKey), noteRef+ix.eventHash(e.EventID)).Err()
	return classify("redis: release ref", err)
}

// removeFromBlocks takes the person an enrolment indexed out of the
// blocking keys its profile gives, as Decide put it in: one script call in
// all on a single server, one per block on a cluster.
func (ix *Index) removeFromBlocks(ctx context.Context, o *domain.Outcome) error {
	id := packedKey(o.IndexKey)
	if id == "" || o.Event.Person == nil {
		return nil
	}
	blocks := fuzzy.ProfileOf(o.Event.Person, o.Decision.PersonID, ix.pseudo).Blocks
	var keys []string
	args := []any{id}
	run := func() error {
		if len(keys) == 0 {
			return nil
		}
		err := unblockScript.Run(ctx, ix.rdb, keys, args...).Err()
		keys, args = nil, []any{id}
		return classify("redis: release blocks", err)
	}
	for _, b := range blocks {
		key, field := ix.blockBucket(b)
		keys, args = append(keys, key), append(args, field)
		if !ix.cfg.SingleServer {
			if err := run(); err != nil {
				return err
			}
		}
	}
	return run()
}
