package redisindex

import "context"

// A reviewer's outcome changes the person's fields so that later events see
// it (releaseScript, claimScript). Each script touches the one bucket key,
// so it runs unchanged on Redis Cluster, and each is idempotent: the review
// relay may run it twice.

// ReleaseHold admits a held enrolment in the index: the hold on programme
// is lifted when the person's claim on it is the event's. It is safe to
// call again. Errors are of KindTransient when Redis is unreachable.
func (ix *Index) ReleaseHold(ctx context.Context, indexKey, programme, eventID string) error {
	if indexKey == "" {
		return nil
	}
	key, pre := ix.personBucket(indexKey)
	return classify("redis: release hold", releaseScript.Run(ctx, ix.rdb, []string{key}, pre, ix.eventHash(eventID), programme).Err())
}

// ClaimEnrolment records an overridden enrolment as the person's claim on
// programme, with its wallet key, and maps its beneficiary ref (if any) to
// the person if nobody holds it. A ref held by another person stays
// theirs, as in the pipeline (ref.lua) and the record, which an override
// does not change: otherwise payments by the ref would go to the overridden
// enrolment's person until the next rebuild gave it back. It is safe to
// call again.
func (ix *Index) ClaimEnrolment(ctx context.Context, indexKey, programme, eventID, walletKey, ref string) error {
	if indexKey == "" {
		return nil
	}
	key, pre := ix.personBucket(indexKey)
	if err := claimScript.Run(ctx, ix.rdb, []string{key}, pre, ix.eventHash(eventID), programme, walletKey).Err(); err != nil {
		return classify("redis: claim enrolment", err)
	}
	if ref == "" {
		return nil
	}
	rk, field := ix.bucket(familyRef, ix.refHash(programme, ref))
	return classify("redis: claim enrolment: ref", ix.rdb.HSetNX(ctx, rk, field, packedKey(indexKey)).Err())
}
