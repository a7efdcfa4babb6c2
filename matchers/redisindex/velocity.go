package redisindex

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/domain"
)

// familyVelocity holds DISTRIBUTOR_VELOCITY's counts: one sorted set per
// distributor or device, of the event ids of its attempts scored by the
// millisecond each was recorded at. The id is hashed into the key's hash
// tag, so each set is one key in one slot whatever characters the id has.
const familyVelocity = "v"

// velocityWindow is the sliding window counted; velocityKeep is how long
// an attempt stays in its set, so that attempts arriving late, out of
// order, still meet those of their minute.
const (
	velocityWindow = time.Minute
	velocityKeep   = time.Hour
	// velocitySkew is how far ahead of this process's clock a device's
	// clock may run before its attempts are taken for dated in the future.
	velocitySkew = 5 * time.Minute
)

func (ix *Index) velocityKey(scope, id string) string {
	h := sha256.Sum256([]byte(scope + "\x00" + id))
	return ix.cfg.Prefix + familyVelocity + ":{" + hex.EncodeToString(h[:10]) + "}"
}

// CountAttempts records attempts, each under its scope and id, and returns
// for each the number of attempts of its scope and id recorded at times
// within the minute up to and including its own. An attempt is a member
// of its set by event id, so an event decided again is counted once. The
// sets are shared by every worker; an attempt expires an hour after the
// latest of its set. Errors are of KindTransient when Redis is
// unreachable. It is safe for concurrent use.
func (ix *Index) CountAttempts(ctx context.Context, attempts []domain.Attempt) ([]int64, error) {
	now := time.Now().UnixMilli()
	pipe := ix.rdb.Pipeline()
	counts := make([]*redis.IntCmd, len(attempts))
	for i, a := range attempts {
		key := ix.velocityKey(a.Scope, a.ID)
		ms := a.At.UnixMilli()
		pipe.ZAdd(ctx, key, redis.Z{Score: float64(ms), Member: a.EventID})
		// Trimmed from the attempt's own time, unless it is dated in
		// the future: one forged date must not empty the set.
		if ms <= now+velocitySkew.Milliseconds() {
			pipe.ZRemRangeByScore(ctx, key, "-inf", "("+itoa(ms-velocityKeep.Milliseconds()))
		}
		counts[i] = pipe.ZCount(ctx, key, "("+itoa(ms-velocityWindow.Milliseconds()), itoa(ms))
		pipe.PExpire(ctx, key, velocityKeep)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, classify("redis: count attempts", err)
	}
	out := make([]int64, len(attempts))
	for i, c := range counts {
		out[i] = c.Val()
	}
	return out, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
