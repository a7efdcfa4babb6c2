package redisindex_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/ekjon/ekjon/benchmarks/synth"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
)

// BenchmarkIndexMemory indexes synthetic enrolments through Decide under a
// private prefix and reports Redis used_memory growth per indexed person,
// with the bucket bits the index would be given for that population and
// the listpack settings of deploy/redis.conf (set for the run, then put
// back). Other keys in the same Redis may move the number a little; b.N is
// not used, the population is fixed so that the figure is comparable.
func BenchmarkIndexMemory(b *testing.B) {
	const persons = 20000
	rdb, prefix := redistest.MustClient(b)
	ctx := context.Background()
	ix := redisindex.New(rdb, domain.NewPseudonymizer([]byte("memory-secret-0123456789")),
		redisindex.Config{Prefix: prefix, Policy: domain.DefaultPolicy(), Fuzzy: fuzzy.DefaultConfig(), BucketBits: redisindex.BucketBitsFor(persons)})
	if err := ix.LoadScripts(ctx); err != nil {
		b.Fatal(err)
	}
	for name, v := range redisindex.ListpackSettings() {
		old, err := rdb.ConfigGet(ctx, name).Result()
		if err != nil {
			b.Fatal(err)
		}
		if err := rdb.ConfigSet(ctx, name, strconv.Itoa(v)).Err(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { rdb.ConfigSet(context.Background(), name, old[name]) })
	}
	if low := ix.CheckConfig(ctx); low != nil {
		b.Fatalf("Redis settings still low: %v", low)
	}
	if err := ix.MarkReady(ctx, 1); err != nil {
		b.Fatal(err)
	}
	c := synth.DefaultConfig()
	c.Persons, c.RunID = persons, "mem"
	g, err := synth.New(c)
	if err != nil {
		b.Fatal(err)
	}
	used := func() int64 {
		s, err := rdb.Info(ctx, "memory").Result()
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range strings.Split(s, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(l), "used_memory:"); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				return n
			}
		}
		b.Fatal("no used_memory in INFO memory")
		return 0
	}
	before := used()
	indexed := 0
	var batch []*domain.Outcome
	flush := func() {
		if _, err := ix.Decide(ctx, batch); err != nil {
			b.Fatal(err)
		}
		if err := ix.Remember(ctx, batch); err != nil {
			b.Fatal(err)
		}
		for _, o := range batch {
			if o.Decision.Action != domain.ActionBlock {
				indexed++
			}
		}
		batch = batch[:0]
	}
	for r := range g.Enrolments() {
		e, err := domain.DecodeEvent(r.Value, 0)
		if err != nil || e.Type != domain.TypeEnrolment || domain.Validate(e, domain.DefaultPolicy()) != nil {
			continue
		}
		batch = append(batch, &domain.Outcome{Event: e})
		if len(batch) == 200 {
			flush()
		}
	}
	if len(batch) > 0 {
		flush()
	}
	after := used()
	for b.Loop() {
	}
	b.ReportMetric(float64(after-before)/float64(indexed), "bytes/person")
	b.ReportMetric(float64(indexed), "persons")
}
