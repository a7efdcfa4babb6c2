package redisindex

import (
	"context"

	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/domain"
)

// Identify returns the index key and person id the index gives the person a
// validated event names, as Decide would for a person none of whose
// numbers is linked to another (see links.go): by the NID's core, else
// by smart-card number, else by birth registration number, else (an enrolment without an exact identifier) a
// person id of its own and no index key. A distribution named only by a
// beneficiary ref gets no key here: Decide finds it through the ref map.
func (ix *Index) Identify(e *domain.Event) (key, personID string) {
	ids := e.Identifiers()
	switch {
	case len(ids) > 0:
		return ix.identity(ids[0].Kind, ids[0].Value)
	case e.Type == domain.TypeEnrolment:
		_, id := ix.identity("ref", e.Source+"\x00"+e.Programme+"\x00"+e.BeneficiaryRef+"\x00"+e.EventID)
		return "", id
	}
	return "", ""
}

// BulkLoader writes index facts straight into Redis, many per round trip,
// for loading a registry of millions of persons without deciding them event
// by event. It writes what a rebuild from the record writes: like the
// pipeline, it leaves a blocking key alone once it holds the block cap of
// persons, and a person enrolled twice joins the blocks of both
// enrolments, keeping the first one's name tokens and the later one's
// record (candidate facts come in the order they were decided).
// It is not safe for concurrent use; run one per goroutine.
type BulkLoader struct {
	ix      *Index
	pipe    redis.Pipeliner
	owners  map[string]string // see load
	scripts bool
	// Loaded counts the facts written.
	Loaded int
}

// NewBulkLoader returns a loader writing in pipelines of about 2,000
// commands.
func (ix *Index) NewBulkLoader() *BulkLoader {
	return &BulkLoader{ix: ix, pipe: ix.rdb.Pipeline(), owners: map[string]string{}}
}

// Add queues one fact, sending the pipeline when it is full. The fact kinds
// and fields are those of domain.IndexFact.
func (l *BulkLoader) Add(ctx context.Context, f domain.IndexFact) error {
	if !l.scripts {
		if err := l.ix.LoadScripts(ctx); err != nil {
			return err
		}
		l.scripts = true
	}
	l.ix.load(ctx, l.pipe, f, l.owners)
	l.Loaded++
	if l.pipe.Len() >= 2000 {
		return l.Flush(ctx)
	}
	return nil
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
// instead of rebuilding it from the record. generation gives the record's
// current index generation (sinks/postgres Store.Generation), which the
// index answers to from then on; it is read under the rebuild lock, so no
// rebuild begins a newer one in between, and it must not be 0, the
// generation of a record no rebuild has begun (call Store.BeginRebuild
// before loading). Close fails with ErrRebuilding while a rebuild holds
// the lock.
func (l *BulkLoader) Close(ctx context.Context, generation Generation) error {
	if err := l.Flush(ctx); err != nil {
		return err
	}
	if err := l.ix.LoadScripts(ctx); err != nil {
		return err
	}
	return l.ix.markReadyAs(ctx, generation)
}
