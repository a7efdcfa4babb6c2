package redisindex_test

import (
	"context"
	"maps"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
	"github.com/ekjon/ekjon/sinks/postgres"
)

// grown is an index grown batch by batch, as the stream and the backfill
// grow it, and its record.
type grown struct {
	t      *testing.T
	ctx    context.Context
	store  *postgres.Store
	cfg    redisindex.Config
	pseudo *domain.Pseudonymizer
	ix     *redisindex.Index
}

// growCap is the block cap of these tests: small, so that a registry of a
// few thousand persons fills blocks to it and the order of their members
// decides who is in them.
const growCap = 4

func newGrown(t *testing.T) *grown {
	t.Helper()
	ctx := context.Background()
	store := migratedStore(t, 4)
	rdb, prefix := redistest.MustClient(t)
	fc := fuzzy.DefaultConfig()
	fc.BlockCap = growCap
	cfg := redisindex.Config{Prefix: prefix, Policy: domain.DefaultPolicy(), Fuzzy: fc, BucketBits: 8}
	g := &grown{t: t, ctx: ctx, store: store, cfg: cfg, pseudo: domain.NewPseudonymizer([]byte("grown-secret-0123456789"))}
	g.ix = redisindex.New(rdb, g.pseudo, cfg)
	if _, ok, err := g.ix.Rebuild(ctx, store.BeginRebuild, store.IndexFacts); err != nil || !ok {
		t.Fatalf("rebuild of the empty record: %v, %v", ok, err)
	}
	return g
}

// grow decides outs in batches of size, in their order, records each batch
// and remembers it, as a worker does. Each batch is decided at a time of
// its own; at each outcome's place is at(i), the origin the record keeps.
func (g *grown) grow(outs []*domain.Outcome, size int, at func(i int) domain.Origin) {
	g.t.Helper()
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	for i := 0; i < len(outs); i += size {
		batch := outs[i:min(i+size, len(outs))]
		for j, o := range batch {
			e := o.Event
			o.Origin = at(i + j)
			o.Decision = domain.Decision{EventID: e.EventID, EventType: e.Type, Source: e.Source, Programme: e.Programme,
				DecidedAt: t0.Add(time.Duration(i) * time.Millisecond), ConfigVersion: "test", Rules: []string{}}
		}
		if _, err := g.ix.Decide(g.ctx, batch); err != nil {
			g.t.Fatal(err)
		}
		vals := make([]domain.Outcome, len(batch))
		for j, o := range batch {
			vals[j] = *o
		}
		if _, err := g.store.Write(g.ctx, vals, 0); err != nil {
			g.t.Fatal(err)
		}
		if err := g.ix.Remember(g.ctx, batch); err != nil {
			g.t.Fatal(err)
		}
	}
}

// reaches fails the test unless the grown registry has what makes a
// rebuilt index differ from a grown one: held and blocked enrolments,
// persons of two enrolments that both index them, and blocks at their cap.
func (g *grown) reaches(outs []*domain.Outcome) {
	g.t.Helper()
	held, blocked, capped := 0, 0, 0
	indexed := map[string]int{}
	for _, o := range outs {
		switch o.Decision.Action {
		case domain.ActionHold:
			held++
		case domain.ActionBlock:
			blocked++
			continue
		}
		indexed[o.Decision.PersonID]++
		if capped > 0 {
			continue
		}
		for _, b := range fuzzy.ProfileOf(o.Event.Person, o.Decision.PersonID, g.pseudo).Blocks {
			if n, err := g.ix.BlockSize(g.ctx, b); err != nil {
				g.t.Fatal(err)
			} else if n >= growCap {
				capped++
				break
			}
		}
	}
	twice := 0
	for _, n := range indexed {
		if n > 1 {
			twice++
		}
	}
	if held == 0 || blocked == 0 || twice == 0 || capped == 0 {
		g.t.Fatalf("the registry does not reach the case: %d held, %d blocked, %d persons indexed by two enrolments, capped blocks %d",
			held, blocked, twice, capped)
	}
}

// rebuilt is the index rebuilt from the record under a prefix of its own,
// beside the grown one, from facts.
func (g *grown) rebuilt(facts redisindex.Facts) *redisindex.Index {
	g.t.Helper()
	rdb, prefix := redistest.MustClient(g.t)
	cfg := g.cfg
	cfg.Prefix = prefix
	ix := redisindex.New(rdb, g.pseudo, cfg)
	if _, ok, err := ix.Rebuild(g.ctx, g.store.Generation, facts); err != nil || !ok {
		g.t.Fatalf("rebuild: %v, %v", ok, err)
	}
	return ix
}

// registryShuffled is a seeded registry's enrolments in an order that is
// not the order they were enrolled in, as a backfill decides a file's.
func registryShuffled(t *testing.T) []*domain.Outcome {
	outs := registryOutcomes(t, 2500, 17)
	rand.New(rand.NewPCG(17, 1)).Shuffle(len(outs), func(i, j int) { outs[i], outs[j] = outs[j], outs[i] })
	return outs
}

// TestRebuildIsTheIndexGrown grows an index through a seeded registry,
// batch by batch, as the stream does (each batch in the order of its
// messages), and rebuilds another from the record: the two must hold the
// same keys and fields, the same members of each block in the same order,
// the same name-token counts, and for a person enrolled twice the blocks
// of both enrolments and the later one's record.
func TestRebuildIsTheIndexGrown(t *testing.T) {
	g := newGrown(t)
	outs := registryShuffled(t)
	g.grow(outs, 97, func(i int) domain.Origin { return domain.Origin{Topic: "enrolments", Offset: int64(i)} })
	g.reaches(outs)
	re := g.rebuilt(g.store.IndexFacts)
	sameIndex(t, lasting(dump(t, g.ix.Client(), g.ix.Prefix())), lasting(dump(t, re.Client(), re.Prefix())), "grown", "rebuilt")
}

// TestRebuildInABackfillsOrder grows an index as a backfill does: the
// record keeps each record's file and line where the stream's keep a
// partition and offset, which is not the order a batch was decided in.
// Rebuilt with the backfill's order of its records (InBatchOrder), the
// index must be the one grown; rebuilt without, it is not.
func TestRebuildInABackfillsOrder(t *testing.T) {
	g := newGrown(t)
	outs := registryShuffled(t)
	lines := rand.New(rand.NewPCG(5, 5)).Perm(len(outs))
	g.grow(outs, 97, func(i int) domain.Origin { return domain.Origin{Topic: "backfill", Offset: int64(lines[i])} })
	g.reaches(outs)
	order := make(map[string]int, len(outs))
	for i, o := range outs {
		order[o.Event.EventID] = i
	}
	grownDump := lasting(dump(t, g.ix.Client(), g.ix.Prefix()))
	lost := g.rebuilt(g.store.IndexFacts)
	if differ := differing(grownDump, lasting(dump(t, lost.Client(), lost.Prefix()))); differ == 0 {
		t.Fatal("rebuilt in the record's order of file and line, the index is the one grown: the test does not reach the case")
	}
	re := g.rebuilt(redisindex.InBatchOrder(g.store.IndexFacts, func(id string) (int, bool) {
		i, ok := order[id]
		return i, ok
	}))
	sameIndex(t, grownDump, lasting(dump(t, re.Client(), re.Prefix())), "grown", "rebuilt")
}

// differing counts the keys on which two dumps differ.
func differing(a, b map[string]map[string]string) int {
	n := 0
	for k := range merge(a, b) {
		if !maps.Equal(a[k], b[k]) {
			n++
		}
	}
	return n
}

// lasting is a dump of what deciding leaves in an index: without the
// notes of what enrolments' claims replaced (layout.go), which last a day
// for a release to read and which no decision reads, and without the aid
// cards, which the card indexer maps from the record after deciding (a
// rebuild loads them from the record).
func lasting(d map[string]map[string]string) map[string]map[string]string {
	for k := range d {
		if strings.HasPrefix(k, "u:") || strings.HasPrefix(k, "k:") {
			delete(d, k)
		}
	}
	return d
}
