package redisindex

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/domain"
)

// ErrNotReady says the index is incomplete (lost, or being rebuilt). It is
// of KindTransient: the batch waits for the rebuild.
var ErrNotReady = domain.Errorf(domain.KindTransient, "redis index", "index is not ready; it must be rebuilt from the record (ekjon reindex)")

// Facts streams the record's index facts (see sinks/postgres IndexFacts).
type Facts func(ctx context.Context, fn func(domain.IndexFact) error) error

// Rebuild clears the index and loads it again from the record, then marks
// it ready. Only one process rebuilds at a time; others find the lock
// taken and return false. begin gives the generation the rebuilt index
// answers to; it is called once the lock is held and before the record is
// read. A live index passes the store's BeginRebuild, which starts the
// record's next generation, so that batches decided against the old index
// and not yet recorded are refused by the record and decided again. An
// index rebuilt beside the live one, which no batch is decided against
// (to compare the two), passes Store.Generation, so as not to refuse the
// live index's batches. A rebuild whose lease on
// the lock lapsed stops at its next write with ErrLockLost, leaving the
// index to the rebuild that took over. It returns the number of facts
// loaded.
func (ix *Index) Rebuild(ctx context.Context, begin Generation, facts Facts) (loaded int, rebuilt bool, err error) {
	l, err := ix.acquire(ctx)
	if err != nil || l == nil {
		return 0, false, err
	}
	defer l.release(context.WithoutCancel(ctx)) //nolint:errcheck // the lease lapses anyway
	ctx, cancel := context.WithCancelCause(ctx)
	kept := make(chan struct{})
	go func() {
		defer close(kept)
		l.keep(ctx, func() { cancel(ErrLockLost) })
	}()
	defer func() {
		cancel(nil)
		<-kept
	}()
	loaded, err = ix.rebuild(ctx, l, begin, facts)
	if cause := context.Cause(ctx); cause != nil && err != nil {
		err = cause
	}
	return loaded, err == nil, err
}

func (ix *Index) rebuild(ctx context.Context, l *lease, begin Generation, facts Facts) (loaded int, err error) {
	// No batch decides against the index from here; those deciding now
	// are refused by the record once begin returns.
	if err := ix.Invalidate(ctx); err != nil {
		return 0, err
	}
	gen, err := begin(ctx)
	if err != nil {
		return 0, err
	}
	if err := ix.clear(ctx); err != nil {
		return 0, err
	}
	if err := ix.LoadScripts(ctx); err != nil {
		return 0, err
	}
	pipe := ix.rdb.Pipeline()
	flush := func() error {
		if pipe.Len() == 0 {
			return nil
		}
		// A national registry takes longer than the lease to load: keep
		// the lock while the rebuild makes progress, and stop once
		// another rebuild has taken it over, whose record is newer.
		if err := l.extend(ctx); err != nil {
			pipe.Discard()
			return err
		}
		_, err := pipe.Exec(ctx)
		return classify("redis: rebuild", err)
	}
	owners := map[string]string{}
	err = facts(ctx, func(f domain.IndexFact) error {
		ix.load(ctx, pipe, f, owners)
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
		return loaded, err
	}
	return loaded, l.markReady(ctx, gen)
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
	return classify("redis: clear", ix.eachMaster(ctx, scan))
}

// eachMaster runs fn on the index's Redis server, or on every master of
// its cluster, concurrently.
func (ix *Index) eachMaster(ctx context.Context, fn func(context.Context, *redis.Client) error) error {
	return EachMaster(ctx, ix.rdb, fn)
}

// EachMaster runs fn on the server of rdb, or on every master of a
// cluster client, concurrently: what is read or scanned server by server
// (SCAN, CONFIG GET, INFO) must be asked of each master.
func EachMaster(ctx context.Context, rdb redis.UniversalClient, fn func(context.Context, *redis.Client) error) error {
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, fn)
	case *redis.Client:
		return fn(ctx, c)
	}
	return fmt.Errorf("unsupported redis client %T", rdb)
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

// load queues the writes of one fact. owners are the candidates loaded so
// far: packed index key → the event hash of the enrolment that first
// stored the person's record.
func (ix *Index) load(ctx context.Context, pipe redis.Pipeliner, f domain.IndexFact, owners map[string]string) {
	if f.Kind == "candidate" {
		ix.loadCandidate(ctx, pipe, f, owners)
		return
	}
	if f.Kind == "link" {
		ix.loadLink(ctx, pipe, f.Key, f.Ref, f.State == "core", false)
		return
	}
	if f.Kind == "card" {
		ix.loadCard(ctx, pipe, f)
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

// loadCandidate indexes an enrolment's person as a candidate, as the
// enrolment's claim and the fuzzy rules did when it was decided (the
// candidate facts come in that order): the person joins the enrolment's
// blocks (through the block script, so that a block stops growing at the
// cap as in the pipeline), its record is the enrolment's, kept under the
// event hash of the enrolment that stored the person's first (enrol.lua),
// and that first enrolment's name tokens are counted (Remember). owners
// are the persons whose record is stored. The scripts must be loaded.
func (ix *Index) loadCandidate(ctx context.Context, pipe redis.Pipeliner, f domain.IndexFact, owners map[string]string) {
	k, ok := keyOfPerson(f.PersonID)
	if f.Person == nil || !ok {
		return
	}
	ix.loadIdentities(ctx, pipe, k, f.Person)
	prof := ix.profile(f.Person, f.PersonID, ix.pseudo)
	rec := storedRecord(&prof, k)
	if rec == "" {
		ix.m.unencodable.Inc() // as in the pipeline, which also raised INDEX_RECORD_FAILED
		return
	}
	id := packedKey(k)
	owner, seen := owners[id]
	if !seen {
		owner = ix.eventHash(f.EventID)
		owners[id] = owner
	}
	key, pre := ix.personBucket(k)
	pipe.HSet(ctx, key, pre+fieldRecord, owner+rec)
	ix.addToBlocks(ctx, pipe, id, prof.Blocks)
	if !seen {
		ix.countTokens(ctx, pipe, prof.Record.Name.Strong)
	}
}

// InBatchOrder returns facts with the candidate facts of each batch (a run
// of them decided at one time, their At) in the order rank gives their
// event ids, those it does not know after the others, as they came. The
// record orders a batch's enrolments by partition and offset, the order a
// worker decides a batch of one partition in; a backfill decides its
// records in an order of its own, which it gives back through rank.
func InBatchOrder(facts Facts, rank func(eventID string) (int, bool)) Facts {
	return func(ctx context.Context, fn func(domain.IndexFact) error) error {
		var run []domain.IndexFact
		emit := func() error {
			slices.SortStableFunc(run, func(a, b domain.IndexFact) int {
				ra, oka := rank(a.EventID)
				rb, okb := rank(b.EventID)
				switch {
				case oka && okb:
					return cmp.Compare(ra, rb)
				case oka:
					return -1
				case okb:
					return 1
				}
				return 0
			})
			for _, f := range run {
				if err := fn(f); err != nil {
					return err
				}
			}
			clear(run)
			run = run[:0]
			return nil
		}
		err := facts(ctx, func(f domain.IndexFact) error {
			if f.Kind != "candidate" || (len(run) > 0 && !run[0].At.Equal(f.At)) {
				if err := emit(); err != nil {
					return err
				}
			}
			if f.Kind != "candidate" {
				return fn(f)
			}
			run = append(run, f)
			return nil
		})
		if err == nil {
			err = emit()
		}
		return err
	}
}
