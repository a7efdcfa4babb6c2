package redisindex

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
)

// ErrNotReady says the index is incomplete (lost, or being rebuilt). It is
// of KindTransient: the batch waits for the rebuild.
var ErrNotReady = domain.Errorf(domain.KindTransient, "redis index", "index is not ready; it must be rebuilt from the record (ekjon reindex)")

func (ix *Index) lockKey() string { return ix.cfg.Prefix + "meta:rebuild-lock" }

// rebuildLease is how long the rebuild lock lasts without progress; a
// rebuilder that dies frees it after this.
const rebuildLease = 5 * time.Minute

// Facts streams the record's index facts (see sinks/postgres IndexFacts).
type Facts func(ctx context.Context, fn func(domain.IndexFact) error) error

// Rebuild clears the index and loads it again from the record, then marks
// it ready. Only one worker rebuilds at a time; others find the lock taken
// and return false. It returns the number of facts loaded.
func (ix *Index) Rebuild(ctx context.Context, facts Facts) (loaded int, rebuilt bool, err error) {
	ok, err := ix.rdb.SetNX(ctx, ix.lockKey(), "1", rebuildLease).Result()
	if err != nil {
		return 0, false, classify("redis: rebuild lock", err)
	}
	if !ok {
		return 0, false, nil
	}
	defer ix.rdb.Del(context.WithoutCancel(ctx), ix.lockKey())
	if err := ix.rdb.Del(ctx, ix.ReadyKey()).Err(); err != nil {
		return 0, false, classify("redis: rebuild", err)
	}
	if err := ix.clear(ctx); err != nil {
		return 0, false, err
	}
	if err := ix.LoadScripts(ctx); err != nil {
		return 0, false, err
	}
	pipe := ix.rdb.Pipeline()
	flush := func() error {
		if pipe.Len() == 0 {
			return nil
		}
		// Keep the lock while the rebuild makes progress: a national
		// registry takes longer than the lock's first lease to load.
		pipe.Expire(ctx, ix.lockKey(), rebuildLease)
		_, err := pipe.Exec(ctx)
		return classify("redis: rebuild", err)
	}
	err = facts(ctx, func(f domain.IndexFact) error {
		ix.load(ctx, pipe, f)
		loaded++
		if pipe.Len() >= 2000 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return loaded, false, err
	}
	return loaded, true, ix.MarkReady(ctx)
}

// clear deletes every key under the prefix but the lock. On a cluster it
// scans each master.
func (ix *Index) clear(ctx context.Context) error {
	scan := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, ix.cfg.Prefix+"*", 1000).Iterator()
		var batch []string
		for iter.Next(ctx) {
			if k := iter.Val(); k != ix.lockKey() {
				batch = append(batch, k)
			}
			if len(batch) >= 1000 {
				if err := delEach(ctx, c, batch); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		return delEach(ctx, c, batch)
	}
	var err error
	switch c := ix.rdb.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, scan)
	case *redis.Client:
		err = scan(ctx, c)
	default:
		err = errors.New("unsupported redis client")
	}
	return classify("redis: clear", err)
}

// delEach deletes keys one command each, pipelined, since on a cluster the
// keys of one DEL must share a slot.
func delEach(ctx context.Context, c *redis.Client, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	pipe := c.Pipeline()
	for _, k := range keys {
		pipe.Unlink(ctx, k)
	}
	_, err := pipe.Exec(ctx)
	return err
}

func (ix *Index) load(ctx context.Context, pipe redis.Pipeliner, f domain.IndexFact) {
	if f.Kind == "candidate" {
		ix.loadCandidate(ctx, pipe, f)
		return
	}
	if f.Kind == "ref" {
		key, field := ix.bucket(familyRef, ix.refHash(f.Programme, f.Ref))
		pipe.HSet(ctx, key, field, packedKey(f.Key))
		return
	}
	k, pre := ix.personBucket(f.Key)
	switch f.Kind {
	case "enrolment":
		// The claim's state in its fields, as the status script writes
		// it (layout.go).
		enr := ix.eventHash(f.EventID) + f.Wallet
		switch f.State {
		case domain.EnrolmentExited:
			pipe.HSet(ctx, k, pre+fieldExited+f.Programme, enr)
		case domain.EnrolmentHeld:
			pipe.HSet(ctx, k, pre+fieldEnrol+f.Programme, enr, pre+fieldHeld+f.Programme, flagSet)
		case domain.EnrolmentSuspended:
			pipe.HSet(ctx, k, pre+fieldEnrol+f.Programme, enr, pre+fieldSuspended+f.Programme, flagSet)
		default: // domain.EnrolmentActive
			pipe.HSet(ctx, k, pre+fieldEnrol+f.Programme, enr)
		}
	case "payment":
		pipe.HSet(ctx, k, pre+fieldPaid+f.Programme+cycleSep+f.Cycle, ix.eventHash(f.EventID))
	case "deceased":
		pipe.HSet(ctx, k, pre+fieldDead, ix.eventHash(f.EventID))
	case "wallet":
		pipe.HSet(ctx, k, pre+fieldWalletAt, strconv.FormatInt(f.At.Unix(), 10))
	case "clock":
		pipe.HSet(ctx, k, pre+fieldStatusAt+f.Programme, strconv.FormatInt(f.At.UnixMicro(), 10))
	case "life":
		pipe.HSet(ctx, k, pre+fieldLifeAt, strconv.FormatInt(f.At.UnixMicro(), 10))
	}
}

// loadCandidate indexes an enrolled person as a candidate: its record, its
// blocks (through the block script, so that a generic block stops growing
// at the cap as in the pipeline) and its name tokens. The scripts must be
// loaded.
func (ix *Index) loadCandidate(ctx context.Context, pipe redis.Pipeliner, f domain.IndexFact) {
	k, ok := keyOfPerson(f.PersonID)
	if f.Person == nil || !ok {
		return
	}
	prof := fuzzy.ProfileOf(f.Person, f.PersonID, ix.pseudo)
	rec := storedRecord(&prof, k)
	if rec == "" {
		ix.m.unencodable.Inc() // as in the pipeline, which also raised INDEX_RECORD_FAILED
		return
	}
	key, pre := ix.personBucket(k)
	pipe.HSet(ctx, key, pre+fieldRecord, ix.eventHash(f.EventID)+rec)
	ix.addToBlocks(ctx, pipe, packedKey(k), prof.Blocks)
	ix.countTokens(ctx, pipe, prof.Record.Name.Strong)
}

// Invalidate marks the index incomplete, so that no batch is decided until
// it has been rebuilt from the record.
func (ix *Index) Invalidate(ctx context.Context) error {
	return classify("redis: invalidate", ix.rdb.Del(ctx, ix.ReadyKey()).Err())
}
