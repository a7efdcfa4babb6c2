package redisindex

import (
	"context"
	"testing"

	"github.com/ekjon/ekjon/benchmarks/synth"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
)

// BenchmarkFetchRecords reads 200 candidate records (an enrolment's most)
// from an index of 20,000 bulk-loaded persons: in one pipelined round trip
// as the fuzzy stage does, and one round trip each for comparison.
//
//	go test -run XXX -bench FetchRecords ./matchers/redisindex/
func BenchmarkFetchRecords(b *testing.B) {
	rdb, prefix := redistest.MustClient(b)
	ctx := context.Background()
	ix := New(rdb, domain.NewPseudonymizer([]byte("fetch-secret-0123456789")),
		Config{Prefix: prefix, Policy: domain.DefaultPolicy(), Fuzzy: fuzzy.DefaultConfig(), BucketBits: BucketBitsFor(20000)})
	c := synth.DefaultConfig()
	c.Persons, c.RunID = 20000, "fetch"
	g, err := synth.New(c)
	if err != nil {
		b.Fatal(err)
	}
	l := ix.NewBulkLoader()
	var ids []string
	for r := range g.Enrolments() {
		e, err := domain.DecodeEvent(r.Value, 0)
		if err != nil || e.Type != domain.TypeEnrolment || domain.Validate(e, domain.DefaultPolicy()) != nil {
			continue
		}
		_, pid := ix.Identify(e)
		if err := l.Add(ctx, domain.IndexFact{Kind: "candidate", PersonID: pid, Person: e.Person}); err != nil {
			b.Fatal(err)
		}
		if k, ok := keyOfPerson(pid); ok && len(ids) < 200 && len(ids) < l.Loaded {
			ids = append(ids, packedKey(k))
		}
	}
	if err := l.Close(ctx, func(context.Context) (int64, error) { return 1, nil }); err != nil {
		b.Fatal(err)
	}
	if len(ids) < 200 {
		b.Fatalf("%d ids", len(ids))
	}
	b.Run("pipelined", func(b *testing.B) {
		for b.Loop() {
			recs, err := ix.fetchRecords(ctx, ids)
			if err != nil || len(recs) < len(ids)*9/10 {
				b.Fatalf("%d records, %v", len(recs), err)
			}
		}
		b.ReportMetric(float64(b.N*len(ids))/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("one-by-one", func(b *testing.B) {
		for b.Loop() {
			n := 0
			for _, id := range ids {
				k := unpackKey(id)
				key, pre := ix.personBucket(k)
				v, err := rdb.HGet(ctx, key, pre+fieldRecord).Bytes()
				if err != nil {
					continue
				}
				if _, err := loadRecord(v, k); err == nil {
					n++
				}
			}
			if n < len(ids)*9/10 {
				b.Fatalf("%d records", n)
			}
		}
		b.ReportMetric(float64(b.N*len(ids))/b.Elapsed().Seconds(), "records/s")
	})
}
