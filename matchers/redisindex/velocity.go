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
// for each the most attempts of its scope and id recorded within one
// window (a minute, or the attempt's Window) that holds its own time: the
// windows before and after are both
// looked at, so that attempts arriving out of order (on several
// partitions, or from a device that was offline) still meet. An attempt is a member
// of its set by event id, so an event decided again is counted once. The
// sets are shared by every worker; an attempt expires an hour after the
// latest of its set. Errors are of KindTransient when Redis is
// unreachable. It is safe for concurrent use.
func (ix *Index) CountAttempts(ctx context.Context, attempts []domain.Attempt) ([]int64, error) {
	now := time.Now().UnixMilli()
	pipe := ix.rdb.Pipeline()
	near := make([]*redis.ZSliceCmd, len(attempts))
	for i, a := range attempts {
		key := ix.velocityKey(a.Scope, a.ID)
		ms := a.At.UnixMilli()
		window, keep := windowOf(a)
		pipe.ZAdd(ctx, key, redis.Z{Score: float64(ms), Member: a.EventID})
		// Trimmed from the attempt's own time, unless it is dated in
		// the future: one forged date must not empty the set.
		if ms <= now+velocitySkew.Milliseconds() {
			pipe.ZRemRangeByScore(ctx, key, "-inf", "("+itoa(ms-keep.Milliseconds()))
		}
		w := window.Milliseconds()
		near[i] = pipe.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{Key: key, ByScore: true,
			Start: "(" + itoa(ms-w), Stop: "(" + itoa(ms+w), Count: velocityMaxNear})
		pipe.PExpire(ctx, key, keep)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, classify("redis: count attempts", err)
	}
	out := make([]int64, len(attempts))
	for i, c := range near {
		scores := make([]int64, len(c.Val()))
		for j, z := range c.Val() {
			scores[j] = int64(z.Score)
		}
		window, _ := windowOf(attempts[i])
		out[i] = busiestMinute(scores, attempts[i].At.UnixMilli(), window.Milliseconds())
	}
	return out, nil
}

// windowOf returns the window a's attempts are counted in (a minute
// unless it says otherwise) and how long they are kept: an hour, or twice
// a longer window, so that late arrivals still meet their window.
func windowOf(a domain.Attempt) (window, keep time.Duration) {
	window, keep = velocityWindow, velocityKeep
	if a.Window > 0 {
		window = a.Window
	}
	return window, max(keep, 2*window)
}

// velocityMaxNear bounds the attempts read around one: past it the pace is
// beyond doubt.
const velocityMaxNear = 10_000

// busiestMinute returns the most of scores (ascending, in milliseconds)
// that one window of w milliseconds holding t holds: the windows [s, s+w)
// that begin at one of the scores in (t-w, t].
func busiestMinute(scores []int64, t, w int64) int64 {
	best, end := 0, 0
	for i, s := range scores {
		if s <= t-w || s > t {
			continue
		}
		end = max(end, i)
		for end < len(scores) && scores[end] < s+w {
			end++
		}
		best = max(best, end-i)
	}
	return int64(best)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
