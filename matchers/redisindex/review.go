package redisindex

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// A reviewer's outcome changes the person's fields so that later events see
// it. Each script touches the one bucket key, so it runs unchanged on Redis
// Cluster, and each is idempotent: the review relay may run it twice.

// releaseScript lifts the hold on a held enrolment, but only while the
// programme's claim is still that enrolment's: an enrolment that has since
// exited or been replaced must not be revived by a late release.
var releaseScript = redis.NewScript(`
local k, pre = KEYS[1], ARGV[1]
local eid, prog = ARGV[2], ARGV[3]
local cur = redis.call('HGET', k, pre .. 'e:' .. prog)
if cur and string.sub(cur, 1, 8) == eid then
  redis.call('HDEL', k, pre .. 'h:' .. prog)
  return 1
end
return 0
`)

// claimScript makes an enrolment the programme's claim, for a supervisor's
// override of a DUP_NID or MULTI_PROGRAMME block: it is enrolled and not
// held, and its wallet is the one payments are compared with.
var claimScript = redis.NewScript(`
local k, pre = KEYS[1], ARGV[1]
local eid, prog, wallet = ARGV[2], ARGV[3], ARGV[4]
redis.call('HSET', k, pre .. 'e:' .. prog, eid .. wallet)
redis.call('HDEL', k, pre .. 'h:' .. prog, pre .. 'x:' .. prog)
return 1
`)

// ReleaseHold admits a held enrolment in the index: the hold on programme
// is lifted when the person's claim on it is the event's. It is safe to
// call again. Errors are of KindTransient when Redis is unreachable.
func (ix *Index) ReleaseHold(ctx context.Context, indexKey, programme, eventID string) error {
	if indexKey == "" {
		return nil
	}
	key, pre := ix.personBucket(indexKey)
	return classify("redis: release hold", releaseScript.Run(ctx, ix.rdb, []string{key}, pre, eventHash(eventID), programme).Err())
}

// ClaimEnrolment records an overridden enrolment as the person's claim on
// programme, with its wallet key. It is safe to call again.
func (ix *Index) ClaimEnrolment(ctx context.Context, indexKey, programme, eventID, walletKey string) error {
	if indexKey == "" {
		return nil
	}
	key, pre := ix.personBucket(indexKey)
	return classify("redis: claim enrolment", claimScript.Run(ctx, ix.rdb, []string{key}, pre, eventHash(eventID), programme, walletKey).Err())
}
