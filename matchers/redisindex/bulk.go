package redisindex

import (
	"context"

	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
)

// Identify returns the index key and person id the index gives the person a
// validated event names, exactly as Decide would: by NID, else by birth
// registration number, else (an enrolment without an exact identifier) a
// person id of its own and no index key. A distribution named only by a
// beneficiary ref gets no key here: Decide finds it through the ref map.
func (ix *Index) Identify(e *domain.Event) (key, personID string) {
	switch {
	case e.IdentityNID() != "":
		return ix.identity("nid", e.IdentityNID())
	case e.Type == domain.TypeEnrolment && e.Person != nil && e.Person.BirthRegNo != "":
		return ix.identity("brn", e.Person.BirthRegNo)
	case e.Type == domain.TypeEnrolment:
		_, id := ix.identity("ref", e.Source+"\x00"+e.Programme+"\x00"+e.BeneficiaryRef+"\x00"+e.EventID)
		return "", id
	}
	return "", ""
}

// BulkLoader writes index facts straight into Redis, many per round trip,
// for loading a registry of millions of persons without deciding them event
// by event. It writes the keys a rebuild from the record writes, and, like
// the pipeline, leaves a blocking key alone once it holds the block cap of
// persons (the pipeline stops adding to a generic block; a rebuild does
// not). A person is indexed as a candidate once, by its first enrolment.
// It is not safe for concurrent use; run one per goroutine.
type BulkLoader struct {
	ix     *Index
	pipe   redis.Pipeliner
	blocks map[string]int32
	seen   map[uint64]bool
	// Loaded counts the facts written.
	Loaded int
}

// NewBulkLoader returns a loader writing in pipelines of about 2,000
// commands.
func (ix *Index) NewBulkLoader() *BulkLoader {
	return &BulkLoader{ix: ix, pipe: ix.rdb.Pipeline(), blocks: map[string]int32{}, seen: map[uint64]bool{}}
}

// Add queues one fact, sending the pipeline when it is full. The fact kinds
// and fields are those of domain.IndexFact.
func (l *BulkLoader) Add(ctx context.Context, f domain.IndexFact) error {
	if f.Kind == "candidate" {
		l.candidate(ctx, f)
	} else {
		l.ix.load(ctx, l.pipe, f)
	}
	l.Loaded++
	if l.pipe.Len() >= 2000 {
		return l.Flush(ctx)
	}
	return nil
}

func (l *BulkLoader) candidate(ctx context.Context, f domain.IndexFact) {
	if f.Person == nil {
		return
	}
	ix, cap := l.ix, int32(l.ix.cfg.Fuzzy.BlockCap)
	prof := fuzzy.ProfileOf(f.Person, f.PersonID, ix.pseudo)
	if l.seen[prof.ID] {
		return // a person enrolled in two programmes is one candidate, as in a rebuild
	}
	l.seen[prof.ID] = true
	rec, err := prof.Record.AppendBinary(nil)
	if err != nil {
		return // the pipeline does not index a record it cannot encode
	}
	l.pipe.Set(ctx, ix.recordKey(prof.ID), rec, 0)
	for _, b := range prof.Blocks {
		if cap > 0 && l.blocks[b.Key] >= cap {
			continue
		}
		l.blocks[b.Key]++
		l.pipe.SAdd(ctx, ix.blockKey(b), prof.ID)
	}
	for _, t := range prof.Record.Name.Strong {
		l.pipe.HIncrBy(ctx, ix.tfKey(), t, 1)
	}
	l.pipe.Incr(ctx, ix.tfTotalKey())
}

// Flush sends what is queued. Errors are classified like Decide's.
func (l *BulkLoader) Flush(ctx context.Context) error {
	if l.pipe.Len() == 0 {
		return nil
	}
	_, err := l.pipe.Exec(ctx)
	return classify("redis: bulk load", err)
}

// Close flushes and marks the index ready, so workers decide against it
// instead of rebuilding it from the record.
func (l *BulkLoader) Close(ctx context.Context) error {
	if err := l.Flush(ctx); err != nil {
		return err
	}
	if err := l.ix.LoadScripts(ctx); err != nil {
		return err
	}
	return l.ix.MarkReady(ctx)
}
