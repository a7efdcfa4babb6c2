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
// programme, with its wallet key. It is safe to call again.
func (ix *Index) ClaimEnrolment(ctx context.Context, indexKey, programme, eventID, walletKey string) error {
	if indexKey == "" {
		return nil
	}
	key, pre := ix.personBucket(indexKey)
	return classify("redis: claim enrolment", claimScript.Run(ctx, ix.rdb, []string{key}, pre, ix.eventHash(eventID), programme, walletKey).Err())
}
